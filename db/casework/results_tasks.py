"""What the results ask of the team, as tasks on the work list (Termine):
- **Verbleib erfassen**: a participant left and no result is recorded yet – until 28 days after
  the exit, while an event still counts;
- **Nachfrage nach sechs Monaten**: from six months after the exit until the answer is recorded,
  for at most FOLLOW_UP_WINDOW_DAYS (an answer a year later says nothing about "six months
  after"; it can still be recorded, with its date, but the list stops asking);
- **Wiederaufnahme**: a paused (ruhend) case whose planned resume date has come.
A companion sees the tasks of own cases, the lead all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import aliased

from ..accounts.permissions import case_scope, require_role
from ..actors import Actor
from ..clock import today
from ..store.database import Database
from ..store.models import Case, Client, ExitOutcome, User
from ..vocabulary import CaseStatus, Role
from .outcomes import (
    RESULT_WINDOW_DAYS,
    follow_up_due,
    last_end_with_follow_up_due,
    result_deadline,
)

FOLLOW_UP_WINDOW_DAYS = 90
EXIT_RESULT = "exit_result"
FOLLOW_UP = "follow_up"
RESUME = "resume"
TASK_LABELS = {
    EXIT_RESULT: "Verbleib erfassen",
    FOLLOW_UP: "Nachfrage nach sechs Monaten",
    RESUME: "Wiederaufnahme fällig",
}


@dataclass(frozen=True)
class Task:
    kind: str
    case_id: int
    version: int
    client_name: str
    companion: str | None
    due: date  # the day the task is due (or, for results, the last day)

    @property
    def label(self) -> str:
        return TASK_LABELS[self.kind]


def _conditions(on: date) -> dict[str, ColumnElement[bool]]:
    left = and_(Case.status == CaseStatus.CLOSED, Case.start_date.is_not(None),
                Case.end_date.is_not(None))
    return {
        EXIT_RESULT: and_(left, Case.end_date >= on - timedelta(days=RESULT_WINDOW_DAYS),
                          ~exists().where(ExitOutcome.case_id == Case.id)),
        FOLLOW_UP: and_(left, Case.end_date <= last_end_with_follow_up_due(on),
                        Case.end_date > last_end_with_follow_up_due(
                            on - timedelta(days=FOLLOW_UP_WINDOW_DAYS + 1)),
                        Case.follow_up_result.is_(None)),
        RESUME: and_(Case.status == CaseStatus.PAUSED, Case.resume_on <= on),
    }


def result_tasks(db: Database, actor: Actor, *, companion_id: int | None = None,
                 limit: int = 50) -> tuple[list[Task], dict[str, int]]:
    """The oldest `limit` tasks of each kind, and how many there are of each kind."""
    require_role(actor, Role.COMPANION, Role.LEAD)
    on = today()
    scope = [case_scope(actor)]
    if companion_id is not None:
        scope.append(Case.companion_id == companion_id)
    companion = aliased(User)
    tasks: list[Task] = []
    conditions = _conditions(on)
    with db.read() as session:
        # One statement for the counts and one list per kind, whatever the data: a page's number
        # of statements must not depend on which kinds happen to be empty today.
        counts = dict(zip(conditions, session.execute(
            select(*(func.count().filter(c) for c in conditions.values())).where(*scope)).one(), strict=True))
        for kind, condition in conditions.items():
            order = Case.resume_on if kind == RESUME else Case.end_date
            for r in session.execute(
                    select(Case.id, Case.version, Case.end_date, Case.resume_on, Client.first_name,
                           Client.last_name, companion.display_name)
                    .join(Client, Case.client_id == Client.id)
                    .outerjoin(companion, Case.companion_id == companion.id)
                    .where(*scope, condition).order_by(order, Case.id).limit(limit)):
                due = (r.resume_on if kind == RESUME else
                       result_deadline(r.end_date) if kind == EXIT_RESULT else follow_up_due(r.end_date))
                tasks.append(Task(kind, r.id, r.version, f"{r.first_name} {r.last_name}",
                                  r.display_name, due))
    return sorted(tasks, key=lambda t: (t.due, t.case_id)), counts
