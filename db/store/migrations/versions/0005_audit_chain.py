"""audit_log: personal values removed from old entries, then a hash chain (prev_hash, hash)
over all of them; PostgreSQL also refuses TRUNCATE

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from db.settings import keyed
    from db.store.audit import entry_hash, without_personal_values  # the one definition of each

    # The append-only guard is lifted only inside this migration, to add and fill the columns.
    _lift_guard()
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(64), nullable=True))
    log = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
                   sa.column("user_id", sa.Integer), sa.column("username", sa.String),
                   sa.column("action", sa.String), sa.column("entity", sa.String),
                   sa.column("entity_id", sa.Integer), sa.column("changes", sa.JSON),
                   sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    bind = op.get_bind()
    previous = None
    for row in bind.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        # Entries written before this rule may quote names, phones, notes and typed usernames.
        values = dict(row)
        values["changes"] = without_personal_values(row["changes"]) if row["changes"] else None
        if row["user_id"] is None and row["action"] in ("login_failed", "login_refused"):
            values["username"] = keyed("name", row["username"])[:64]
        digest = entry_hash(previous, values)
        bind.execute(log.update().where(log.c.id == row["id"]).values(
            changes=values["changes"], username=values["username"], prev_hash=previous, hash=digest))
        previous = digest
    _restore_guard()
    if not _sqlite():
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")


def downgrade() -> None:
    if not _sqlite():
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    _lift_guard()
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    _restore_guard()


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _lift_guard() -> None:
    if _sqlite():  # SQLite's batch mode rebuilds the table: its triggers must go first
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")


def _restore_guard() -> None:
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
