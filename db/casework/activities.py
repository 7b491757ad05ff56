"""Contacts logged on a case: visits, accompaniments, calls."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ..accounts.permissions import require_case
from ..actors import Actor
from ..clock import today
from ..errors import NotFound, ValidationError
from ..store.audit import audit
from ..store.database import Database
from ..store.models import Activity, Case, Employer
from ..validation import clean_text, not_before, not_in_future, optional_text, positive_minutes
from ..vocabulary import ActivityKind
from .cases import apply_next_step, checked_step
from .editing import editing

# The Erstgespräch is logged by the status change that holds it (db.casework.cases) or by the
# import, exactly once per case: the council's figures rely on one such contact per interview.
LOGGABLE_KINDS = tuple(k for k in ActivityKind if k != ActivityKind.FIRST_INTERVIEW)


def record_activity(
    db: Database,
    actor: Actor,
    case_id: int,
    kind: ActivityKind,
    *,
    occurred_on: date | None = None,
    duration_minutes: int | None = None,
    note: str | None = None,
    employer_id: int | None = None,
    step_done: bool = False,
    next_step: str | None = None,
    next_step_due: date | None = None,
    version: int | None = None,
) -> int:
    """Log a contact. Appending overwrites nothing, so alone it needs no version check.

    In the same save the contact may close the case's next step (`step_done`, say the home
    visit that was due) and set a new one; that changes the case and needs the `version` the
    user saw. Either all of it is saved or nothing."""
    occurred_on = not_in_future(occurred_on or today(), "occurred_on", "Datum")
    duration_minutes = positive_minutes(duration_minutes)
    note = optional_text(note, "note", "Notiz")
    try:
        kind = ActivityKind(kind)
    except ValueError:
        raise ValidationError("Unbekannte Kontaktart.", "kind") from None
    if kind not in LOGGABLE_KINDS:
        raise ValidationError("Ein Erstgespräch wird über den Status erfasst („Erstgespräch "
                              "geführt“), nicht als Kontakt.", "kind")
    if step_done or clean_text(next_step) or next_step_due is not None:
        step, due = checked_step(next_step, next_step_due)
        if version is None:
            raise ValueError("changing the next step needs the case version")
        with editing(db, actor, case_id, version) as (session, case):
            activity_id = _add(session, actor, case, kind, occurred_on, duration_minutes, note, employer_id)
            if step is None and not step_done:
                step, due = case.next_step, case.next_step_due  # only a date typed: keep the step
            apply_next_step(session, actor, case, step, due)
            return activity_id
    with db.write() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Diesen Fall gibt es nicht.")
        require_case(actor, case, edit=True)
        return _add(session, actor, case, kind, occurred_on, duration_minutes, note, employer_id)


def _add(session: Session, actor: Actor, case: Case, kind: ActivityKind, occurred_on: date,
         duration_minutes: int | None, note: str | None, employer_id: int | None) -> int:
    not_before(occurred_on, case.referred_on, "occurred_on", "Datum", "der Zuweisung")
    if employer_id is not None and session.get(Employer, employer_id) is None:
        raise ValidationError("Diesen Arbeitgeber gibt es nicht.", "employer")
    activity = Activity(
        case_id=case.id,
        kind=kind,
        occurred_on=occurred_on,
        duration_minutes=duration_minutes,
        note=note,
        employer_id=employer_id,
        created_by_id=actor.id,
    )
    session.add(activity)
    session.flush()
    audit(
        session,
        actor,
        "create",
        "activity",
        activity.id,
        {"case_id": case.id, "kind": kind, "occurred_on": occurred_on},
    )
    return activity.id
