"""Barriers to work recorded per case, from the programme's catalogue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..accounts.permissions import require_case
from ..actors import Actor
from ..clock import today, utcnow
from ..errors import NotFound, ValidationError
from ..store.audit import audit
from ..store.database import Database
from ..store.models import Case, CaseBarrier
from ..validation import not_before, not_in_future, optional_text
from ..vocabulary import Barrier


def add_barrier(
    db: Database,
    actor: Actor,
    case_id: int,
    barrier: Barrier,
    *,
    noted_on: date | None = None,
    note: str | None = None,
) -> int:
    noted_on = not_in_future(noted_on or today(), "noted_on", "Festgestellt am")
    note = optional_text(note, "note", "Notiz", 1000)
    try:
        barrier = Barrier(barrier)
    except ValueError:
        raise ValidationError("Unbekanntes Vermittlungshemmnis.", "barrier") from None
    with db.write() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Diesen Fall gibt es nicht.")
        require_case(actor, case, edit=True)
        # Nothing of a case happens before its referral (db/casework/rules.py's event order): a
        # barrier dated earlier counted in a year but in none of the quarters the council gets
        # (they begin with the programme), and "year = Σ its quarters" was false.
        not_before(noted_on, case.referred_on, "noted_on", "Festgestellt am", "der Zuweisung")
        already = session.scalar(
            select(CaseBarrier.id).where(
                CaseBarrier.case_id == case_id,
                CaseBarrier.barrier == barrier,
                CaseBarrier.resolved_on.is_(None),
            )
        )
        if already is not None:
            raise ValidationError(f"„{barrier.label}“ ist bereits als offen erfasst.", "barrier")
        row = CaseBarrier(case_id=case_id, barrier=barrier, noted_on=noted_on, note=note)
        session.add(row)
        session.flush()
        audit(session, actor, "create", "barrier", row.id, {"case_id": case_id, "barrier": barrier})
        return row.id


def resolve_barrier(
    db: Database, actor: Actor, barrier_id: int, *, resolved_on: date | None = None
) -> None:
    resolved_on = not_in_future(resolved_on or today(), "resolved_on", "Erledigt am")
    with db.write() as session:
        row = session.get(CaseBarrier, barrier_id)
        if row is None:
            raise NotFound("Dieses Hemmnis gibt es nicht.")
        require_case(actor, row.case, edit=True)
        if row.resolved_on is not None:
            raise ValidationError("Dieses Hemmnis ist bereits als erledigt markiert.", "barrier")
        not_before(resolved_on, row.noted_on, "resolved_on", "Erledigt am", "der Feststellung")
        row.resolved_on = resolved_on
        row.resolved_by_id = actor.id
        row.resolved_at = utcnow()
        audit(session, actor, "resolve", "barrier", row.id, {"resolved_on": resolved_on})
