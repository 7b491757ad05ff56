"""The production start check (`python -m db serve`, the unit's command, runs `preflight` before
the server): every refused setting ends the start with exit status 78 and its German reason in the log,
before any port answers; a correct configuration starts. Real processes, the unit's command.

The checks that need PostgreSQL roles (owner, escalating role, schema behind the code) are the
same function (db.bootstrap.prepare) and are tested against PostgreSQL in tests/test_roles.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.engine import make_url

from db.accounts.users import create_user
from db.bootstrap import NOT_YET_EXIT, REFUSED_EXIT
from db.actors import Actor
from db.settings import EXAMPLE_COOKIE_KEY, ConfigurationError, secrets_cookie_key
from db.store.database import Database, not_answering_yet
from db.store.audit_anchor import rotate_anchor, start_anchor
from db.store.migrate import upgrade
from db.store.models import User
from db.vocabulary import Role

from .servers import ROOT, free_port, start_app, stop, wait_healthy

GOOD_KEY = "c" * 48


def _installation(tmp: Path, *, demo: bool = False) -> dict[str, str]:
    """A correct production installation on SQLite: migrated, one account (so the audit log has
    entries), its anchor file begun (as `python -m db new-anchor` does); its environment."""
    url = f"sqlite:///{tmp / 'prod.sqlite3'}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("COOKIE_KEY", "AUDIT_KEY", "AUDIT_ANCHOR_FILE", "DEMO_DATA", "COOKIE_SECURE")}
    env.update(APP_ENV="production", DATABASE_URL=url, COOKIE_KEY=GOOD_KEY, DEMO_DATA="0",
               AUDIT_KEY=os.environ["AUDIT_KEY"], COOKIE_SECURE="1",
               AUDIT_ANCHOR_FILE=str(tmp / "anker.log"))
    db = Database.from_url(url)
    try:
        upgrade(db.engine)
        create_user(db, Actor.system(), username="erste.admin", display_name="Erste Administration",
                    role=Role.ADMIN, password="Ein-langes-Admin-Passwort-1")
        if demo:  # as left behind by `seed-demo`: a login with the published password
            with db.write() as session:
                session.execute(update(User).values(is_demo=True))
        with db.read() as session:
            start_anchor(session, env["AUDIT_ANCHOR_FILE"])
    finally:
        db.dispose()
    return env


# Addresses a hand-written DATABASE_URL gets wrong (tests/test_cli.py sweeps every command with them).
MALFORMED_URLS = ("postgresql://u:p@ss#x@127.0.0.1/db", "nonsense", "postgresql://u:@@127.0.0.1/db",
                  "postgresql://u:p@127.0.0.1:port/db", "postgresql://u:p@ss/x@127.0.0.1/db", "mysql+nix://u@h/db")

# Each refused setting: how it is made from a correct installation, and the words the log must
# carry (the setting and what to do about it).
Refusal = Callable[[Path, dict[str, str]], None]
REFUSED: dict[str, tuple[Refusal, list[str]]] = {
    "no cookie key": (lambda tmp, env: env.pop("COOKIE_KEY"), ["COOKIE_KEY", "setzen"]),
    "example cookie key": (lambda tmp, env: env.update(COOKIE_KEY=EXAMPLE_COOKIE_KEY),
                           ["Cookie-Schlüssel ist unsicher", "COOKIE_KEY"]),
    "short cookie key": (lambda tmp, env: env.update(COOKIE_KEY="kurz-1234"),
                         ["Cookie-Schlüssel ist unsicher", "COOKIE_KEY"]),
    "no audit key": (lambda tmp, env: env.pop("AUDIT_KEY"), ["ohne AUDIT_KEY", "Umgebungsdatei setzen"]),
    "short audit key": (lambda tmp, env: env.update(AUDIT_KEY="zu-kurz"), ["AUDIT_KEY ist zu kurz"]),
    "demo accounts open": (lambda tmp, env: None, ["Demo-Konten", "remove-demo"]),
    "anchor missing beside the log": (lambda tmp, env: Path(env["AUDIT_ANCHOR_FILE"]).unlink(),
                                      ["AUDIT_ANCHOR_FILE", "fehlt", "new-anchor"]),
    "anchor emptied": (lambda tmp, env: Path(env["AUDIT_ANCHOR_FILE"]).write_text(""),
                       ["AUDIT_ANCHOR_FILE", "ist leer"]),
    "accessibility statement missing": (
        lambda tmp, env: env.update(ACCESSIBILITY_STATEMENT=str(tmp / "barrierefreiheit.toml")),
        ["ACCESSIBILITY_STATEMENT", "nicht lesbar"]),
    "accessibility statement incomplete": (
        lambda tmp, env: env.update(ACCESSIBILITY_STATEMENT=str(_statement(tmp, drop="email = "))),
        ["ACCESSIBILITY_STATEMENT", "feedback.email"]),
    "anchor rotated away": (lambda tmp, env: _rotate(env, tmp / "anker-2.log"),
                            ["AUDIT_ANCHOR_FILE", "abgeschlossen", "anker-2.log"]),
    # Settings the app would fill in by itself: an empty SQLite file of its own, no anchor at all.
    "no database named": (lambda tmp, env: env.pop("DATABASE_URL"), ["DATABASE_URL fehlt", "database-url"]),
    "no anchor file named": (lambda tmp, env: env.pop("AUDIT_ANCHOR_FILE"), ["AUDIT_ANCHOR_FILE fehlt", "new-anchor"]),
    # An anchor the service account cannot extend (root runs the tests and may write anything:
    # a directory in its place fails the same open the writer does).
    "anchor not extendable": (lambda tmp, env: _unextendable(Path(env["AUDIT_ANCHOR_FILE"])),
                              ["AUDIT_ANCHOR_FILE", "nicht lesen und fortschreiben", "chown"]),
    # A password with an unencoded # or @: never the driver's English error or a traceback.
    **{f"malformed address {n}": ((lambda url: lambda tmp, env: env.update(DATABASE_URL=url))(url),
                                  ["DATABASE_URL", "python -m db database-url"])
       for n, url in enumerate(MALFORMED_URLS)},
}


def _unextendable(anchor: Path) -> None:
    anchor.unlink()
    anchor.mkdir()


SHIPPED_STATEMENT = Path(__file__).resolve().parent.parent / "db" / "data" / "barrierefreiheit.toml"


def _statement(tmp: Path, *, drop: str | None = None) -> Path:
    """The Jobcenter's own statement: the shipped one with every placeholder filled in (or, with
    `drop`, the first line starting so removed)."""
    lines = SHIPPED_STATEMENT.read_text(encoding="utf-8").replace(
        "vom Jobcenter nach der Mustererklärung einzutragen", "post@lbb.brandenburg.example").replace(
        "zuständige Stelle vom Jobcenter einzutragen", "Servicestelle Barrierefreiheit").replace(
        "vom Jobcenter einzutragen", "Jobcenter Forst, barrierefrei@jc.example").splitlines(keepends=True)
    if drop is not None:
        lines.remove(next(line for line in lines if line.startswith(drop)))
    path = tmp / "barrierefreiheit.toml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _rotate(env: dict[str, str], new: Path) -> None:
    """`python -m db rotate-anchor` done, but AUDIT_ANCHOR_FILE still names the closed file."""
    db = Database.from_url(env["DATABASE_URL"])
    try:
        with db.read() as session:
            rotate_anchor(session, env["AUDIT_ANCHOR_FILE"], new)
    finally:
        db.dispose()


def _serve(env: dict[str, str], log: Path) -> tuple[int, str]:
    """`python -m db serve` as the unit runs it; its exit status and its whole output (the journal)."""
    url, proc = start_app(env, log, production=True, port=free_port())
    try:
        status = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:  # it started serving after all: the failure shows below
        status = 0
    finally:
        stop(proc)
    return status, log.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_setting_stops_the_start_with_its_reason(case: str, tmp_path: Path) -> None:
    make_it, words = REFUSED[case]
    env = _installation(tmp_path, demo=case == "demo accounts open")
    make_it(tmp_path, env)
    if case == "no cookie key" and secrets_cookie_key() is not None:
        pytest.skip("diese Arbeitskopie hat .streamlit/secrets.toml (make run): dann gilt deren Schlüssel")
    status, log = _serve(env, tmp_path / "serve.log")
    assert status == REFUSED_EXIT, (status, log)  # the unit does not restart it: "failed" at once
    assert "Begleiter-Cockpit startet nicht:" in log, log
    for word in words:
        assert word in log, (word, log)
    assert "Traceback" not in log and "You can now view" not in log, log  # never served


def test_a_database_not_up_yet_is_tried_again_a_wrong_one_is_not(tmp_path: Path) -> None:
    """A PostgreSQL that does not answer (a closed port: as at boot, before it listens) ends the
    start with NOT_YET_EXIT – systemd tries again; a server that answers but has no such
    database is a wrong setting (REFUSED_EXIT)."""
    env = _installation(tmp_path)
    closed = free_port()
    cases = {f"postgresql+psycopg://begleiter_app:geheim@127.0.0.1:{closed}/begleiter_cockpit": NOT_YET_EXIT}
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        server = make_url(os.environ["TEST_DATABASE_URL"])
        cases[server.set(database="gibt_es_nicht_bc").render_as_string(hide_password=False)] = REFUSED_EXIT
        # An option the driver does not know (a typo: sslmod=…): a setting, not "not yet" – the
        # ping itself failed on it and ended the start with a traceback, restarted for ever.
        cases[server.update_query_dict({"sslmod": "require"}).render_as_string(hide_password=False)] = REFUSED_EXIT
    for n, (url, expected) in enumerate(cases.items()):
        status, log = _serve({**env, "DATABASE_URL": url}, tmp_path / f"serve-{n}.log")
        assert status == expected, (url, status, log)
        assert "Begleiter-Cockpit startet nicht:" in log and "DATABASE_URL" in log, log
        assert "Traceback" not in log and "You can now view" not in log, log
        checked = subprocess.run([sys.executable, "-m", "db", "preflight"], cwd=ROOT, capture_output=True, text=True,
                                 env={**env, "DATABASE_URL": url})
        assert checked.returncode == expected, checked.stderr


def test_a_correct_configuration_starts(tmp_path: Path) -> None:
    """It starts – and while the accessibility statement still names "vom Jobcenter
    einzutragen" as its contact, every start says so in the journal (a warning, no refusal)."""
    env = _installation(tmp_path)
    env.pop("ACCESSIBILITY_STATEMENT", None)
    log = tmp_path / "serve.log"
    url, proc = start_app(env, log, production=True)
    try:
        wait_healthy(url, proc, log)
    finally:
        stop(proc)
    said = log.read_text(encoding="utf-8")
    assert "Startprüfung bestanden." in said
    assert "Warnung: Die Erklärung zur Barrierefreiheit" in said and "feedback.email" in said, said
    env["ACCESSIBILITY_STATEMENT"] = str(_statement(tmp_path))
    checked = subprocess.run([sys.executable, "-m", "db", "preflight"], cwd=ROOT, env=env, capture_output=True,
                             text=True)
    assert checked.returncode == 0 and "Warnung" not in checked.stderr, checked.stderr


