"""Figures counted from covering indexes

The Lagebild's first view after a change counts afresh; at 100,000 cases (SQLite):
- contacts per week and kind: with an index on the day alone every matching row was read from
  the table (145,000 rows in ten weeks: 0.5–0.8 s); with the kind in the index, 20 ms;
- caseload per companion (Lagebild, Team, Ergebnisse, each assignment choice): 30,000 open
  cases read from the table (260 ms); with the interview time in the index, 17 ms.
Each old index is a prefix of its new one and goes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_activities_day_kind", "activities", ["occurred_on", "kind"])
    op.drop_index("ix_activities_occurred_on", table_name="activities")
    op.create_index("ix_cases_status_companion_interview", "cases",
                    ["status", "companion_id", "first_interview_at"])
    op.drop_index("ix_cases_status_companion", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_status_companion", "cases", ["status", "companion_id"])
    op.drop_index("ix_cases_status_companion_interview", table_name="cases")
    op.create_index("ix_activities_occurred_on", "activities", ["occurred_on"])
    op.drop_index("ix_activities_day_kind", table_name="activities")
