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