def test_an_unreadable_secrets_file_is_refused_not_ignored(tmp_path: Path) -> None:
    """Streamlit reads the secrets file on every request: unreadable, each one would fail."""
    unreadable = tmp_path / "secrets.toml"
    unreadable.mkdir()  # unreadable as a file even for root, who ignores file modes
    with pytest.raises(ConfigurationError, match="nicht lesbar"):
        secrets_cookie_key(unreadable)
    broken = tmp_path / "broken.toml"
    broken.write_text("cookie_key = ", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="kein gültiges TOML"):
        secrets_cookie_key(broken)
    assert secrets_cookie_key(tmp_path / "fehlt.toml") is None
    (tmp_path / "ok.toml").write_text(f'cookie_key = "{GOOD_KEY}"\n', encoding="utf-8")
    assert secrets_cookie_key(tmp_path / "ok.toml") == GOOD_KEY


class _Failed(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("failed")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate, passes", [
    ("57P03", True), ("53300", True), ("08006", True), ("40P01", True),
    ("28P01", False), ("3D000", False), ("42501", False), ("0A000", False),
])
def test_an_error_the_server_sent_decides_by_its_sqlstate(sqlstate: str, passes: bool) -> None:
    """Starting up, too many clients, a broken connection, a deadlock pass with time; a wrong
    password, a missing database, missing rights do not."""
    engine = Database.from_url("sqlite://").engine
    assert not_answering_yet(engine, _Failed(sqlstate)) is passes


