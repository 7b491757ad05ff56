"""Rotating the audit log's anchor file (`python -m db rotate-anchor OLD NEW`): the old file is
only appended to (a closing line), the new one carries the head and the old file's digest. NEW
alone verifies, OLD then NEW verifies as a series, and each way the series can be broken is
found: the archived file cut or edited, a writer still on the old file, the app started with it,
a series out of order. On SQLite and PostgreSQL; under `chattr +a` where the file system has it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from db.errors import ValidationError
from db.store.audit_anchor import missing_anchor, rotate_anchor, verify_anchor
from db.store.database import Database
from db.store.migrate import upgrade

from .test_audit import _write_entries, journal  # noqa: F401 - journal: the fixture
from .test_cli import run_db, url  # noqa: F401 - url: SQLite and PostgreSQL


@pytest.fixture
def installation(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A log of 3 entries anchored in anker-2025.log; the database."""
    old = tmp_path / "anker-2025.log"
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(old))
    monkeypatch.delenv("APP_ENV", raising=False)
    db = Database.from_url(url)
    upgrade(db.engine)
    _write_entries(db, 3)
    yield db, old, tmp_path / "anker-2026.log"
    db.dispose()


def _problems(db: Database, *paths: Path) -> list[str]:
    with db.read() as session:
        return verify_anchor(session, *paths).problems


def _rotate(db: Database, old: Path, new: Path) -> None:
    with db.read() as session:
        rotate_anchor(session, old, new)


def test_after_a_rotation_the_new_file_and_the_series_verify(  # type: ignore[no-untyped-def]
        installation, journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, old, new = installation
    before = old.read_bytes()
    _rotate(db, old, new)
    assert old.read_bytes().startswith(before)  # only appended to
    assert old.stat().st_mode & 0o777 == new.stat().st_mode & 0o777 == 0o600
    assert _problems(db, new) == []
    assert _problems(db, old, new) == []
    # The closed file alone does not say the log's end is witnessed – it says where to look.
    assert any("abgeschlossen" in p and str(new) in p for p in _problems(db, old))
    # Nobody may go on writing to it: the start check and every command refuse it.
    with db.read() as session:
        assert "abgeschlossen" in (missing_anchor(session, old) or "")
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(new))
    _write_entries(db, 2)
    assert _problems(db, new) == [] and _problems(db, old, new) == []
    # A second rotation: a series of three, in order only.
    newest = tmp_path / "anker-2027.log"
    _rotate(db, new, newest)
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(newest))
    _write_entries(db, 1)
    assert _problems(db, old, new, newest) == []
    assert _problems(db, newest) == []
    assert any("nicht die Fortsetzung" in p for p in _problems(db, old, newest))
    assert _problems(db, new, old, newest)  # out of order
    # The journal holds every line of all three files in order: it verifies as one file.
    witnessed = tmp_path / "journal.log"
    witnessed.write_text("".join(line + "\n" for line in journal() if line.startswith("{")))
    assert _problems(db, witnessed) == []


def test_a_cut_or_edited_archive_breaks_the_series(installation) -> None:  # type: ignore[no-untyped-def]
    db, old, new = installation
    _rotate(db, old, new)
    lines = old.read_text().splitlines(keepends=True)
    old.write_text("".join(lines[1:]))  # the first anchor cut from the archived file
    assert any("Prüfsumme bis zur Abschlusszeile anders" in p for p in _problems(db, old, new))
    assert _problems(db, new) == []  # the new file alone still anchors the log's head
    old.write_text("".join(lines).replace('"written": "', '"written": "1', 1))
    problems = _problems(db, old, new)
    assert any("Ankerzeile 1 ist nicht vom Cockpit" in p for p in problems), problems


def test_a_writer_still_on_the_old_file_is_found(  # type: ignore[no-untyped-def]
        installation, monkeypatch: pytest.MonkeyPatch) -> None:
    db, old, new = installation
    _rotate(db, old, new)
    _write_entries(db, 1)  # AUDIT_ANCHOR_FILE still names the old file (an app server not restarted)
    assert any("nach dem Abschluss weitergeschrieben" in p for p in _problems(db, old, new))
    assert any("Ankerdatei endet bei Eintrag 3" in p for p in _problems(db, new))


def test_rotation_refuses_what_would_hide_a_cut(installation) -> None:  # type: ignore[no-untyped-def]
    db, old, new = installation
    new.write_text("schon da\n")
    with pytest.raises(ValidationError, match="nicht leer"):
        _rotate(db, old, new)
    new.unlink()
    with pytest.raises(ValidationError, match="dieselbe Datei"):
        _rotate(db, old, old)
    full = old.read_text()
    old.write_text("".join(full.splitlines(keepends=True)[:-1]))  # the newest anchor cut
    with pytest.raises(ValidationError, match="passt nicht zum Protokoll"):
        _rotate(db, old, new)
    assert not new.exists() and old.read_text() != full  # nothing written anywhere
    old.write_text(full)
    _rotate(db, old, new)
    with pytest.raises(ValidationError, match="passt nicht zum Protokoll"):
        _rotate(db, old, new.with_name("noch-eine.log"))  # a closed file is not rotated twice


def test_the_command_under_chattr_append_only(url: str, tmp_path: Path) -> None:  # noqa: F811
    """As the README recommends: the anchor file `chattr +a` – rotation never rewrites it."""
    chattr = shutil.which("chattr")
    old, new = tmp_path / "anker-2025.log", tmp_path / "anker-2026.log"
    env = {"AUDIT_ANCHOR_FILE": str(old)}
    assert run_db(url, "migrate", **env).returncode == 0
    made = run_db(url, "create-user", "--username", "chefin", "--name", "Chefin Anker", "--role", "admin",
                  "--password-stdin", stdin="Kiefernzapfen-Wolkenkuckuck-7", **env)
    assert made.returncode == 0, made.stderr
    if chattr is None or subprocess.run([chattr, "+a", str(old)], capture_output=True).returncode != 0:
        pytest.skip("chattr +a geht hier nicht (Dateisystem ohne Attribute oder kein root)")
    try:
        with pytest.raises(PermissionError):
            old.write_text("")  # append-only indeed
        rotated = run_db(url, "rotate-anchor", str(old), str(new), **env)
        assert rotated.returncode == 0, rotated.stderr
        assert "AUDIT_ANCHOR_FILE" in rotated.stdout and str(new) in rotated.stdout
    finally:
        subprocess.run([chattr, "-a", str(old)], check=True)
    refused = run_db(url, "create-user", "--username", "zweite", "--name", "Zweite Anker", "--role", "admin",
                     "--password-stdin", stdin="Kiefernzapfen-Wolkenkuckuck-8", **env)
    assert refused.returncode == 1 and "abgeschlossen" in refused.stderr
    env["AUDIT_ANCHOR_FILE"] = str(new)
    assert run_db(url, "create-user", "--username", "zweite", "--name", "Zweite Anker", "--role", "admin",
                  "--password-stdin", stdin="Kiefernzapfen-Wolkenkuckuck-8", **env).returncode == 0
    series = run_db(url, "verify-audit", "--anchor", str(old), "--anchor", str(new), **env)
    assert series.returncode == 0 and "Protokoll unverändert" in series.stdout, series.stderr
    alone = run_db(url, "verify-audit", "--anchor", str(new), **env)
    assert alone.returncode == 0 and f"setzt {old} fort" in alone.stdout, alone.stderr
