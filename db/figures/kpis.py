"""Headline stocks and staff figures on a day, counted in SQL. What each one means is written
in the indicator registry (db.reporting.registry); aggregates only, no personal field."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import func, or_, select

from ..accounts.permissions import case_scope
from ..actors import Actor
from ..casework.overdue import outcome_missing, step_overdue
from ..clock import today
from ..reporting.registry import INDICATORS, Kind
from ..results.indicators import (
    companions_over_cap,
    headline,
    incomplete_count,
    leaver_figures,
    monthly_leavers,
)
from ..store.database import Database
from ..store.recount import lead_figure
from ..store.models import Case, Position, User
from ..vocabulary import CaseStatus, Role
from . import flows


@dataclass(frozen=True)
class Kpis:
    participants: int
    active_cases: int
    employed: int
    planned_first_interviews: int
    referred: int
    no_show: int
    paused: int
    closed: int
    declined: int
    overdue_next_steps: int
    interviews_outcome_missing: int
    incomplete_participants: int
    companions_working: int
    companions_starting: int
    positions_total: int
    positions_open: int
    companions_over_cap: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@lead_figure
def kpis(db: Database, actor: Actor, *, companion_id: int | None = None) -> Kpis:
    """Stocks today by status (as the registry defines them) and staff. Companions always get
    their own caseload."""
    scope = case_scope(actor, personal=False)
    now = today()
    with db.read() as session:
        by_status_q = select(Case.status, func.count()).where(scope).group_by(Case.status)
        # Only the rows either count (the same counts): read from the index of both conditions
        # instead of every case ever referred.
        late = (step_overdue(now), outcome_missing(now))
        late_q = select(*(func.count().filter(c) for c in late)).where(scope, or_(*late))
        if companion_id is not None:
            by_status_q = by_status_q.where(Case.companion_id == companion_id)
            late_q = late_q.where(Case.companion_id == companion_id)
        by_status = {CaseStatus(s): n for s, n in session.execute(by_status_q)}
        overdue, missing = session.execute(late_q).one()
        # An interview whose day passed without an outcome is no longer planned (db/casework/overdue.py).
        by_status[CaseStatus.INTERVIEW_PLANNED] = by_status.get(CaseStatus.INTERVIEW_PLANNED, 0) - missing
        working, starting = session.execute(
            select(
                func.count().filter(User.start_date <= now),
                func.count().filter(User.start_date > now),
            ).where(User.role == Role.COMPANION, User.active.is_(True))
        ).one()
        positions_total, positions_open = session.execute(
            select(func.count(), func.count().filter(Position.holder_id.is_(None)))
        ).one()
        incomplete = incomplete_count(session, scope)
        over_cap = companions_over_cap(session)
    stocks = {i.key: sum(by_status.get(s, 0) for s in i.statuses)
              for i in INDICATORS if i.kind is Kind.STOCK and i.statuses}
    return Kpis(
        **stocks,
        overdue_next_steps=overdue or 0,
        interviews_outcome_missing=missing or 0,
        incomplete_participants=incomplete,
        companions_working=working or 0,
        companions_starting=starting or 0,
        positions_total=positions_total or 0,
        positions_open=positions_open or 0,
        companions_over_cap=over_cap,
    )


EVENT_KEYS = ("referrals", "interviews_held", "job_starts")


def figures_to_date(db: Database, actor: Actor) -> dict[str, int | float | None]:
    """Every indicator of the registry under its key, in the registry's order: stocks and staff
    today, events and leavers since the programme's start (the CLI's `kpis`). A key the registry
    gains without a value here fails at once (KeyError) instead of going missing."""
    events = flows.monthly_events(db, actor)
    totals = events.groupby("key")["count"].sum() if not events.empty else pd.Series(dtype=int)
    values = {**kpis(db, actor).as_dict(), **{k: int(totals.get(k, 0)) for k in EVENT_KEYS},
              **headline(leaver_figures(monthly_leavers(db, actor)))}
    return {i.key: values[i.key] for i in INDICATORS}
