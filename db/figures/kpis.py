"""Headline stocks and staff figures on a day, counted in SQL. What each one means is written
in the indicator registry (db.reporting.registry); aggregates only, no personal field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

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


# The two stocks that are not a status: what is late, by the rules of db/casework/overdue.py.
LATE = {"overdue_next_steps": step_overdue, "interviews_outcome_missing": outcome_missing}
STOCK_KEYS = tuple(i.key for i in INDICATORS if i.kind is Kind.STOCK and (i.statuses or i.key in LATE))


def _stocks(session: Session, scope: ColumnElement[bool], keys: Iterable[str]) -> dict[str, int]:
    """The registry's stocks under `keys` (of STOCK_KEYS) for the cases in scope, in one
    statement. The one place of the rule that an interview whose day passed without an outcome
    is no longer planned: kpis and the case list's caption both count here, so their figures
    cannot drift apart."""
    now = today()
    keys = tuple(keys)
    by_key = {i.key: i.statuses for i in INDICATORS if i.key in keys and i.kind is Kind.STOCK and i.statuses}
    statuses = [s for s in CaseStatus if any(s in group for group in by_key.values())]
    late_keys = [k for k in LATE if k in keys or (k == "interviews_outcome_missing"
                                                 and CaseStatus.INTERVIEW_PLANNED in statuses)]
    late = [LATE[k](now) for k in late_keys]
    query = select(*(func.count().filter(Case.status == s) for s in statuses),
                   *(func.count().filter(c) for c in late)).where(scope)
    if len(statuses) < len(CaseStatus):
        # Only the rows a figure counts: read from the indexes on status and due day instead of
        # every case ever referred (the closed ones grow with the years).
        query = query.where(or_(Case.status.in_(statuses), *late))
    counts = [n or 0 for n in session.execute(query).one()]
    by_status = dict(zip(statuses, counts, strict=False))
    figures = dict(zip(late_keys, counts[len(statuses):], strict=True))
    # An interview whose day passed without an outcome is no longer planned (db/casework/overdue.py).
    if CaseStatus.INTERVIEW_PLANNED in by_status:
        by_status[CaseStatus.INTERVIEW_PLANNED] -= figures["interviews_outcome_missing"]
    figures |= {key: sum(by_status[s] for s in group) for key, group in by_key.items()}
    return {key: figures[key] for key in keys}


@lead_figure
def kpis(db: Database, actor: Actor, *, companion_id: int | None = None) -> Kpis:
    """Stocks today by status (as the registry defines them) and staff. Companions always get
    their own caseload."""
    scope = case_scope(actor, personal=False)
    if companion_id is not None:
        scope = and_(scope, Case.companion_id == companion_id)
    now = today()
    with db.read() as session:
        stocks = _stocks(session, scope, STOCK_KEYS)
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
    return Kpis(
        **stocks,
        incomplete_participants=incomplete,
        companions_working=working or 0,
        companions_starting=starting or 0,
        positions_total=positions_total or 0,
        positions_open=positions_open or 0,
        companions_over_cap=over_cap,
    )


# What the case list's caption shows: the list's own stocks and what is late in it.
CASE_LIST_KEYS = ("active_cases", "planned_first_interviews", "employed", "overdue_next_steps",
                  "interviews_outcome_missing")


def case_list_figures(db: Database, actor: Actor) -> dict[str, int]:
    """The figures of the case list's caption (CASE_LIST_KEYS), the same values as kpis' under
    those keys, in one statement: no staff, positions or caps (a group-by over every case) the
    caption does not show. For a companion exact and uncached: under load the data stamp moves
    with every companion's change and a cache would miss anyway, so the stamp's read would be a
    statement more. For a team lead the count runs over every case (at 100,000 cases tens of
    milliseconds on each click of the list): a lead figure like the Lagebild's – the last count
    at once, recounted off the request path, and the page says when it was counted."""
    if actor.role == Role.LEAD:
        return _shared_case_list_figures(db, actor)
    return _count_case_list(db, actor)


def _count_case_list(db: Database, actor: Actor) -> dict[str, int]:
    with db.read() as session:
        return _stocks(session, case_scope(actor, personal=False), CASE_LIST_KEYS)


_shared_case_list_figures = lead_figure(_count_case_list)


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
