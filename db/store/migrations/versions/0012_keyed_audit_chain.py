"""audit_log: the chain re-made with the key outside the database (HMAC-SHA-256, AUDIT_KEY)

Only an intact chain is re-made: each entry must still match its plain SHA-256 link (or already
the keyed one), else the migration stops – re-chaining an edited log would hide the edit.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import hashlib
import json
import os

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_FIELDS = ("at", "user_id", "username", "action", "entity", "entity_id", "changes")


def _unkeyed(previous: str | None, values: dict) -> str:
    """The chain's hash before this revision (SHA-256 without key), frozen here."""
    from db.store.audit import _canonical

    content = {k: _canonical(values[k]) for k in _FIELDS}
    payload = json.dumps([previous, content], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def upgrade() -> None:
    from db.settings import audit_key
    from db.store.audit import entry_hash

    key = audit_key(os.environ)
    log = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
                   sa.column("user_id", sa.Integer), sa.column("username", sa.String),
                   sa.column("action", sa.String), sa.column("entity", sa.String),
                   sa.column("entity_id", sa.Integer), sa.column("changes", sa.JSON),
                   sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    stored_previous, previous, updates = None, None, []
    for row in rows:
        values = {k: row[k] for k in _FIELDS}
        fits = row["prev_hash"] == stored_previous and row["hash"] in (
            _unkeyed(stored_previous, values), entry_hash(stored_previous, values, key))
        if not fits:
            raise RuntimeError(
                f"Protokolleintrag {row['id']} passt nicht in die Hash-Kette: das Protokoll wurde "
                "verändert. Die Kette wird nicht neu verschlüsselt; bitte zuerst klären "
                "(python -m db verify-audit).")
        digest = entry_hash(previous, values, key)
        updates.append({"row_id": row["id"], "p": previous, "h": digest})
        stored_previous, previous = row["hash"], digest
    if not updates:
        return
    _lift_guard()
    bind.execute(log.update().where(log.c.id == sa.bindparam("row_id"))
                 .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")), updates)
    _restore_guard()


def downgrade() -> None:
    """The keyed chain stays: going back cannot make the old, keyless one without re-chaining."""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _lift_guard() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    else:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")


def _restore_guard() -> None:
    if _sqlite():
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
