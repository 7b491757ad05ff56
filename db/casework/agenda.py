"""A companion's agenda: planned first interviews and due next steps, day by day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import aliased

from ..accounts.permissions import case_scope, require_role
from ..actors import Actor
from ..clock import today
from ..programme.locations import interview_place
from ..store.database import Database
from ..store.models import Case, Client, OfficeHourLocation, User
from ..vocabulary import CaseStatus, Role
from .overdue import interview_outcome_missing, outcome_missing, step_overdue
from .workflow import OPEN_STATUSES

# Made once: an alias built per call adapts every column of users anew (issue 42, as in caseload).
_COMPANION = aliased(User, name="companion")


@dataclass(frozen=True)
class AgendaItem:
    day: date
    at: datetime | None  # a time for appointments, None for a due next step
    kind: str  # "interview" or "next_step"
    case_id: int
    version: int
    client_name: str
    client_number: str
    companion: str | None
    place: str | None
    text: str | None
    overdue: bool  # a next step due before today, or an interview whose day has passed
    outcome_missing: bool = False  # the interview's day passed without an outcome


@dataclass(frozen=True)
class AgendaCounts:
    """The line above Termine: "2 überfällig · 1 Ergebnis fehlt · 19 Erstgespräche"."""
    overdue_steps: int
    outcome_missing: int
    interviews: int  # planned in the window, from today on


def _conditions(actor: Actor, companion_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [case_scope(actor), Case.companion_id.is_not(None)]
    if companion_id is not None:
        conditions.append(Case.companion_id == companion_id)
    return conditions


def agenda_counts(db: Database, actor: Actor, *, companion_id: int | None = None,
                  days: int = 2) -> AgendaCounts:
    """What needs doing, counted in SQL (the list below may be cut at its limit)."""
    require_role(actor, Role.COMPANION, Role.LEAD)
    start = today()
    end = datetime.combine(start + timedelta(days=days), datetime.min.time())
    upcoming = and_(Case.status == CaseStatus.INTERVIEW_PLANNED,
                    Case.first_interview_at >= datetime.combine(start, datetime.min.time()),
                    Case.first_interview_at < end)
    with db.read() as session:
        row = session.execute(select(
            func.count().filter(step_overdue(start)), func.count().filter(outcome_missing(start)),
            func.count().filter(upcoming)).where(*_conditions(actor, companion_id))).one()
    return AgendaCounts(*row)


def agenda(
    db: Database,
    actor: Actor,
    *,
    companion_id: int | None = None,
    days: int = 14,
    limit: int = 200,
) -> list[AgendaItem]:
    """First interviews and next steps due in the window, and everything overdue before it
    (next steps past their day, interviews without outcome)."""
    require_role(actor, Role.COMPANION, Role.LEAD)
    start = today()
    end = start + timedelta(days=days)
    companion = _COMPANION
    conditions = _conditions(actor, companion_id)
    due = or_(
        and_(
            Case.status == CaseStatus.INTERVIEW_PLANNED,
            Case.first_interview_at < datetime.combine(end, datetime.min.time()),
        ),
        and_(Case.status.in_(OPEN_STATUSES), Case.next_step_due < end),
    )
    query = (
        select(
            Case.id, Case.version, Case.status, Case.first_interview_at, Case.next_step,
            Case.next_step_due, Client.first_name, Client.last_name, Client.client_number,
            companion.display_name, OfficeHourLocation.town,
        )
        .join(Client, Case.client_id == Client.id)
        .outerjoin(companion, Case.companion_id == companion.id)
        .outerjoin(OfficeHourLocation, Case.first_interview_location_id == OfficeHourLocation.id)
        .where(*conditions, due)
        .limit(limit)
    )
    items: list[AgendaItem] = []
    with db.read() as session:
        for r in session.execute(query):
            name = f"{r.first_name} {r.last_name}"
            if r.status == CaseStatus.INTERVIEW_PLANNED and r.first_interview_at is not None:
                when = r.first_interview_at
                items.append(AgendaItem(
                    day=when.date(), at=when, kind="interview", case_id=r.id, version=r.version,
                    client_name=name, client_number=r.client_number, companion=r.display_name,
                    place=interview_place(r.town), text=None,
                    overdue=when.date() < start,
                    outcome_missing=interview_outcome_missing(when, r.status, start),
                ))
            if r.next_step_due is not None and r.next_step_due < end and r.status in OPEN_STATUSES:
                items.append(AgendaItem(
                    day=r.next_step_due, at=None, kind="next_step", case_id=r.id,
                    version=r.version, client_name=name, client_number=r.client_number,
                    companion=r.display_name, place=None, text=r.next_step,
                    overdue=r.next_step_due < start,
                ))
    return sorted(items, key=lambda i: (i.day, i.at or datetime.combine(i.day, datetime.max.time()), i.case_id))
