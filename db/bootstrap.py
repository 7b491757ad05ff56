"""What happens when the app or `make run` starts: schema upgrade, demo data on an empty database."""

from __future__ import annotations

import os

from .database import Database
from .demo import has_data, seed_demo
from .migrate import upgrade


def demo_wanted() -> bool:
    """Demo data is on by default for a first look; DEMO_DATA=0 turns it off for real use."""
    return os.environ.get("DEMO_DATA", "1").strip().lower() not in ("0", "false", "no", "nein")


def prepare(db: Database) -> bool:
    """Upgrade the schema; load the demo world into an empty database. True if demo was loaded."""
    upgrade(db.engine)
    if demo_wanted() and not has_data(db):
        seed_demo(db)
        return True
    return False
