"""Handlungsbedarf: the lead's work list on the start page – who is over capacity, which next
steps are overdue, which interviews lack an outcome, which referrals nobody took on. Each item
names the person and leads to the case; the rules come from db/casework/overdue.py and db/casework/team.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, null, select
from sqlalchemy.orm import aliased

from ..accounts.permissions import require_role
from ..actors import Actor
from ..clock import today
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.models import Case, Client, User
from ..vocabulary import CaseStatus, Role
from .overdue import outcome_missing, step_overdue
from .team import CompanionLoad, caseloads

# A referral should be taken on within three working days (the programme's promise to the
# Fallmanager); after that it is the lead's to assign.
UNASSIGNED_WORKING_DAYS = 3
SHOWN = 10  # items per group on the start page; the count says how many there are in all


@dataclass(frozen=True)
class WorkItem:
    case_id: int
    client_name: str
    companion: str | None
    day: date  # due day, interview day or referral day
    text: str | None = None

    def __deepcopy__(self, memo: dict) -> WorkItem:
        return self  # frozen, of ints, texts and dates


@dataclass(frozen=True)
class WorkGroup:
    items: tuple[WorkItem, ...]
    total: int

    def __deepcopy__(self, memo: dict) -> WorkGroup:
        return self  # frozen all the way down: nothing a caller could change


@dataclass(frozen=True)
class WorkList:
    over_capacity: tuple[CompanionLoad, ...]  # over the cap now, or once their inflow starts
    overdue_steps: WorkGroup
    outcome_missing: WorkGroup
    unassigned: WorkGroup

    def __deepcopy__(self, memo: dict) -> WorkList:
        # Frozen records of ints, texts and dates in tuples: the cached list is handed out as it
        # is (db.store.memo copies every result; a copy of this one was a millisecond a Lagebild).
        return self

    @property
    def empty(self) -> bool:
        return not (self.over_capacity or self.overdue_steps.total or self.outcome_missing.total
                    or self.unassigned.total)


def working_days_before(day: date, count: int) -> date:
    """The day `count` working days (Monday to Friday) before `day`."""
    while count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


@until_data_change  # the Lagebild reruns on every click; seven queries only when data changed
def needs_action(db: Database, actor: Actor) -> WorkList:
    require_role(actor, Role.LEAD)
    now = today()
    companion = aliased(User)

    def group(session, condition: ColumnElement[bool], day_column, text_column=None) -> WorkGroup:  # type: ignore[no-untyped-def]
        total = session.scalar(select(func.count()).select_from(Case).where(condition)) or 0
        rows = session.execute(
            select(Case.id, Client.first_name, Client.last_name, companion.display_name, day_column,
                   text_column if text_column is not None else null())
            .join(Client, Case.client_id == Client.id)
            .outerjoin(companion, Case.companion_id == companion.id)
            .where(condition).order_by(day_column, Case.id).limit(SHOWN))
        items = tuple(WorkItem(r[0], f"{r[1]} {r[2]}", r[3],
                               r[4].date() if isinstance(r[4], datetime) else r[4], r[5]) for r in rows)
        return WorkGroup(items, total)

    stale = (Case.status == CaseStatus.REFERRED) & Case.companion_id.is_(None) & (
        Case.referred_on < working_days_before(now, UNASSIGNED_WORKING_DAYS))
    with db.read() as session:
        return WorkList(
            over_capacity=tuple(load for load in caseloads(session) if load.state.marked),
            overdue_steps=group(session, step_overdue(now), Case.next_step_due, Case.next_step),
            outcome_missing=group(session, outcome_missing(now), Case.first_interview_at),
            unassigned=group(session, stale, Case.referred_on),
        )
