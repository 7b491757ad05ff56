"""The newest audit entry of one kind of record: an index on (entity, id) (issue 42)

A cache of master data (the employers' names of every contact form) is kept until an entry
about that kind of record says it changed: `db.store.memo.until_change_of` reads the newest such
entry on every use. The index on (entity, entity_id) does not give it – PostgreSQL instead
walked the whole log backwards by id until it met the kind (90 ms at 300,000 case views after
the last employer change); on (entity, id) it reads the newest few entries of that kind.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_entity_newest", "audit_log", ["entity", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_entity_newest", table_name="audit_log")
