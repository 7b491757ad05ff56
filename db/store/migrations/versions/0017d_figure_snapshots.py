"""figure_snapshots: the lead's figures as last counted, shared by every app server; covering
indexes for recounting them (issue 42)

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


# (name, table, columns): each of the lead's figures read from an index alone (db/store/models.py).
INDEXES = [
    ("ix_cases_companion_status_interview", "cases", ["companion_id", "status", "first_interview_at"]),
    ("ix_cases_start_end", "cases", ["start_date", "end_date"]),
    ("ix_cases_end_start", "cases", ["end_date", "start_date"]),
    ("ix_cases_referred_start", "cases", ["referred_on", "start_date"]),
    ("ix_cases_status_due_interview", "cases", ["status", "next_step_due", "first_interview_at"]),
    ("ix_cases_entry_start", "cases", ["entry_complete", "start_date"]),
    ("ix_cases_leavers", "cases", ["status", "end_date", "entry_complete", "start_date", "client_id",
                                   "end_reason", "follow_up_result"]),
    ("ix_case_barriers_barrier_noted_resolved", "case_barriers", ["barrier", "noted_on", "resolved_on"]),
    ("ix_status_changes_case_counted", "status_changes",
     ["case_id", "undone_on", "reverses_id", "from_status", "to_status"]),
    ("ix_exit_outcomes_case_latest", "exit_outcomes", ["case_id", "occurred_on", "id", "result"]),
    ("ix_placements_start_case", "placements", ["start_date", "case_id"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
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
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index(op.f("ix_figure_snapshots_day"), table_name="figure_snapshots")
    op.drop_table("figure_snapshots")
