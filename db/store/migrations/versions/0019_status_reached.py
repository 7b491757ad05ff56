"""The funnel's indexes: the status a case reached first, then the case; the cases referred in a
period with their id (issue 42)

The funnel counts, per status reached (an interview planned, a no-show), the cases that got
there – not per way in (db.figures.series.funnel). Its old covering index led with the case,
so PostgreSQL read every status change (190,000 at 100,000 cases) to find the few thousand of
those two statuses; led by the status, it reads only them, from the index alone. The cases
referred in the period are joined by their id, which a PostgreSQL index carries only when named.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# (table, old index, its columns, new index, its columns)
REPLACED = [
    ("status_changes", "ix_status_changes_case_counted",
     ["case_id", "undone_on", "reverses_id", "from_status", "to_status"],
     "ix_status_changes_reached", ["to_status", "undone_on", "reverses_id", "case_id"]),
    ("cases", "ix_cases_referred_start", ["referred_on", "start_date"],
     "ix_cases_referred_start_id", ["referred_on", "start_date", "id"]),
]


def upgrade() -> None:
    for table, old, _, new, columns in REPLACED:
        op.drop_index(old, table_name=table)
        op.create_index(new, table, columns)


def downgrade() -> None:
    for table, old, columns, new, _ in REPLACED:
        op.drop_index(new, table_name=table)
        op.create_index(old, table, columns)