def test_a_refused_connect_is_tried_once_more_before_it_counts_as_a_setting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """At boot the server may come up between the failed connect and the ping, which then
    answers: without a second try that start would end "failed" for good (78). Twice refused,
    it is a setting."""
    import db.__main__ as cli

    failures: list[int] = []

    def prepare_failing(times: int) -> Callable[[Database], None]:
        def prepare(_db: Database) -> None:
            if len(failures) < times:
                failures.append(1)
                raise OperationalError("SELECT 1", {}, _Failed(None))  # a connect: no SQLSTATE
        return prepare

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'start.sqlite3'}")
    monkeypatch.setattr(cli, "refuse_what_a_server_start_needs_named", lambda: None)
    monkeypatch.setattr(cli, "start_warnings", lambda: [])
    monkeypatch.setattr(cli, "AGAIN_AFTER", 0)
    monkeypatch.setattr(cli, "prepare", prepare_failing(1))
    assert cli.preflight() == 0, capsys.readouterr().err
    assert len(failures) == 1
    failures.clear()
    monkeypatch.setattr(cli, "prepare", prepare_failing(2))
    assert cli.preflight() == REFUSED_EXIT and len(failures) == 2
    err = capsys.readouterr().err
    assert "Begleiter-Cockpit startet nicht:" in err and "DATABASE_URL" in err and "Traceback" not in err
