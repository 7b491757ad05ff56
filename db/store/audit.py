"""The audit log: every view and change of a personal record, written in the same transaction.

Two rules hold for every entry:
- **No personal values.** The log says who did what to which record and which fields changed;
  names, phone numbers, notes and health-related barriers are not copied into it (they would
  outlive an erasure in an append-only table). Such fields are recorded as "geändert".
- **Tamper-evident.** Each entry stores the hash of the previous entry and a keyed hash
  (HMAC-SHA-256, key AUDIT_KEY outside the database) over its own content and that previous
  hash. Editing, inserting or deleting an entry – even with direct access to the database file –
  breaks the chain, and without the key it cannot be re-chained; `verify_chain` names the first
  broken link. Cutting entries off the end leaves a shorter, intact chain: the anchor outside
  the database (db/store/audit_anchor.py) shows that. Writers take a lock first so the chain stays one
  line under concurrent transactions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from ..actors import Actor
from ..clock import utcnow
from ..settings import audit_key
from ..vocabulary import SENSITIVE_ACTIVITIES, SENSITIVE_BARRIERS
from .audit_anchor import Head, anchor_new_head
from .models import AuditEntry

# Fields whose values describe a person: only the fact that they changed is logged.
PERSONAL_FIELDS = frozenset({
    "first_name", "last_name", "name", "client_number", "birth_year", "birth_date", "phone",
    "address", "postcode", "consent_date", "note", "notes", "next_step", "reason", "job_title",
    "town", "email", "display_name", "typed_username", "gender",
    # Entry data (ESF+): some are special categories (disability, minority, origin).
    "entry_employment", "entry_education", "entry_household", "entry_children",
    "entry_disability", "entry_third_country", "entry_foreign_background", "entry_minority",
    "entry_homeless", "entry_rural",
})
REDACTED = "geändert"
SPECIAL_CATEGORY = "besondere Kategorie (Art. 9 DSGVO)"
_CHAIN_LOCK = 7_171_717  # PostgreSQL advisory lock id: one audit writer at a time
_CHAIN_KEY = "audit_chain"  # session.info: (transaction, hash of its last entry)
NEW_HEAD = "audit_new_head"  # session.info: the newest entry of the transaction under way
_STARTS_LOG = "audit_starts_log"  # session.info: this transaction wrote the log's first entry


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def without_personal_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in PERSONAL_FIELDS and value not in (None, "", []):
            out[key] = REDACTED
        elif (key == "barrier" and value in SENSITIVE_BARRIERS) or (
                key == "kind" and value in SENSITIVE_ACTIVITIES):
            out[key] = SPECIAL_CATEGORY
        else:
            out[key] = _plain(value)
    return out


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    return value


def entry_hash(previous: str | None, entry: Mapping[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA-256 (AUDIT_KEY) over the previous hash and the entry's content (not its id:
    that comes later)."""
    content = {k: _canonical(entry[k]) for k in
               ("at", "user_id", "username", "action", "entity", "entity_id", "changes")}
    payload = json.dumps([previous, content], sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(key or audit_key(os.environ), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    with session.no_autoflush:  # the change being audited is flushed with its entry, not now
        previous = _previous_hash(session)
    values = {
        "at": utcnow(),
        "user_id": actor.id,
        "username": actor.username,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": without_personal_values(changes) if changes else None,
    }
    entry = AuditEntry(**values, prev_hash=previous, hash=entry_hash(previous, values))
    if previous is None:  # the log's first entry: only now may a new anchor file begin
        session.info[_STARTS_LOG] = True
    session.add(entry)  # inserts of one table are flushed in the order added: ids follow the chain
    session.info[_CHAIN_KEY] = (session.get_transaction(), entry.hash)
    session.info[NEW_HEAD] = entry  # the anchor (db/store/audit_anchor.py) records it after the commit
    return entry


def _previous_hash(session: Session) -> str | None:
    """The hash the next entry links to: this transaction's last entry, else the newest one
    committed. On PostgreSQL the first entry of a transaction takes a lock held until commit,
    so that two transactions never link to the same predecessor."""
    mine = session.info.get(_CHAIN_KEY)
    transaction = session.get_transaction()
    if mine is not None and mine[0] is transaction:
        return mine[1]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK})
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))


_FLUSHED_HEAD = "audit_flushed_head"


@event.listens_for(Session, "after_flush_postexec")
def _note_head(session: Session, _context: object) -> None:
    entry = session.info.pop(NEW_HEAD, None)
    if entry is not None:  # flushed: its id is known now
        session.info[_FLUSHED_HEAD] = Head(entry.id, entry.hash, entry.at)


@event.listens_for(Session, "after_commit")
def _anchor_head(session: Session) -> None:
    starts_log = session.info.pop(_STARTS_LOG, False)
    if (new := session.info.pop(_FLUSHED_HEAD, None)) is not None:
        anchor_new_head(new, starts_log=starts_log)


@event.listens_for(Session, "after_rollback")
def _forget_head(session: Session) -> None:
    for key in (NEW_HEAD, _FLUSHED_HEAD, _STARTS_LOG):
        session.info.pop(key, None)


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    broken_at: int | None  # id of the first entry that does not fit, None if all do
    problem: str = ""
    head: Head | None = None  # the newest entry, when the whole chain fits


def verify_chain(session: Session) -> ChainCheck:
    """Walk the log in id order and recompute every link."""
    key = audit_key(os.environ)
    previous: str | None = None
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(2000):
        count += 1
        if entry.prev_hash != previous:
            return ChainCheck(count, entry.id, "Verweis auf den Vorgänger passt nicht (Eintrag "
                                               "davor gelöscht, eingefügt oder verändert)")
        values = {k: getattr(entry, k) for k in
                  ("at", "user_id", "username", "action", "entity", "entity_id", "changes")}
        if entry.hash != entry_hash(previous, values, key):
            return ChainCheck(count, entry.id, "Inhalt des Eintrags wurde verändert")
        previous = entry.hash
        newest = entry
    return ChainCheck(count, None, head=Head(newest.id, newest.hash, newest.at) if count else None)


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
    from ..errors import NotFound  # errors imports nothing of ours; kept local for clarity

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
