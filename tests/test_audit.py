"""The audit log: append-only in the database, tamper-evident by its hash chain, and free of
personal values."""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
from pathlib import Path
from datetime import date

import pytest
from sqlalchemy import func, select, text

from db.actors import Actor
from db.errors import ValidationError
from db.store.audit import REDACTED, SPECIAL_CATEGORY, audit, verify_chain
from db.store.audit_anchor import start_anchor
from db.casework.barriers import add_barrier
from db.casework.cases import NewClient, update_client
from db.store.database import Database
from db.store.models import AuditEntry, Case, Client
from db.vocabulary import Barrier

from .conftest import World
from .test_cli import run_db, url  # noqa: F401 - url: the CLI on SQLite and on PostgreSQL


def all_changes(db: Database) -> str:
    with db.read() as session:
        return json.dumps([e.changes for e in session.scalars(select(AuditEntry))], ensure_ascii=False)


def test_the_chain_of_the_demo_world_is_whole(world: World) -> None:
    with world.db.read() as session:
        check = verify_chain(session)
        assert check.broken_at is None and check.entries == session.query(AuditEntry).count() > 100


def test_personal_values_never_reach_the_log(world: World) -> None:
    lead = world.actor("leitung")
    with world.db.read() as session:
        case = session.scalars(select(Case).order_by(Case.id)).first()
        client = session.get(Client, case.client_id)
    update_client(world.db, lead, client.id, client.version, NewClient(
        client_number=client.client_number, first_name="Geheimrätin", last_name="Vertraulich",
        phone="0355 999 123", town=client.town))
    add_barrier(world.db, lead, case.id, Barrier.ADDICTION, noted_on=date.today(), note="Klinik Sonnenhof")
    text_of_log = all_changes(world.db)
    for secret in ("Geheimrätin", "Vertraulich", "0355 999 123", "Klinik Sonnenhof", "addiction"):
        assert secret not in text_of_log
    assert REDACTED in text_of_log and SPECIAL_CATEGORY in text_of_log


def test_verify_finds_an_edited_entry_and_a_removed_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    assert run_db(url, "seed-demo").returncode == 0
    ok = run_db(url, "verify-audit")
    assert ok.returncode == 0 and "unverändert" in ok.stdout
    # Someone with the database file drops the guard and rewrites an entry …
    with sqlite3.connect(tmp_path / "log.sqlite3") as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET username = 'niemand' WHERE id = 40")
    broken = run_db(url, "verify-audit")
    assert broken.returncode == 2 and "Eintrag 40" in broken.stderr and "verändert" in broken.stderr
    # … or removes one (and repairs the edit): the next entry no longer fits.
    with sqlite3.connect(tmp_path / "log.sqlite3") as conn:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute("DELETE FROM audit_log WHERE id >= 40")
        conn.execute("DELETE FROM audit_log WHERE id = 20")
    gap = run_db(url, "verify-audit")
    assert gap.returncode == 2 and "Eintrag 21" in gap.stderr


def test_sqlite_replace_cannot_rewrite_an_entry(sqlite_db: Database) -> None:
    with sqlite_db.write() as session:
        audit(session, Actor.system(), "view", "case", 1)
    with sqlite_db.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("INSERT OR REPLACE INTO audit_log (id, at, username, action, entity) "
                          "VALUES (1, '2026-01-01', 'x', 'forged', 'case')"))
    with sqlite_db.read() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["view"]


def test_postgres_refuses_truncate(postgres_db: Database) -> None:
    with postgres_db.write() as session:
        audit(session, Actor.system(), "view", "case", 1)
    with postgres_db.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("TRUNCATE audit_log"))
    with postgres_db.read() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["view"]


