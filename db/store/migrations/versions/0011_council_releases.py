"""Council releases: a quarter's briefing stored exactly as printed, with its files

Both tables are append-only, like the audit log: the database refuses UPDATE and DELETE, so a
released number can never change. A correction is a new row that names the release it corrects.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("council_releases", "council_release_files")


def upgrade() -> None:
    op.create_table(
        "council_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period_key", sa.String(8), nullable=False, index=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("corrects_id", sa.Integer(), sa.ForeignKey("council_releases.id"), nullable=True,
                  unique=True),
    )
    op.create_table(
        "council_release_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), sa.ForeignKey("council_releases.id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("release_id", "name", name="release_file"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        op.execute("CREATE FUNCTION released_is_final() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION released_is_final()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION released_is_final()")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # its triggers go with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS released_is_final()")
