"""Team & Stellen: companions and their caseload, funded positions, and when capacity grows.

The article's team: one companion working, one starting soon, two more positions funded from
April. Positions and capacities are the lead's to keep; nobody else sees them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.orm import Session

from ..accounts.permissions import require_role
from ..accounts.users import FULL_TIME_CAP
from ..actors import Actor
from ..clock import today
from ..errors import ValidationError
from ..store.audit import save_audited
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.recount import lead_figure
from ..store.models import Case, PlanTarget, Position, User
from ..validation import optional_text, required_text
from ..vocabulary import CaseStatus, PlanMetric, PositionState, Role
from .overdue import outcome_missing
from .workflow import ACCOMPANIED

# The one definition of capacity (the Land's limit, FULL_TIME_CAP, sits with the account that
# carries a companion's own capacity): a full-time companion accompanies at most 20 participants
# (In Begleitung and in Nachbetreuung) at a time. A companion's own capacity (set by the lead,
# proportionally lower for part-time) replaces it, never raises it. Planned first interviews are
# the inflow ("Zulauf"), shown beside the participants, not counted in them.
MAX_CAPACITY = FULL_TIME_CAP
# What a select box on a 390 px phone shows of a chosen option, inside a card (measured:
# tests/test_chart_fit.py, the assignment choice).
CHOICE_CHARS = 40


class CapacityState(Enum):
    """Where a companion stands against their cap: (mark in words, the short form a chart row
    has room for, the shortest for a select-box option on a phone)."""
    WITHIN = ("", "", "")
    FULL = ("voll", "voll", "voll")
    OVER_ONCE_INFLOW_STARTS = ("über der Kapazität, sobald der Zulauf beginnt", "mit Zulauf über Kapazität",
                               "bald zu voll")
    OVER = ("über der Kapazität", "über Kapazität", "zu voll")

    @property
    def text(self) -> str:
        return self.value[0]

    @property
    def short(self) -> str:
        return self.value[1]

    @property
    def tiny(self) -> str:
        return self.value[2]

    @property
    def marked(self) -> bool:
        """Whether the lead is to be told: over capacity now or once the inflow has started."""
        return self in (CapacityState.OVER, CapacityState.OVER_ONCE_INFLOW_STARTS)


def capacity_state(accompanied: int, inflow: int, cap: int) -> CapacityState:
    """The one rule for over capacity (every page, chart and option asks this): over when the
    participants exceed the cap; over once the inflow starts when participants and inflow
    together would; full when the participants reach the cap exactly."""
    if accompanied > cap:
        return CapacityState.OVER
    if accompanied + inflow > cap:
        return CapacityState.OVER_ONCE_INFLOW_STARTS
    if accompanied == cap:
        return CapacityState.FULL
    return CapacityState.WITHIN


def cap_of(own_capacity: int | None) -> int:
    """A companion's cap: their own capacity where the lead set one, never above the Land's."""
    return min(own_capacity or FULL_TIME_CAP, FULL_TIME_CAP)


@dataclass(frozen=True)
class Load:
    accompanied: int = 0  # participants: what counts against capacity
    planned: int = 0  # first interviews from today on
    outcome_missing: int = 0  # first interviews past without an outcome: still the companion's

    @property
    def inflow(self) -> int:
        """Zulauf: first interviews to come or without an outcome – beside capacity, not in it."""
        return self.planned + self.outcome_missing


def load_by_companion(session: Session, *conditions: ColumnElement[bool]) -> dict[int | None, Load]:
    """Accompanied cases, planned first interviews and those without an outcome per companion,
    in one grouped query (the Team page and the Lagebild's capacity chart both count this way)."""
    missing = outcome_missing(today())
    rows = session.execute(
        select(Case.companion_id,
               func.count(case((Case.status.in_(ACCOMPANIED), 1))),
               func.count(case((and_(Case.status == CaseStatus.INTERVIEW_PLANNED, not_(missing)), 1))),
               func.count(case((missing, 1))))
        .where(*conditions, Case.status.in_((*ACCOMPANIED, CaseStatus.INTERVIEW_PLANNED)))
        .group_by(Case.companion_id))
    return {companion: Load(*counts) for companion, *counts in rows}


@dataclass(frozen=True)
class CompanionLoad:
    id: int
    name: str
    start_date: date | None
    capacity: int | None
    accompanied: int
    planned: int
    outcome_missing: int = 0

    def __deepcopy__(self, memo: dict) -> CompanionLoad:
        return self  # frozen, of ints, texts and dates: the cached caseloads need no copy per run

    @property
    def inflow(self) -> int:
        return self.planned + self.outcome_missing

    @property
    def cap(self) -> int:
        return cap_of(self.capacity)

    @property
    def cap_label(self) -> str:
        """"20", or "15 (eigene Kapazität)" where the lead set a lower one (part-time)."""
        return str(self.cap) if self.cap == FULL_TIME_CAP else f"{self.cap} (eigene Kapazität)"

    @property
    def state(self) -> CapacityState:
        return capacity_state(self.accompanied, self.inflow, self.cap)

    @property
    def over_cap(self) -> bool:
        return self.state == CapacityState.OVER

    @property
    def load_text(self) -> str:
        """"11 Teilnehmende bei Kapazität 20, Zulauf 20" – the one wording on every page."""
        text = f"{self.accompanied} Teilnehmende bei Kapazität {self.cap_label}"
        return text + (f", Zulauf {self.inflow}" if self.inflow else "")

    @property
    def mark_text(self) -> str:
        """"Bianca Begleitmann: über der Kapazität, sobald der Zulauf beginnt (11 Teilnehmende bei
        Kapazität 20, Zulauf 20)" – for the lead's warnings; empty when nothing is to be said."""
        return f"{self.name}: {self.state.text} ({self.load_text})" if self.state.marked else ""

    @property
    def full(self) -> bool:
        """One more participant would take the companion above capacity."""
        return self.accompanied >= self.cap

    def choice_label(self, day: date, most: int | None = CHOICE_CHARS) -> str:
        """How the companion appears where a case is assigned: the name, participants of cap,
        the inflow ("+20"), the mark, and the first day if not yet at work – "Bianca Begleitmann ·
        11/20 +20 · bald zu voll". A select box on a phone shows CHOICE_CHARS characters (the
        text was cut at "…0/20 Teilnehm…"): the figures give way first, the mark never (and a
        name is never cut). A choice that wraps (`most=None`: the one-tap options) keeps them
        all. What the figures mean says the choice's help text."""
        mark = [self.state.tiny] if self.state != CapacityState.WITHIN else []
        start = [f"ab {self.start_date:%d.%m.}"] if self.start_date is not None and self.start_date > day else []
        load = f"{self.accompanied}/{self.cap}"
        forms = [[self.name, load + (f" +{self.inflow}" if self.inflow else ""), *mark, *start],
                 [self.name, load, *mark, *start], [self.name, *mark, *start]]
        labels = [" · ".join(form) for form in forms]
        return next((text for text in labels if most is None or len(text) <= most), labels[-1])


@until_data_change
def companion_caseloads(db: Database, actor: Actor) -> list[CompanionLoad]:
    """Each active companion with capacity and current caseload (counted in SQL; once per
    change of the data)."""
    require_role(actor, Role.LEAD)
    with db.read() as session:
        return caseloads(session)


def assignment_choices(db: Database, actor: Actor) -> list[CompanionLoad]:
    """Who a referral can go to, with their load: a lead sees the team, a companion only
    themself (they may take a referral over, not hand it to a colleague)."""
    require_role(actor, Role.LEAD, Role.COMPANION)
    with db.read() as session:
        return caseloads(session, only=actor.id if actor.role == Role.COMPANION else None)


def caseloads(session: Session, *, only: int | None = None) -> list[CompanionLoad]:
    one = [] if only is None else [Case.companion_id == only]
    loads = load_by_companion(session, *one)
    companions = session.execute(
        select(User.id, User.display_name, User.start_date, User.capacity)
        .where(User.role == Role.COMPANION, User.active.is_(True),
               *([] if only is None else [User.id == only]))
        .order_by(User.start_date.nulls_first(), User.display_name)).all()
    return [CompanionLoad(uid, name, start, capacity, load.accompanied, load.planned, load.outcome_missing)
            for uid, name, start, capacity in companions for load in [loads.get(uid, Load())]]


@dataclass(frozen=True)
class PositionRow:
    id: int
    title: str
    state: PositionState
    funded_from: date
    holder_id: int | None
    holder_name: str | None
    holder_start: date | None
    capacity: int
    note: str | None

    @property
    def working_from(self) -> date | None:
        """From when the position adds capacity: its holder's first day (never before funding)."""
        if self.holder_id is None:
            return None
        return max(self.funded_from, self.holder_start or self.funded_from)


def list_positions(db: Database, actor: Actor) -> list[PositionRow]:
    require_role(actor, Role.LEAD)
    with db.read() as session:
        rows = session.execute(
            select(Position.id, Position.title, Position.state, Position.funded_from,
                   Position.holder_id, User.display_name, User.start_date, Position.capacity,
                   Position.note)
            .outerjoin(User, Position.holder_id == User.id)
            .order_by(Position.id)).all()
    return [PositionRow(*row) for row in rows]


@dataclass(frozen=True)
class PositionInput:
    title: str
    state: PositionState
    funded_from: date | None
    capacity: int
    holder_id: int | None = None
    note: str | None = None


def save_position(db: Database, actor: Actor, data: PositionInput, position_id: int | None = None) -> int:
    """Create (position_id None) or change a funded position. Leads only."""
    require_role(actor, Role.LEAD)
    try:
        state = PositionState(data.state)
    except ValueError:
        raise ValidationError("Unbekannter Stand der Stelle.", "state") from None
    if data.funded_from is None:
        raise ValidationError("Bitte angeben, ab wann die Stelle finanziert ist.", "funded_from")
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise ValidationError(f"Kapazität muss zwischen 1 und {MAX_CAPACITY} Teilnehmenden liegen "
                              "(höchstens 20 je Vollzeitstelle).", "capacity")
    if state == PositionState.FILLED and data.holder_id is None:
        raise ValidationError("Eine besetzte Stelle braucht eine Begleiterin oder einen Begleiter.", "holder")
    if state != PositionState.FILLED and data.holder_id is not None:
        raise ValidationError("Nur eine besetzte Stelle hat eine Inhaberin oder einen Inhaber.", "holder")
    values = {
        "title": required_text(data.title, "title", "Bezeichnung"),
        "state": state,
        "funded_from": data.funded_from,
        "capacity": data.capacity,
        "holder_id": data.holder_id,
        "note": optional_text(data.note, "note", "Hinweis", 500),
    }
    with db.write() as session:
        if data.holder_id is not None:
            holder = session.get(User, data.holder_id)
            if holder is None or holder.role != Role.COMPANION or not holder.active:
                raise ValidationError("Keine aktive Person mit der Rolle „Integrationsbegleitung“.", "holder")
            other = session.scalar(select(Position.title).where(
                Position.holder_id == data.holder_id, Position.id != position_id))
            if other is not None:
                raise ValidationError(f"{holder.display_name} hat bereits die Stelle „{other}“.", "holder")
        return save_audited(session, actor, Position, "position", position_id, values,
                            missing="Diese Stelle gibt es nicht.")


# --- forecast ----------------------------------------------------------------------------------

FORECAST_SERIES = {
    "staffed": "Kapazität (besetzte Stellen)",
    "funded": "Kapazität (alle finanzierten Stellen)",
    "participants": "Teilnehmende heute",
    "with_inflow": "Teilnehmende und Zulauf heute",
    "plan": "Plan: in Begleitung",
}


def _months(start: date, count: int) -> list[date]:
    first = start.replace(day=1)
    return [date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range(count)]


@lead_figure  # counts and capacities only: no name leaves list_positions
def capacity_forecast(db: Database, actor: Actor, months: int = 12) -> pd.DataFrame:
    """Per month ahead: capacity of the staffed and of all funded positions, against today's
    participants (what counts against capacity), participants and inflow together, and the plan
    for accompanied cases – the sums of the companions' table (caseloads), so chart and table
    agree. A position counts in a month from its first day in that month on (a holder starting
    on the 15th adds capacity to that month)."""
    positions = list_positions(db, actor)
    with db.read() as session:
        team = caseloads(session)
        participants = sum(c.accompanied for c in team)
        with_inflow = participants + sum(c.inflow for c in team)
        targets = session.execute(select(PlanTarget.period_start, PlanTarget.period_end, PlanTarget.target)
                                  .where(PlanTarget.metric == PlanMetric.ACTIVE_CASES)).all()
    rows = []
    for month in _months(today(), months):
        month_end = _months(month, 2)[1]
        staffed = sum(p.capacity for p in positions if p.working_from and p.working_from < month_end)
        funded = sum(p.capacity for p in positions if p.funded_from < month_end)
        rows += [{"month": month, "series": FORECAST_SERIES["staffed"], "value": staffed},
                 {"month": month, "series": FORECAST_SERIES["funded"], "value": funded},
                 {"month": month, "series": FORECAST_SERIES["participants"], "value": participants},
                 {"month": month, "series": FORECAST_SERIES["with_inflow"], "value": with_inflow}]
        plan = next((t.target for t in targets if t.period_start <= month <= t.period_end), None)
        if plan is not None:
            rows.append({"month": month, "series": FORECAST_SERIES["plan"], "value": plan})
    return pd.DataFrame(rows, columns=["month", "series", "value"])
