"""cases(status, referred_on): the case list filtered by status, newest referral first

Measured at 100,000 cases (bench/pages.py): the open-cases list took 357 ms on SQLite without
this index and with statistics, 29 ms with both.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_status_referred", "cases", ["status", "referred_on"])


def downgrade() -> None:
    op.drop_index("ix_cases_status_referred", table_name="cases")
