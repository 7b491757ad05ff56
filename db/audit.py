"""The audit log: every view and change of a personal record, written in the same transaction."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from .actors import Actor
from .models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        user_id=actor.id,
        username=actor.username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes={k: _plain(v) for k, v in changes.items()} if changes else None,
    )
    session.add(entry)
    return entry


def diff(obj: object, **new_values: Any) -> dict[str, list[Any]]:
    """Apply new values to obj and return {field: [old, new]} for the ones that changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in new_values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changed


def save_audited(session: Session, actor: Actor, model: type, entity: str, record_id: int | None,
                 values: dict[str, Any], *, missing: str) -> int:
    """Create (record_id None) or change a master-data record, auditing what changed.

    `missing` is the German message when record_id names no record.
    """
    from .errors import NotFound  # errors imports nothing of ours; kept local for clarity

    if record_id is None:
        record = model(**values)
        session.add(record)
        session.flush()
        audit(session, actor, "create", entity, record.id, values)
        return int(record.id)
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(missing)
    changes = diff(record, **values)
    if changes:
        audit(session, actor, "update", entity, record.id, changes)
    return int(record.id)
