"""Alembic environment: the engine is handed in by db.store.migrate (no alembic.ini, no URL here)."""

from __future__ import annotations

from alembic import context

from db.store.database import make_engine
from db.store.models import Base

config = context.config
engine = config.attributes.get("engine") or make_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
