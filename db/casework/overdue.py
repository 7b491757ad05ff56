"""What is overdue, in one place: next steps past their due day, and first interviews whose day
has passed without an outcome ("Ergebnis fehlt"). Termine, the case list's "Nur überfällige",
the figures and the lead's work list all use these conditions.

Both are judged by the day, not the hour: a figure "am Stichtag" must not change between two
clicks, and an interview at 9:00 can still be entered in the afternoon without being late.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ColumnElement, and_, or_

from ..store.models import Case
from ..vocabulary import CaseStatus
from .workflow import OPEN_STATUSES


def step_overdue(day: date) -> ColumnElement[bool]:
    """SQL: an open case whose next step was due before `day`."""
    return and_(Case.status.in_(OPEN_STATUSES), Case.next_step_due < day)


def outcome_missing(day: date) -> ColumnElement[bool]:
    """SQL: a planned first interview whose day lies before `day` – held, missed or cancelled,
    nobody has said. It no longer counts as planned."""
    return and_(Case.status == CaseStatus.INTERVIEW_PLANNED,
                Case.first_interview_at < datetime.combine(day, time.min))


def needs_attention(day: date) -> ColumnElement[bool]:
    """SQL: either of the above – what "Nur überfällige" finds."""
    return or_(step_overdue(day), outcome_missing(day))


def interview_outcome_missing(at: datetime | None, status: CaseStatus, day: date) -> bool:
    """The same rule for a row already loaded."""
    return status == CaseStatus.INTERVIEW_PLANNED and at is not None and at.date() < day
