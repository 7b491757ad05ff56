"""figure_snapshots: the lead's figures as last counted, shared by every app server

Revision ID: 0017d
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0017d"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_snapshots",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_figure_snapshots")),
    )
    op.create_index(op.f("ix_figure_snapshots_day"), "figure_snapshots", ["day"])


def downgrade() -> None:
    op.drop_index(op.f("ix_figure_snapshots_day"), table_name="figure_snapshots")
    op.drop_table("figure_snapshots")
