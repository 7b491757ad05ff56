"""Same-day corrections: a wrong tap on a status button or on "Erledigt" can be taken back.

Only by the person who made it and only on the day it was made: later, or by somebody else, a
change is a fact others may already have acted on. An undo never deletes history: the undone
status change stays, marked `undone_on`, and a reversing change records the way back. Figures
count neither (`counted_change`), so an undone "Erstgespräch fand statt" is not an interview held.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from ..accounts.permissions import require_case
from ..actors import Actor
from ..clock import LOCAL_TZ, today
from ..errors import NotFound, ValidationError
from ..store.audit import audit
from ..store.database import Database
from ..store.models import Activity, Case, CaseBarrier, ExitOutcome, Placement, StatusChange
from ..vocabulary import CaseStatus, EndReason, PauseReason
from .editing import editing
from .entry import refresh_entry

# The case fields a status change may alter besides the status, and how to read them back.
_FIELDS: dict[str, Any] = {
    "start_date": date.fromisoformat,
    "end_date": date.fromisoformat,
    "end_reason": EndReason,
    "pause_reason": PauseReason,
    "resume_on": date.fromisoformat,
}
# Rows a status change creates, by the key under which their ids are kept.
_CREATED = {"activities": Activity, "placements": Placement, "outcomes": ExitOutcome}


def counted_change() -> ColumnElement[bool]:
    """SQL: a status change that figures count – neither undone nor the undo itself."""
    return and_(StatusChange.undone_on.is_(None), StatusChange.reverses_id.is_(None))


def fields_of(case: Case) -> dict[str, Any]:
    """The case's undoable fields as JSON values (taken before a status change)."""
    return {name: _plain(getattr(case, name)) for name in _FIELDS}


def prior_state(before: dict[str, Any], case: Case, created: dict[str, list[int]]) -> dict[str, Any]:
    """What a status change altered: the fields that differ now, as they were, and new rows."""
    changed = {name: value for name, value in before.items() if _plain(getattr(case, name)) != value}
    return {"fields": changed, **{k: ids for k, ids in created.items() if ids}}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    return value.isoformat() if isinstance(value, date) else value


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def undoable_change(session: Session, actor: Actor, case: Case) -> StatusChange | None:
    """The case's last status change if this actor made it today and it can be undone."""
    last = session.scalars(select(StatusChange).where(StatusChange.case_id == case.id)
                          .order_by(StatusChange.id.desc()).limit(1)).first()
    if last is None or not can_undo(
            actor, case.status, from_status=last.from_status, to_status=last.to_status,
            changed_by_id=last.changed_by_id, changed_at=last.changed_at, undone_on=last.undone_on,
            reverses_id=last.reverses_id, prior_state=last.prior_state):
        return None
    return last


def can_undo(actor: Actor, case_status: CaseStatus, *, from_status: CaseStatus | None, to_status: CaseStatus,
             changed_by_id: int | None, changed_at: datetime, undone_on: date | None,
             reverses_id: int | None, prior_state: dict[str, Any] | None) -> bool:
    """The rule of undoable_change for a case's last status change given by its columns: the case
    page reads them with its timeline (db.casework.caseload) instead of asking again."""
    return (prior_state is not None and from_status is not None and undone_on is None
            and reverses_id is None and changed_by_id == actor.id and local_day(changed_at) == today()
            and case_status == to_status)


def undo_status_change(db: Database, actor: Actor, case_id: int, version: int) -> int:
    """Take back the last status change of a case (its author, the same day). Returns the
    case's new version."""
    with editing(db, actor, case_id, version) as (session, case):
        change = undoable_change(session, actor, case)
        if change is None:
            raise ValidationError(
                "Rückgängig machen kann nur, wer den Status geändert hat, und nur am selben Tag. "
                "Danach bitte den Status regulär ändern.", "status")
        state = change.prior_state or {}
        for name, value in state.get("fields", {}).items():
            setattr(case, name, None if value is None else _FIELDS[name](value))
        for placement_id in state.get("ended_placements", []):
            job = session.get(Placement, placement_id)
            if job is not None:
                job.end_date = None
        removed: dict[str, list[int]] = {}
        for key, model in _CREATED.items():
            for row_id in state.get(key, []):
                row = session.get(model, row_id)
                if row is not None and row.case_id == case.id:
                    session.delete(row)
                    removed.setdefault(key, []).append(row_id)
        refresh_entry(case)
        previous = CaseStatus(change.from_status)
        change.undone_on = today()
        case.status = previous
        session.add(StatusChange(
            case_id=case.id, from_status=change.to_status, to_status=previous, changed_on=today(),
            changed_by_id=actor.id, reverses_id=change.id,
            reason=f"Rückgängig gemacht: „{CaseStatus(change.to_status).label}“"))
        audit(session, actor, "undo", "case", case.id,
              {"status": [change.to_status, previous], "undone_change": change.id, **removed})
    return case.version


def reopen_barrier(db: Database, actor: Actor, barrier_id: int) -> None:
    """Take back "Erledigt" on a barrier (whoever marked it, the same day)."""
    with db.write() as session:
        row = session.get(CaseBarrier, barrier_id)
        if row is None:
            raise NotFound("Dieses Hemmnis gibt es nicht.")
        require_case(actor, row.case, edit=True)
        if not barrier_undoable(row, actor):
            raise ValidationError("„Erledigt“ kann nur zurücknehmen, wer es gesetzt hat, und nur "
                                  "am selben Tag.", "barrier")
        row.resolved_on = None
        row.resolved_by_id = None
        row.resolved_at = None
        audit(session, actor, "reopen", "barrier", row.id, {"resolved_on": None})


def barrier_undoable(row: CaseBarrier, actor: Actor) -> bool:
    return (row.resolved_on is not None and row.resolved_by_id == actor.id
            and row.resolved_at is not None and local_day(row.resolved_at) == today())
