"""Personal columns keep no planner statistics (PostgreSQL)

ANALYZE copied sample values of every column – names, client numbers, phone numbers, addresses,
notes – into pg_statistic, which the app role reads through pg_stats and which an erasure did not
reach. These columns now carry SET STATISTICS 0, and what ANALYZE had already written for them is
removed (db/store/statistics.py). The list is this revision's: a personal column added later
needs the same in its own migration (tests/test_erasure.py fails until it has it).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

PERSONAL_COLUMNS = {
    "clients": ("client_number", "first_name", "last_name", "birth_year", "phone", "consent_date",
                "birth_date", "postcode", "address"),
    "employers": ("contact_person", "phone"),
    "users": ("display_name", "email"),
    "cases": ("next_step",),
    "office_hour_sessions": ("note",),
    "positions": ("note",),
    "activities": ("note",),
    "case_barriers": ("note",),
    "placements": ("job_title",),
    "status_changes": ("reason",),
}


def upgrade() -> None:
    from db.store.statistics import withhold_statistics  # the one definition

    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return  # SQLite's statistics (sqlite_stat1) hold row counts, never values
    for table, columns in PERSONAL_COLUMNS.items():
        for column in columns:
            withhold_statistics(conn, table, column)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, columns in PERSONAL_COLUMNS.items():
        for column in columns:
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET STATISTICS -1')
