"""Events per calendar month, counted in SQL: the raw material of every period figure.

Each event is dated on the day it happened (the interview's date, the job's first day, the
case's end), and grouped by its month; a period's figure is the sum of its months. That makes
every period – and every difference between nested periods – add up exactly.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.sql.elements import True_

from ..accounts.permissions import case_scope, require_role
from ..actors import Actor
from ..casework.corrections import counted_change
from ..results.indicators import monthly_leavers
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.recount import lead_figure
from ..store.models import (
    Activity,
    Case,
    CaseBarrier,
    OfficeHourLocation,
    OfficeHourSession,
    Placement,
    StatusChange,
)
from ..store.sqlfunc import month_start
from ..vocabulary import CaseStatus, ExitResult, Role

AGGREGATE_ROLES = (Role.LEAD, Role.COUNCIL)

# Where a leaver went (the result at 28 days, db/results), in the groups published. The first
# two count towards the Land's target (work or training); Minijobs are reported separately.
EXIT_WORK = "In Arbeit (ohne Minijob)"
EXIT_TRAINING = "In Ausbildung"
EXIT_MINIJOB = "In einem Minijob"
EXIT_OTHER = "Sonstiger oder noch offener Verbleib"
EXIT_RESULTS = (EXIT_WORK, EXIT_TRAINING, EXIT_MINIJOB, EXIT_OTHER)
INTO_WORK_OR_TRAINING = (EXIT_WORK, EXIT_TRAINING)
_GROUP = {ExitResult.EMPLOYED.value: EXIT_WORK, ExitResult.SELF_EMPLOYED.value: EXIT_WORK,
          ExitResult.EDUCATION.value: EXIT_TRAINING, ExitResult.MINIJOB.value: EXIT_MINIJOB}


def exit_group(result: str | None) -> str:
    return _GROUP.get(result or "", EXIT_OTHER)


def share_into_work_or_training(by_result: dict[str, int]) -> float | None:
    """Percent of leavers in work or training (the Land's indicator); None without leavers."""
    total = sum(by_result.get(r, 0) for r in EXIT_RESULTS)
    if total == 0:
        return None
    return 100 * sum(by_result.get(r, 0) for r in INTO_WORK_OR_TRAINING) / total


def _scope(actor: Actor, companion_id: int | None) -> list[ColumnElement[bool]]:
    require_role(actor, *AGGREGATE_ROLES)
    conditions: list[ColumnElement[bool]] = [case_scope(actor, personal=False)]
    if companion_id is not None:
        conditions.append(Case.companion_id == companion_id)
    return conditions


def programme_start(db: Database) -> date | None:
    """The programme's first day: its first referral or its first office hour, whichever came
    first (office hours may open before anyone is referred). Figures "seit Programmstart" count
    from its month, and the council's calendar releases every quarter from its quarter on – so a
    year is the sum of the quarters released for it (db.figures.revisions.year_links tells the
    audit so; an office hour before the first referral's quarter counted in the year alone)."""
    with db.read() as session:
        days = session.execute(select(select(func.min(Case.referred_on)).scalar_subquery(),
                                      select(func.min(OfficeHourSession.held_on)).scalar_subquery())).one()
    return min((day for day in days if day is not None), default=None)


@lead_figure
def monthly_events(db: Database, actor: Actor, companion_id: int | None = None) -> pd.DataFrame:
    """Referrals, first interviews held and job starts per month: columns month, key, count.

    Each event is dated by its own record, wherever the case came from (a form, a status button,
    the import): a referral by its day, an interview by the day accompaniment began (holding the
    Erstgespräch sets it), a job start by the placement's first working day."""
    # Every case in scope (the lead, unfiltered): no condition, and job starts counted from the
    # placements' index alone, without a join.
    conditions = [c for c in _scope(actor, companion_id) if not isinstance(c, True_)]
    rows: list[tuple[date, str, int]] = []
    with db.read() as session:
        for key, day, joined in (("referrals", Case.referred_on, None),
                                 ("interviews_held", Case.start_date, None),
                                 ("job_starts", Placement.start_date, Placement)):
            # Per day first – in the index's order, no date arithmetic per case – then the
            # few hundred days into their months (issue 42: SQLite's date() per row was most
            # of the cost).
            per_day = select(day.label("day"), func.count().label("n")).where(*conditions, day.is_not(None))
            if joined is not None and conditions:
                per_day = per_day.select_from(joined).join(Case, joined.case_id == Case.id)
            days = per_day.group_by(day).subquery("per_day")
            month = month_start(days.c.day)
            query = select(month, cast(func.sum(days.c.n), Integer)).group_by(month)
            rows += [(m, key, n) for m, n in session.execute(query)]
    return pd.DataFrame(rows, columns=["month", "key", "count"])


def monthly_exits(db: Database, actor: Actor, companion_id: int | None = None) -> pd.DataFrame:
    """Counted leavers per month by published result group: columns month, result, count."""
    frame = monthly_leavers(db, actor, companion_id)
    if frame.empty:
        return pd.DataFrame(columns=["month", "result", "count"])
    grouped = frame.assign(result=frame["result"].map(exit_group)).groupby(
        ["month", "result"], as_index=False)["count"].sum()
    return grouped[["month", "result", "count"]]


@until_data_change
def monthly_barriers(db: Database, actor: Actor) -> pd.DataFrame:
    """Barriers recorded and resolved per month: columns month, barrier, state, count."""
    conditions = _scope(actor, None)
    rows: list[tuple[date, str, str, int]] = []
    with db.read() as session:
        for state, column in (("noted", CaseBarrier.noted_on), ("resolved", CaseBarrier.resolved_on)):
            month = month_start(column)
            rows += [(m, b, state, n) for m, b, n in session.execute(
                select(month, CaseBarrier.barrier, func.count())
                .join(Case, CaseBarrier.case_id == Case.id)
                .where(*conditions, column.is_not(None)).group_by(month, CaseBarrier.barrier))]
    return pd.DataFrame(rows, columns=["month", "barrier", "state", "count"])


@until_data_change
def monthly_contacts(db: Database, actor: Actor) -> pd.DataFrame:
    """Contacts per month and kind: columns month, kind, count."""
    conditions = _scope(actor, None)
    month = month_start(Activity.occurred_on)
    with db.read() as session:
        rows = session.execute(
            select(month, Activity.kind, func.count()).join(Case, Activity.case_id == Case.id)
            .where(*conditions).group_by(month, Activity.kind)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["month", "kind", "count"])


@until_data_change
def monthly_visitors(db: Database, actor: Actor) -> pd.DataFrame:
    """Office-hour visitors per month and place: columns month, town, count."""
    require_role(actor, *AGGREGATE_ROLES)
    month = month_start(OfficeHourSession.held_on)
    with db.read() as session:
        rows = session.execute(
            select(month, OfficeHourLocation.town, func.sum(OfficeHourSession.visitors))
            .join(OfficeHourLocation, OfficeHourSession.location_id == OfficeHourLocation.id)
            .group_by(month, OfficeHourLocation.town)).all()
    return pd.DataFrame([(m, t, int(v or 0)) for m, t, v in rows], columns=["month", "town", "count"])


@until_data_change
def statuses_on(db: Database, actor: Actor, day: date) -> dict[CaseStatus, int]:
    """Cases by their status at the end of `day` (Stichtag), read from the status history: the
    newest counted change on or before that day. A stock of a closed period, unlike the
    case's current status, does not move when the case moves on."""
    history = _history_on(actor, day)
    with db.read() as session:
        rows = session.execute(select(history.c.status, func.count())
                               .where(history.c.n == 1).group_by(history.c.status)).all()
    return {CaseStatus(s): n for s, n in rows}


@until_data_change
def interviews_overdue_on(db: Database, actor: Actor, day: date) -> int:
    """Cases planned for a first interview at the end of `day` whose appointment lay before that
    day: held, missed or cancelled, nobody had said (db.casework.overdue.outcome_missing). Like
    the Lagebild, a stock of planned interviews leaves them out. The appointment is the case's
    recorded one: a later new appointment moves the case back into the stock."""
    history = _history_on(actor, day)
    with db.read() as session:
        return session.scalar(
            select(func.count()).select_from(history).join(Case, Case.id == history.c.case_id)
            .where(history.c.n == 1, history.c.status == CaseStatus.INTERVIEW_PLANNED,
                   Case.first_interview_at < datetime.combine(day, time.min))) or 0


def _history_on(actor: Actor, day: date):  # type: ignore[no-untyped-def]
    """Each case's status changes up to `day`, newest numbered 1."""
    newest = func.row_number().over(partition_by=StatusChange.case_id,
                                    order_by=(StatusChange.changed_on.desc(), StatusChange.id.desc()))
    return (select(StatusChange.case_id.label("case_id"), StatusChange.to_status.label("status"),
                   newest.label("n"))
            .join(Case, StatusChange.case_id == Case.id)
            .where(*_scope(actor, None), counted_change(), StatusChange.changed_on <= day).subquery())


def office_hour_towns(db: Database) -> list[str]:
    """Places in their catalogue order (as entered), every one listed even without visitors."""
    with db.read() as session:
        return list(session.scalars(select(OfficeHourLocation.town).order_by(OfficeHourLocation.id)))
