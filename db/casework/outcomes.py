"""What happens to a participant around the end: pausing (Ruhend), the result within 28 days of
leaving, and the answer six months later.

Rules (ESF+ Annex I, the Land's programme rules):
- A paused participant has a reason and a planned resume date; paused cases do not count
  against a companion's capacity.
- Events within 28 days after the exit are recorded as they happen; **the last one counts**
  (by date, then by entry). "Arbeitsuchend" and "erwerbstätig" therefore never both apply.
  A job held at the end of accompaniment is suggested as the result at exit.
- Six months after the exit a follow-up asks whether the person is in work; "nicht erreichbar"
  is an answer too, kept with its date.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ..actors import Actor
from ..clock import today
from ..errors import ValidationError
from ..store.audit import audit, diff
from ..store.database import Database
from ..store.models import Case, ExitOutcome
from ..validation import not_before, not_in_future
from ..vocabulary import CaseStatus, ExitResult, FollowUpResult, JobKind, PauseReason
from .editing import editing

RESULT_WINDOW_DAYS = 28
FOLLOW_UP_MONTHS = 6
MAX_PAUSE_DAYS = 366

# The Land's target counts leavers in work (Minijobs reported separately) or in training.
INTO_WORK_OR_TRAINING: tuple[ExitResult, ...] = (
    ExitResult.EMPLOYED, ExitResult.SELF_EMPLOYED, ExitResult.EDUCATION)
IN_WORK: tuple[ExitResult, ...] = (ExitResult.EMPLOYED, ExitResult.SELF_EMPLOYED, ExitResult.MINIJOB)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter: 31.08. → 28.02.)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def result_deadline(end_date: date) -> date:
    """The last day an event counts as the result at 28 days."""
    return end_date + timedelta(days=RESULT_WINDOW_DAYS)


def follow_up_due(end_date: date) -> date:
    return add_months(end_date, FOLLOW_UP_MONTHS)


def last_end_with_follow_up_due(on: date) -> date:
    """The latest exit day whose six months have passed by `on` (for counting in SQL). On a
    month's last day the rest of the earlier month is due too (31.08. + 6 months = 28.02.)."""
    back = add_months(on, -FOLLOW_UP_MONTHS)
    if (on + timedelta(days=1)).day == 1:
        back = back.replace(day=calendar.monthrange(back.year, back.month)[1])
    return back


# --- pausing --------------------------------------------------------------------------------

def pause(case: Case, reason: PauseReason | None, resume_on: date | None, on: date) -> None:
    """Set a case to rest (the caller records the status change)."""
    if reason is None:
        raise ValidationError("Bitte einen Grund für das Ruhen angeben.", "pause_reason")
    if resume_on is None:
        raise ValidationError("Bitte angeben, wann die Begleitung voraussichtlich weitergeht.",
                              "resume_on")
    if not on < resume_on <= on + timedelta(days=MAX_PAUSE_DAYS):
        raise ValidationError("Die Wiederaufnahme muss nach dem Beginn des Ruhens und höchstens "
                              "ein Jahr später liegen.", "resume_on")
    case.pause_reason = reason
    case.resume_on = resume_on


def end_pause(case: Case) -> None:
    case.pause_reason = None
    case.resume_on = None


# --- the result at 28 days ------------------------------------------------------------------

def suggested_result(case: Case) -> ExitResult | None:
    """What a job held at the end suggests as the exit result (the form prefills it)."""
    if case.status != CaseStatus.EMPLOYED:
        return None
    jobs = sorted((j for j in case.placements if j.end_date is None),
                  key=lambda j: (j.start_date, j.id or 0))
    if not jobs:
        return None
    return {JobKind.MINI_JOB: ExitResult.MINIJOB,
            JobKind.APPRENTICESHIP: ExitResult.EDUCATION}.get(jobs[-1].job_kind, ExitResult.EMPLOYED)


def add_result(session: Session, actor: Actor, case: Case, result: ExitResult, on: date) -> ExitOutcome:
    """Record an event of the 28 days after the exit on a closed case (the caller audits)."""
    if case.end_date is None or case.start_date is None:
        raise ValidationError("Ein Verbleib wird nur für beendete Teilnahmen erfasst.", "result")
    not_in_future(on, "result_on", "Datum des Verbleibs")
    not_before(on, case.end_date, "result_on", "Datum des Verbleibs", "dem Ende der Teilnahme")
    if on > result_deadline(case.end_date):
        raise ValidationError(
            f"Als Verbleib zählen nur Ereignisse bis 28 Tage nach dem Ende "
            f"(bis {result_deadline(case.end_date):%d.%m.%Y}).", "result_on")
    outcome = ExitOutcome(case_id=case.id, result=result, occurred_on=on, recorded_by_id=actor.id)
    session.add(outcome)
    session.flush()
    return outcome


def latest_result(case_id: ColumnElement[int]) -> ColumnElement[str]:
    """SQL: the result that counts for a case – its last event by date, then by entry."""
    return (select(ExitOutcome.result).where(ExitOutcome.case_id == case_id)
            .order_by(ExitOutcome.occurred_on.desc(), ExitOutcome.id.desc()).limit(1)
            .scalar_subquery())


def record_exit_result(db: Database, actor: Actor, case_id: int, version: int,
                       result: ExitResult, on: date) -> int:
    """Complete or update where a leaver went (up to 28 days after the exit)."""
    if result is None:
        raise ValidationError("Bitte den Verbleib wählen.", "result")
    with editing(db, actor, case_id, version) as (session, case):
        if case.status != CaseStatus.CLOSED:
            raise ValidationError("Der Verbleib wird beim oder nach dem Beenden erfasst.", "result")
        add_result(session, actor, case, result, on)
        audit(session, actor, "exit_result", "case", case.id, {"result": result, "on": on})
    return case.version


def exit_result_of(session: Session, case_id: int) -> tuple[ExitResult, date] | None:
    row = session.execute(
        select(ExitOutcome.result, ExitOutcome.occurred_on).where(ExitOutcome.case_id == case_id)
        .order_by(ExitOutcome.occurred_on.desc(), ExitOutcome.id.desc()).limit(1)).first()
    return (ExitResult(row[0]), row[1]) if row else None


# --- six months later -----------------------------------------------------------------------

def record_follow_up(db: Database, actor: Actor, case_id: int, version: int,
                     result: FollowUpResult, on: date | None = None) -> int:
    """Record the six-month answer (in work, not in work, or not reachable) with its date."""
    if result is None:
        raise ValidationError("Bitte eine Antwort wählen.", "follow_up")
    on = not_in_future(on or today(), "follow_up_on", "Datum der Nachfrage")
    with editing(db, actor, case_id, version) as (session, case):
        if case.status != CaseStatus.CLOSED or case.end_date is None or case.start_date is None:
            raise ValidationError("Die Nachfrage nach sechs Monaten gilt beendeten Teilnahmen.",
                                  "follow_up")
        due = follow_up_due(case.end_date)
        not_before(on, due, "follow_up_on", "Datum der Nachfrage", "sechs Monaten nach dem Ende")
        changes = diff(case, follow_up_result=result, follow_up_on=on)
        audit(session, actor, "follow_up", "case", case.id, changes)
    return case.version