def test_concurrent_writers_keep_one_chain(db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def write(n: int) -> None:
        for _ in range(15):
            with db.write() as session:
                audit(session, Actor.system(), "view", "case", n)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    with db.read() as session:
        check = verify_chain(session)
    assert check.broken_at is None and check.entries == 60


def test_the_protocol_finds_a_person_s_history_and_logs_its_own_use(world: World) -> None:
    from db.privacy.audit_review import AuditFilter, audit_entries
    from db.casework.caseload import case_detail

    with world.db.read() as session:
        case = session.scalars(select(Case).order_by(Case.id)).first()
        number = session.get(Client, case.client_id).client_number
    case_detail(world.db, world.actor("leitung"), case.id)
    officer = world.actor("datenschutz")
    rows = audit_entries(world.db, officer, AuditFilter(client_number=number))
    assert ("leitung", "view", "case") in {(r.username, r.action, r.entity) for r in rows}
    assert all(r.entity in ("case", "client") for r in rows)
    only_views = audit_entries(world.db, officer, AuditFilter(action="view", username="leitung"))
    assert only_views and {r.action for r in only_views} == {"view"}
    searches = audit_entries(world.db, officer, AuditFilter(action="view", username="datenschutz"))
    assert [r.entity for r in searches][:2] == ["audit_log", "audit_log"]  # its own use, logged
    assert number not in str([r.changes for r in searches])  # … without the searched number


def _rewrite_log(url: str, *statements: str) -> None:
    """What someone with the database's files or its superuser can do: switch the guard off,
    change the log, switch it on again."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(text(statement))
        if engine.dialect.name != "sqlite":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    engine.dispose()


def _rechain(url: str, key: bytes) -> None:
    """Re-compute every link after a deletion, with the app's own hash function and a key."""
    from db.store.audit import entry_hash

    db = Database.from_url(url)
    with db.read() as session:
        rows = [{k: getattr(e, k) for k in ("id", "at", "user_id", "username", "action", "entity",
                                             "entity_id", "changes")}
                for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    db.dispose()
    previous, updates = None, []
    for row in rows:
        digest = entry_hash(previous, row, key)
        updates.append(f"UPDATE audit_log SET prev_hash = {'NULL' if previous is None else repr(previous)}, "
                       f"hash = '{digest}' WHERE id = {row['id']}")
        previous = digest
    _rewrite_log(url, *updates)


def test_a_log_cut_short_or_rechained_is_found(url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from db.settings import DEVELOPMENT_AUDIT_KEY

    anchor = tmp_path / "anker.log"
    assert run_db(url, "seed-demo", AUDIT_ANCHOR_FILE=str(anchor)).returncode == 0
    with Database.from_url(url).read() as session:
        newest = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert anchor.stat().st_mode & 0o777 == 0o600 and anchor.read_text().count("\n") >= 1
    ok = run_db(url, "verify-audit", "--anchor", str(anchor))
    assert ok.returncode == 0 and f"Eintrag {newest}," in ok.stdout, ok.stderr
    # The newest 20 entries removed: what is left is still a whole chain …
    _rewrite_log(url, f"DELETE FROM audit_log WHERE id > {newest - 20}")
    assert run_db(url, "verify-audit").returncode == 0
    # … but the anchor outside the database names the head that is gone.
    cut = run_db(url, "verify-audit", "--anchor", str(anchor))
    assert cut.returncode == 2 and f"Eintrag {newest} fehlt" in cut.stderr
    # One entry deleted in the middle and the rest re-chained with the app's hash function: with
    # the published development key, and with a guessed one. Neither is the deployment's key.
    for key in (DEVELOPMENT_AUDIT_KEY.encode(), b"geraten-" * 5):
        _rewrite_log(url, "DELETE FROM audit_log WHERE id = 10")
        _rechain(url, key)
        rechained = run_db(url, "verify-audit")
        assert rechained.returncode == 2 and "Eintrag 1 " in rechained.stderr
    # A forged anchor line (the attacker's own head) is not taken for the app's.
    anchor.write_text(anchor.read_text() + '{"id": 5, "hash": "00", "written": "x", "mac": "00"}\n')
    forged = run_db(url, "verify-audit", "--anchor", str(anchor))
    assert forged.returncode == 2 and "nicht vom Cockpit" in forged.stderr


def test_production_does_not_start_without_an_audit_key(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from db.bootstrap import prepare
    from db.settings import ConfigurationError

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("COOKIE_KEY", "k" * 48)  # production refuses to start without one
    monkeypatch.delenv("AUDIT_KEY")
    with pytest.raises(ConfigurationError, match="AUDIT_KEY"):
        prepare(sqlite_db)
    monkeypatch.setenv("AUDIT_KEY", "zu-kurz")
    with pytest.raises(ConfigurationError, match="zu kurz"):
        prepare(sqlite_db)


def test_a_redraw_of_a_case_writes_nothing_and_a_refused_one_is_still_logged(world: World) -> None:
    """case_detail(new_view=False) reads in a read transaction; a role that may not open case
    records is refused there as on a first view, and the attempt is in the log."""
    from db.casework.caseload import case_detail
    from db.errors import PermissionDenied

    lead, council = world.actor("leitung"), world.actor("kreistag")
    with world.db.read() as session:
        case_id = session.scalar(select(Case.id).order_by(Case.id).limit(1))
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    assert case_detail(world.db, lead, case_id, new_view=False).case_id == case_id
    with world.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    with pytest.raises(PermissionDenied):
        case_detail(world.db, council, case_id, new_view=False)
    with world.db.read() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (last.action, last.entity, last.entity_id, last.user_id) == ("denied", "case", case_id, council.id)


@pytest.fixture
def journal(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A stand-in for the system journal: a syslog socket of the test's own (/dev/log may be
    absent here). Returns a function that hands out the anchor lines it received so far."""
    import socket
    import tempfile

    from db.store import audit_anchor

    directory = Path(tempfile.mkdtemp(prefix="bc-log-", dir="/tmp"))  # socket paths are short
    address = directory / "log"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(address))
    sock.setblocking(False)
    monkeypatch.setattr(audit_anchor, "SYSLOG_ADDRESS", str(address))
    monkeypatch.setattr(audit_anchor, "_witness", {})
    received: list[str] = []

    def lines() -> list[str]:
        while True:
            try:
                message = sock.recv(65536).decode().rstrip("\x00")
            except BlockingIOError:
                return received
            assert message.startswith(f"<{8 + 6}>begleiter-cockpit: ") or "ALARM" in message or "neu begonnen" in message or "fortgesetzt in" in message
            text_part = message.split(": ", 1)[1]
            received.append(text_part)

    yield lines
    for logger in audit_anchor._witness.values():  # the app's end of the socket
        for handler in logger.handlers:
            handler.close()
    sock.close()
    address.unlink(missing_ok=True)
    directory.rmdir()


def _write_entries(db: Database, count: int) -> None:
    for n in range(count):
        with db.write() as session:
            audit(session, Actor.system(), "view", "case", n)


def _anchor_problems(db: Database, path: Path) -> list[str]:
    """What `verify-audit --anchor` reports, in this process (the command line costs seconds)."""
    from db.store.audit_anchor import verify_anchor

    with db.read() as session:
        return verify_anchor(session, path).problems


def test_the_anchor_must_end_at_the_log_s_head(  # type: ignore[no-untyped-def]
        url: str, tmp_path, journal, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 39, finding 8: a missing, emptied or shortened anchor fails verify-audit in German;
    the app does not begin a new anchor file beside an existing log; the journal is a witness
    that survives cutting the log and the anchor file alike."""
    from db.__main__ import main
    from db.bootstrap import prepare
    from db.settings import ConfigurationError
    from db.store.migrate import upgrade

    anchor = tmp_path / "anker.log"
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(anchor))
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("DEMO_DATA", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)  # for the command line, run in this process
    db = Database.from_url(url)
    upgrade(db.engine)
    _write_entries(db, 6)  # the log's first entry begins the anchor file
    assert anchor.read_text().count("\n") == 6 and _anchor_problems(db, anchor) == []
    lines = anchor.read_text().splitlines(keepends=True)

    # The anchor shorter than the log: its last line is not the log's head.
    anchor.write_text("".join(lines[:-2]))
    assert any("endet bei Eintrag 4" in p and "bis Eintrag 6" in p for p in _anchor_problems(db, anchor))
    anchor.write_text("")  # emptied
    assert any("leer" in p for p in _anchor_problems(db, anchor))
    # Deleted: on the command line a German sentence, no traceback.
    anchor.unlink()
    capsys.readouterr()
    assert main(["verify-audit", "--anchor", str(anchor)]) == 2  # no exception
    assert "fehlt" in capsys.readouterr().err
    # … and the app neither starts nor begins a fresh file beside the log.
    with pytest.raises(ConfigurationError, match="Ankerdatei .* fehlt"):
        prepare(db)
    _write_entries(db, 1)
    assert not anchor.exists()
    assert any("ALARM" in line for line in journal())
    anchor.write_text("")
    with pytest.raises(ConfigurationError, match="Ankerdatei .* ist leer"):
        prepare(db)
    # Begun again deliberately, at the log's head (after checking the chain); never over lines.
    assert main(["new-anchor", str(anchor)]) == 0
    assert "bei Eintrag 7" in capsys.readouterr().out
    with db.read() as session, pytest.raises(ValidationError, match="nicht leer"):
        start_anchor(session, anchor)
    prepare(db)
    _write_entries(db, 2)
    assert main(["verify-audit", "--anchor", str(anchor)]) == 0
    assert "der neueste ist der Kopf" in capsys.readouterr().out

    # Log and anchor file cut alike pass on their own – the journal still names the head.
    witnessed = tmp_path / "journal.log"
    witnessed.write_text("".join(line + "\n" for line in journal() if line.startswith("{")))
    assert _anchor_problems(db, witnessed) == []
    _rewrite_log(url, "DELETE FROM audit_log WHERE id > 7")
    anchor.write_text("".join(anchor.read_text().splitlines(keepends=True)[:1]))
    assert _anchor_problems(db, anchor) == []
    assert any("Eintrag 9 fehlt" in p for p in _anchor_problems(db, witnessed))
    db.dispose()


def test_blank_lines_in_the_anchor_file_are_no_forgeries(  # type: ignore[no-untyped-def]
        url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor's or a copy's trailing newline is no anchor line – and a file of nothing but
    blank lines is an empty one: the app does not start beside it."""
    from db.bootstrap import prepare
    from db.settings import ConfigurationError
    from db.store.audit_anchor import verify_anchor
    from db.store.migrate import upgrade

    anchor = tmp_path / "anker.log"
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(anchor))
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("DEMO_DATA", raising=False)
    db = Database.from_url(url)
    upgrade(db.engine)
    _write_entries(db, 3)
    lines = anchor.read_text().splitlines(keepends=True)
    anchor.write_text(lines[0] + "\n" + "".join(lines[1:]) + "\n  \n\r\n\t\n")
    with db.read() as session:
        check = verify_anchor(session, anchor)
    assert (check.lines, check.problems) == (3, [])
    # Line numbers of real forgeries are still the file's own.
    anchor.write_text(anchor.read_text() + "kein Anker\n")
    assert any("Ankerzeile 9 " in p for p in _anchor_problems(db, anchor))
    anchor.write_text("\n \n\n")
    assert any("leer" in p for p in _anchor_problems(db, anchor))
    with pytest.raises(ConfigurationError, match="Ankerdatei .* ist leer"):
        prepare(db)
    db.dispose()


def _arguments(command: argparse.ArgumentParser) -> list[str]:
    """Values for a command's required arguments, of the type it asks for."""
    out: list[str] = []
    for action in command._actions:
        if not action.required or action.dest == "help":
            continue
        value = (action.choices[0] if action.choices else
                 "2026-01-01" if getattr(action.type, "__name__", "").startswith("Datum") else
                 "1" if action.type is int else "x")
        out += [*action.option_strings[:1], str(value)]
    return out


def test_every_command_line_writer_refuses_a_deleted_anchor(  # type: ignore[no-untyped-def]
        url: str, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Like the app's start: beside a log with entries, a missing or emptied anchor file stops
    every command (a new one too) but those that find out and repair – German message, exit 1,
    nothing written. A sweep over the parser's own list of commands."""
    import db.__main__ as cli
    from db.store.migrate import upgrade

    anchor = tmp_path / "anker.log"
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(anchor))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("DEMO_DATA", raising=False)
    db = Database.from_url(url)
    upgrade(db.engine)
    _write_entries(db, 2)
    anchor.unlink()

    def entries() -> int:
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry)) or 0

    # The finding: create-user went on writing (and its log entry stayed unanchored).
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("Kiefernzapfen-Wolkenkuckuck-7\n"))
    assert cli.main(["create-user", "--username", "zweite", "--name", "Zweite Admin", "--role", "admin",
                     "--password-stdin"]) == 1
    assert "Ankerdatei" in capsys.readouterr().err and entries() == 2
    ran: list[str] = []
    monkeypatch.setattr(cli, "_run", lambda args, _db: ran.append(args.command) or 0)
    commands = cli.command_line()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert len(commands) > 10
    for name, command in commands.items():
        ran.clear()
        status = cli.main([name, *_arguments(command)])
        # The start check (`preflight`, and `serve` before it starts) is what refuses the anchor.
        expected = ((cli.REFUSED_EXIT, []) if name in ("preflight", "serve") else
                    (0, [name]) if name in cli.WITHOUT_ANCHOR else (1, []))
        assert (status, ran) == expected, name
    assert not anchor.exists() and entries() == 2
    db.dispose()
