"""A backup's own anchor file (db/store/backup.anchor_beside): the live anchor file goes on
growing after the backup's snapshot – every view of a record writes to the log – and a restored
log verified against it misses those later entries. `db backup` writes beside the backup the
anchor as it stood at the backup's head: the restored log verifies against it, whatever was
written after the backup, and a line that is not the app's is still there for the check."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.store.audit_anchor import verify_anchor
from db.store.backup import anchor_beside, backup
from db.store.database import Database
from db.store.migrate import upgrade

from .test_audit import _write_entries


def _problems(url: str, anchor: Path) -> list[str]:
    db = Database.from_url(url)
    try:
        with db.read() as session:
            return verify_anchor(session, anchor).problems
    finally:
        db.dispose()


def _live_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries: int) -> tuple[Path, Database]:
    """A running installation on SQLite with its live anchor file and `entries` log entries."""
    live = tmp_path / "anker.log"
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(live))
    monkeypatch.delenv("APP_ENV", raising=False)
    db = Database.from_url(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    upgrade(db.engine)
    _write_entries(db, entries)
    return live, db


@pytest.mark.parametrize("later", [0, 1, 5])
def test_a_restored_backup_verifies_against_its_own_anchor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           later: int) -> None:
    live, db = _live_installation(tmp_path, monkeypatch, entries=3)
    target = tmp_path / "sicherung" / "cockpit.db"
    target.parent.mkdir()
    newest = backup(db, target)
    _write_entries(db, later)  # the app works on after the snapshot
    db.dispose()
    assert newest is not None
    own = anchor_beside(target)
    assert own.stat().st_mode & 0o777 == 0o600
    restored = f"sqlite:///{target}"
    assert _problems(restored, own) == []
    if later:  # what the README's copy of the live file gave: later heads "missing" from the log
        assert any("fehlt im Protokoll" in p for p in _problems(restored, live))


def test_a_foreign_line_stays_in_the_backups_anchor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live, db = _live_installation(tmp_path, monkeypatch, entries=2)
    with live.open("a") as out:
        out.write('{"id": 1, "hash": "00", "written": "x", "mac": "gefaelscht"}\n')
    target = tmp_path / "cockpit.db"
    backup(db, target)
    db.dispose()
    assert b"gefaelscht" in anchor_beside(target).read_bytes()
    assert any("nicht vom Cockpit" in p for p in _problems(f"sqlite:///{target}", anchor_beside(target)))


def test_without_an_anchor_file_no_earlier_backups_anchor_stays_beside(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(tmp_path / "anker.log"))
    monkeypatch.delenv("APP_ENV", raising=False)
    db = Database.from_url(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    upgrade(db.engine)
    _write_entries(db, 2)
    target = tmp_path / "cockpit.db"
    backup(db, target)
    assert anchor_beside(target).exists()
    monkeypatch.delenv("AUDIT_ANCHOR_FILE")
    backup(db, target)
    db.dispose()
    assert not anchor_beside(target).exists()
