"""Contacts logged on a case: visits, accompaniments, calls."""

from __future__ import annotations

from datetime import date

from .actors import Actor
from .audit import audit
from .clock import today
from .database import Database
from .errors import NotFound, ValidationError
from .models import Activity, Case, Employer
from .permissions import require_case
from .validation import not_before, not_in_future, optional_text, positive_minutes
from .vocabulary import ActivityKind


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
) -> int:
    """Log a contact. Appending overwrites nothing, so it needs no version check."""
    occurred_on = not_in_future(occurred_on or today(), "occurred_on", "Datum")
    duration_minutes = positive_minutes(duration_minutes)
    note = optional_text(note, "note", "Notiz")
    try:
        kind = ActivityKind(kind)
    except ValueError:
        raise ValidationError("Unbekannte Kontaktart.", "kind") from None
    with db.write() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Diesen Fall gibt es nicht.")
        require_case(actor, case, edit=True)
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
