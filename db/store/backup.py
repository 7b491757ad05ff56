"""Online backup of the SQLite database (consistent while the app keeps writing)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import DomainError
from .database import Database
from .private_files import PRIVATE_DIRECTORY, private_file


def backup_sqlite(db: Database, target: Path) -> Path:
    if not db.is_sqlite:
        raise DomainError("Die Sicherung per Befehl gibt es nur für SQLite; für PostgreSQL pg_dump verwenden.")
    source_path = db.engine.url.database
    if not source_path:
        raise DomainError("Eine In-Memory-Datenbank lässt sich nicht sichern.")
    target = Path(target)
    target.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    # Social data: the copy is 0600 from its first byte, whatever the umask (private_file).
    # sqlite3's backup API copies page by page under SQLite's own locking, so the copy is a
    # consistent snapshot even while other connections write.
    with private_file(target) as part, db.engine.connect() as source:
        copy = sqlite3.connect(part)
        try:
            source.connection.driver_connection.backup(copy)
        finally:
            copy.close()
    return target
