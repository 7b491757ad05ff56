"""Online backup of the SQLite database (consistent while the app keeps writing)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import DomainError
from .database import Database


def backup_sqlite(db: Database, target: Path) -> Path:
    if not db.is_sqlite:
        raise DomainError("Die Sicherung per Befehl gibt es nur für SQLite; für PostgreSQL pg_dump verwenden.")
    source_path = db.engine.url.database
    if not source_path:
        raise DomainError("Eine In-Memory-Datenbank lässt sich nicht sichern.")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)  # social data: readable by this account only, whatever the umask
    # sqlite3's backup API copies page by page under SQLite's own locking, so the copy is a
    # consistent snapshot even while other connections write.
    with sqlite3.connect(source_path, timeout=30) as src, sqlite3.connect(tmp) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    tmp.replace(target)
    return target
