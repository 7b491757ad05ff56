"""The team lead's chart series (Lagebild): exact weekly and per-stage counts, in SQL.

Labels come from the indicator registry, so a series called "Zuweisungen" counts what the
registry defines as Zuweisungen. These are for the lead only in spirit: the council briefing
(db.figures.council) never draws from them. Each function returns a small aggregated table,
never a row per case, and never a personal field.
"""

from __future__ import annotations

from calendar import monthrange
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.sql.elements import True_

from ..accounts.permissions import case_scope, require_role
from ..actors import Actor
from ..casework.corrections import counted_change
from ..casework.team import CompanionLoad, Load, load_by_companion
from ..clock import today
from ..reporting.registry import label
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.recount import lead_figure
from ..store.models import (
    Activity,
    Case,
    CaseBarrier,
    Client,
    OfficeHourLocation,
    OfficeHourSession,
    Placement,
    PlanTarget,
    Position,
    StatusChange,
    User,
)
from ..store.sqlfunc import month_start, week_start
from ..vocabulary import ActivityKind, Barrier, CaseStatus, PlanMetric, Role
from .flows import AGGREGATE_ROLES


@dataclass(frozen=True)
class Period:
    """What the charts cover: a date range, optionally one town or one companion."""

    start: date = field(default_factory=lambda: today() - timedelta(weeks=10))
    end: date = field(default_factory=today)
    town: str | None = None
    companion_id: int | None = None

    def weeks(self) -> list[date]:
        first = self.start - timedelta(days=self.start.weekday())
        return [first + timedelta(weeks=i) for i in range((self.end - first).days // 7 + 1)]


def _scope(actor: Actor, period: Period) -> list[ColumnElement[bool]]:
    require_role(actor, *AGGREGATE_ROLES)
    conditions: list[ColumnElement[bool]] = [case_scope(actor, personal=False)]
    if period.town:
        conditions.append(Case.client_id.in_(select(Client.id).where(Client.town == period.town)))
    if period.companion_id is not None:
        conditions.append(Case.companion_id == period.companion_id)
    return conditions


def _weekly(session, date_col, conditions, period: Period, *joins) -> dict[date, int]:  # type: ignore[no-untyped-def]
    week = week_start(date_col)
    query = select(week, func.count()).select_from(Case)
    for target, on in joins:
        query = query.join(target, on)
    query = query.where(*conditions, date_col >= period.weeks()[0], date_col <= period.end)
    return {w: n for w, n in session.execute(query.group_by(week))}


# --- intake against plan -------------------------------------------------------------------

INTAKE_SERIES = {
    "referrals": label("referrals"),
    "interviews": label("interviews_held"),
    # Begun and not ended at the week's end: paused participants are in it, so it is not the
    # registry's "Teilnehmende" (In Begleitung and Nachbetreuung) and does not carry its name.
    "accompanied": "Teilnahme begonnen, nicht beendet (auch ruhend)",
}


@lead_figure
def intake(db: Database, actor: Actor, period: Period) -> pd.DataFrame:
    """Per week: referrals, first interviews held, people accompanied at the week's end; and
    the plan for each (monthly plan targets spread over the weeks)."""
    conditions = _scope(actor, period)
    weeks = period.weeks()
    with db.read() as session:
        referrals = _weekly(session, Case.referred_on, conditions, period)
        # Holding the Erstgespräch starts the accompaniment: an interview is dated by the day
        # accompaniment began, as in every other figure (db.figures.flows).
        started = interviews = _weekly(session, Case.start_date, conditions, period)
        # Accompanied at a week's end = started by then − ended by then: two weekly counts and
        # the totals before the first week, summed up here (no row per case leaves SQL).
        ended = _weekly(session, Case.end_date, [*conditions, Case.start_date.is_not(None)], period)
        before_started = session.scalar(
            select(func.count()).select_from(Case).where(*conditions, Case.start_date < weeks[0])) or 0
        before_ended = session.scalar(
            select(func.count()).select_from(Case).where(
                *conditions, Case.start_date.is_not(None), Case.end_date < weeks[0])) or 0
        targets = session.execute(
            select(PlanTarget.metric, PlanTarget.period_start, PlanTarget.period_end, PlanTarget.target)
            .where(PlanTarget.period_end >= weeks[0], PlanTarget.period_start <= period.end)
        ).all()

    rows = []
    level = before_started - before_ended
    for week in weeks:
        level += started.get(week, 0) - ended.get(week, 0)
        for key, value in (("referrals", referrals.get(week, 0)),
                           ("interviews", interviews.get(week, 0)), ("accompanied", level)):
            rows.append({"week": week, "series": INTAKE_SERIES[key], "kind": "Ist", "value": value})
        for metric, key in ((PlanMetric.REFERRALS, "referrals"),
                            (PlanMetric.FIRST_INTERVIEWS, "interviews"),
                            (PlanMetric.ACTIVE_CASES, "accompanied")):
            target = next((t for t in targets if t.metric == metric
                           and t.period_start <= week <= t.period_end), None)
            if target is None:
                continue
            value = target.target
            if key != "accompanied":  # a monthly number of events, spread over its weeks
                value = round(target.target * 7 / monthrange(week.year, week.month)[1], 1)
            rows.append({"week": week, "series": INTAKE_SERIES[key], "kind": "Plan", "value": value})
    return pd.DataFrame(rows, columns=["week", "series", "kind", "value"])


@lead_figure
def plan_now(db: Database, actor: Actor) -> dict[PlanMetric, int]:
    """This month's plan targets (for the tiles: figure / plan)."""
    require_role(actor, *AGGREGATE_ROLES)
    day = today()
    with db.read() as session:
        return dict(session.execute(
            select(PlanTarget.metric, PlanTarget.target)
            .where(PlanTarget.period_start <= day, PlanTarget.period_end >= day)).all())


# --- funnel --------------------------------------------------------------------------------

# Stages a referral reached (they overlap: one case passes several). Worded as "davon …" so that
# no stage reads like the status counts of the same name.
FUNNEL_STAGES = [
    "Zugewiesen im Zeitraum", "davon Erstgespräch vereinbart", "davon Erstgespräch geführt",
    "davon Arbeit aufgenommen", "davon beendet", "davon (auch) nicht erschienen",
    "davon Teilnahme abgelehnt", "davon heute Teilnehmende",
]


@lead_figure
def funnel(db: Database, actor: Actor, period: Period) -> pd.DataFrame:
    """How far the cases referred in the period got (each case counted once per stage)."""
    conditions = [*_scope(actor, period), Case.referred_on.between(period.start, period.end)]
    # Grouped by the status reached alone: a stage has several ways in (an interview planned
    # again after a no-show), and a case counts once per stage, not once per way.
    ever_reached = (CaseStatus.INTERVIEW_PLANNED, CaseStatus.NO_SHOW)
    with db.read() as session:
        reached = dict(session.execute(
            select(StatusChange.to_status, func.count(StatusChange.case_id.distinct()))
            .join(Case, StatusChange.case_id == Case.id)
            .where(*conditions, counted_change(), StatusChange.to_status.in_(ever_reached))
            .group_by(StatusChange.to_status)).all())
        now = dict(session.execute(
            select(Case.status, func.count()).where(*conditions).group_by(Case.status)).all())
        # Interviews and job starts from their own records, as everywhere (db.figures.flows):
        # an imported case has no status history to show them.
        held = session.scalar(select(func.count()).where(*conditions, Case.start_date.is_not(None))) or 0
        employed = session.scalar(select(func.count(Placement.case_id.distinct()))
                                  .join(Case, Placement.case_id == Case.id).where(*conditions)) or 0

    counts = [
        sum(now.values()),
        reached.get(CaseStatus.INTERVIEW_PLANNED, 0),
        held,
        employed,
        now.get(CaseStatus.CLOSED, 0),
        reached.get(CaseStatus.NO_SHOW, 0),
        now.get(CaseStatus.DECLINED, 0),
        now.get(CaseStatus.ACTIVE, 0) + now.get(CaseStatus.EMPLOYED, 0),
    ]
    return pd.DataFrame({"stage": FUNNEL_STAGES, "count": counts})


# --- caseload against capacity -------------------------------------------------------------


@until_data_change
def caseload_by_companion(db: Database, actor: Actor, period: Period) -> pd.DataFrame:
    """Per funded position: its caseload (accompanied + planned first interviews) and capacity.

    Positions not yet filled appear with no caseload, so growing capacity is visible. Labels are
    position titles; the lead also sees who holds a position (the council sees no names).
    """
    conditions = _scope(actor, period)
    show_names = actor.is_system or actor.role == Role.LEAD
    day = today()
    with db.read() as session:
        load = load_by_companion(session, *conditions)
        positions = session.execute(
            select(Position.title, Position.capacity, Position.funded_from, Position.holder_id,
                   User.display_name, User.start_date)
            .outerjoin(User, Position.holder_id == User.id)
            .order_by(Position.id)).all()
    rows = []
    for p in positions:
        if p.holder_id is None:
            state = f"offen, finanziert ab {p.funded_from:%d.%m.%Y}"
        elif p.start_date and p.start_date > day:
            state = f"beginnt am {p.start_date:%d.%m.%Y}"
        else:
            state = "im Dienst"
        label = f"{p.title} – {p.display_name}" if show_names and p.display_name else p.title
        rows.append({
            "position": label,
            "state": state,
            "accompanied": load.get(p.holder_id, Load()).accompanied,
            "planned": load.get(p.holder_id, Load()).planned,
            "outcome_missing": load.get(p.holder_id, Load()).outcome_missing,
            "capacity": p.capacity,
        })
    return pd.DataFrame(rows, columns=["position", "state", "accompanied", "planned", "outcome_missing",
                                       "capacity"])


def team_capacity(team: list[CompanionLoad], day: date) -> pd.DataFrame:
    """The Team table's companions in the capacity chart's form (charts.capacity_chart): their
    participants, inflow and cap – the very numbers of the table, not counted a second time."""
    return pd.DataFrame(
        [{"position": c.name,
          "state": f"beginnt am {c.start_date:%d.%m.%Y}" if c.start_date and c.start_date > day else "im Dienst",
          "accompanied": c.accompanied, "planned": c.planned, "outcome_missing": c.outcome_missing,
          "capacity": c.cap} for c in team],
        columns=["position", "state", "accompanied", "planned", "outcome_missing", "capacity"])


# --- barriers, contacts, office hours ------------------------------------------------------


@lead_figure
def barriers(db: Database, actor: Actor, period: Period) -> pd.DataFrame:
    """Barriers recorded on the cases in scope by the period's end, open or resolved on that day,
    every barrier of the catalogue in its fixed order."""
    conditions = [c for c in _scope(actor, period) if not isinstance(c, True_)]
    resolved = and_(CaseBarrier.resolved_on.is_not(None), CaseBarrier.resolved_on <= period.end)
    query = (select(CaseBarrier.barrier, func.count().filter(~resolved), func.count().filter(resolved))
             .where(*conditions, CaseBarrier.noted_on <= period.end).group_by(CaseBarrier.barrier))
    if conditions:  # every case in scope (the lead, unfiltered): counted from the index alone
        query = query.join(Case, CaseBarrier.case_id == Case.id)
    with db.read() as session:
        counts = {b: (o, r) for b, o, r in session.execute(query)}
    frame = pd.DataFrame(
        [{"barrier": b.label, "open": counts.get(b, (0, 0))[0], "resolved": counts.get(b, (0, 0))[1]}
         for b in Barrier], columns=["barrier", "open", "resolved"])
    return frame.assign(total=frame["open"] + frame["resolved"])


@lead_figure
def contacts(db: Database, actor: Actor, period: Period) -> pd.DataFrame:
    """Logged contacts per type and week (home visits, workplace visits, accompaniments …).

    Counted per day and kind in SQL – from the index ix_activities_day_kind alone, without
    touching the cases unless a filter or the role needs them – and summed into weeks here."""
    conditions = [c for c in _scope(actor, period) if not isinstance(c, True_)]
    query = (select(Activity.occurred_on, Activity.kind, func.count())
             .where(Activity.occurred_on.between(period.weeks()[0], period.end)))
    if conditions:
        query = query.join(Case, Activity.case_id == Case.id).where(*conditions)
    weekly: Counter[tuple[date, ActivityKind]] = Counter()
    with db.read() as session:
        for day, kind, n in session.execute(query.group_by(Activity.occurred_on, Activity.kind)):
            weekly[(day - timedelta(days=day.weekday()), ActivityKind(kind))] += n
    return pd.DataFrame([{"week": week, "kind": kind.label, "count": n}
                         for (week, kind), n in sorted(weekly.items(), key=lambda item: (item[0][0], item[0][1].value))],
                        columns=["week", "kind", "count"])


@lead_figure
def office_hours(db: Database, actor: Actor, period: Period) -> pd.DataFrame:
    """Visitors and first interviews arranged per office-hour location and month."""
    require_role(actor, *AGGREGATE_ROLES)
    month = month_start(OfficeHourSession.held_on)
    query = (
        select(month, OfficeHourLocation.town, func.sum(OfficeHourSession.visitors),
               func.sum(OfficeHourSession.first_interviews), func.count())
        .join(OfficeHourLocation, OfficeHourSession.location_id == OfficeHourLocation.id)
        .where(OfficeHourSession.held_on.between(period.start, period.end))
        .group_by(month, OfficeHourLocation.town)
    )
    if period.town:
        query = query.where(OfficeHourLocation.town == period.town)
    with db.read() as session:
        rows = session.execute(query).all()
    return pd.DataFrame(
        [{"month": m, "town": t, "visitors": int(v or 0), "first_interviews": int(f or 0), "sessions": n}
         for m, t, v, f, n in rows],
        columns=["month", "town", "visitors", "first_interviews", "sessions"])
