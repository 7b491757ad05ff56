"""Truthful events: same-day undo of status changes and of a resolved barrier, and the address

A status change that was undone keeps its row (`undone_on`) and gets a reversing row
(`reverses_id`); figures count neither. A resolved barrier records who resolved it and when, so
only its author can reopen it on the same day. Clients get a street address for home visits.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN without foreign keys (see 0009: no batch copy of tables with data).
    op.add_column("status_changes", sa.Column("undone_on", sa.Date(), nullable=True))
    op.add_column("status_changes", sa.Column("reverses_id", sa.Integer(), nullable=True))
    op.add_column("status_changes", sa.Column("prior_state", sa.JSON(), nullable=True))
    op.add_column("case_barriers", sa.Column("resolved_by_id", sa.Integer(), nullable=True))
    op.add_column("case_barriers", sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("clients", sa.Column("address", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_column("address")
    with op.batch_alter_table("case_barriers") as batch_op:
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolved_by_id")
    with op.batch_alter_table("status_changes") as batch_op:
        batch_op.drop_column("prior_state")
        batch_op.drop_column("reverses_id")
        batch_op.drop_column("undone_on")
