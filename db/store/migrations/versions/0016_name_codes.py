"""clients.first_name_code, last_name_code: how the names sound (Kölner Phonetik)

The duplicate check at referral and import and the case search find Meyer under Maier: the
codes sit beside the names (indexed), written by the model on every change. Existing clients
get theirs here; anonymised clients none. The codes say how a person's name sounds: personal, so
like the names they keep no planner statistics (0015).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.store.models import name_codes

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

clients = sa.table("clients", sa.column("id", sa.Integer), sa.column("first_name", sa.String),
                   sa.column("last_name", sa.String), sa.column("anonymised_on", sa.Date),
                   sa.column("first_name_code", sa.String), sa.column("last_name_code", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("first_name_code", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("last_name_code", sa.String(length=120), nullable=True))
    op.create_index("ix_clients_name_code", "clients", ["last_name_code", "first_name_code"])
    bind = op.get_bind()
    rows = bind.execute(sa.select(clients.c.id, clients.c.first_name, clients.c.last_name,
                                  clients.c.anonymised_on)).all()
    codes = [{"key": r.id, **name_codes(r.first_name, r.last_name, r.anonymised_on)} for r in rows]
    if codes:  # one executemany: 100,000 clients in seconds, not a statement each
        bind.execute(clients.update().where(clients.c.id == sa.bindparam("key")).values(
            first_name_code=sa.bindparam("first_name_code"),
            last_name_code=sa.bindparam("last_name_code")), codes)
    if bind.dialect.name == "postgresql":
        from db.store.statistics import withhold_statistics  # the one definition

        for column in ("first_name_code", "last_name_code"):
            withhold_statistics(bind, "clients", column)


def downgrade() -> None:
    op.drop_index("ix_clients_name_code", table_name="clients")
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_column("last_name_code")
        batch_op.drop_column("first_name_code")
