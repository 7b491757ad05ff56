"""Backups by command: SQLite by its online backup API, PostgreSQL by pg_dump (custom format).
Both consistent while the app keeps writing, both 0600 from the first byte, both name the audit
log's head as it stands in the copy (noted with the backup, it shows later whether the log was cut
short since)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import select, text

from ..errors import DomainError
from ..settings import anchor_file
from .audit_anchor import Head, anchor_as_of, head
from .database import Database
from .models import AuditEntry
from .private_files import PRIVATE_DIRECTORY, private_file, write_private

# What a restore needs besides the database: without AUDIT_KEY the log can never be verified
# again, without COOKIE_KEY everybody is logged out, the anchor file proves the log was not cut,
# and the accessibility statement is the Jobcenter's own text. The command says it every time.
ALSO_BACK_UP = ("Zur Sicherung gehören außerdem (nicht in dieser Datei): die Umgebungsdateien mit "
                "AUDIT_KEY und COOKIE_KEY (ohne AUDIT_KEY lässt sich das Protokoll nie wieder "
                "prüfen), die Ankerdatei (AUDIT_ANCHOR_FILE, samt abgeschlossener Vorgänger) und "
                "die eigene Erklärung zur Barrierefreiheit (ACCESSIBILITY_STATEMENT).")


def backup(db: Database, target: Path) -> Head | None:
    """Write the backup to `target` (replaced only when complete) and, with AUDIT_ANCHOR_FILE,
    the anchor file as of the backup beside it (`anchor_beside`); the log's head in it."""
    target = Path(target)
    if db.is_sqlite:
        backup_sqlite(db, target)
        copy = Database.from_url(f"sqlite:///{target}")
        try:
            with copy.read() as session:
                newest = head(session)
        finally:
            copy.dispose()
    else:
        newest = backup_postgres(db, target)
    content = (anchor_as_of(path, newest) if newest is not None
               and (path := anchor_file(os.environ)) is not None else None)
    if content is not None:
        write_private(anchor_beside(target), content)
    else:  # never an earlier backup's anchor beside this one
        anchor_beside(target).unlink(missing_ok=True)
    return newest


def anchor_beside(target: Path) -> Path:
    """The backup's own anchor file: the live one ends later than the backup as soon as anybody
    works on, and a restored log verified against it would miss those later entries."""
    return target.with_name(target.name + ".anker.log")


def backup_sqlite(db: Database, target: Path) -> Path:
    if not db.is_sqlite:
        raise DomainError("Die SQLite-Sicherung gilt nur für SQLite-Datenbanken.")
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


def _libpq(db: Database) -> tuple[str, dict[str, str]]:
    """DATABASE_URL as pg_dump takes it, and its environment: the password goes in PGPASSWORD,
    never on the command line (where every account on the machine could read it in `ps`)."""
    url = db.engine.url
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def backup_postgres(db: Database, target: Path) -> Head | None:
    """pg_dump in custom format (`pg_restore` reads it) into a 0600 file. The dump and the head
    it reports are one snapshot: a transaction exports it, reads the head in it, and pg_dump
    dumps exactly that (--snapshot) while the transaction stays open."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise DomainError("pg_dump fehlt: bitte das Paket postgresql-client installieren "
                          "(`apt-get install postgresql-client`, Version wie der Server oder neuer).")
    target = Path(target)
    if not target.parent.is_dir():
        raise DomainError(f"Der Ordner {target.parent} fehlt: bitte anlegen (nur für das "
                          "sichernde Konto lesbar, chmod 700). Nichts wurde geschrieben.")
    url, env = _libpq(db)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        row = conn.execute(select(AuditEntry.id, AuditEntry.hash, AuditEntry.at)
                           .order_by(AuditEntry.id.desc()).limit(1)).first()
        with private_file(target) as part:
            done = subprocess.run([pg_dump, "--format=custom", f"--snapshot={snapshot}",
                                   "--file", str(part), "--dbname", url],
                                  env=env, capture_output=True, text=True)
            if done.returncode != 0:
                reason = (done.stderr.strip().splitlines() or ["ohne Meldung"])[-1]
                hint = (" pg_dump muss mindestens die Version des Servers haben."
                        if "version mismatch" in reason else "")
                raise DomainError(f"pg_dump ist gescheitert: {reason}.{hint} Die Datei {target} "
                                  "wurde nicht geschrieben (eine frühere bleibt, wie sie war).")
        conn.rollback()
    return Head(row.id, row.hash, row.at) if row is not None else None
