"""login_tickets: one-time login tickets used, shared by every app server

Before, each app server remembered the tickets it had redeemed in its own memory: the same
ticket set the login cookie once on each server.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_tickets",
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_login_tickets")),
    )


def downgrade() -> None:
    op.drop_table("login_tickets")
