"""`python -m db …` as an operator uses it, against SQLite and PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .servers import PostgresServer
from .test_preflight import MALFORMED_URLS

ROOT = Path(__file__).resolve().parent.parent


def run_db(url: str, *args: str, stdin: str | None = None, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if k not in ("DEMO_DATA", "APP_ENV")},
           "DATABASE_URL": url, **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "db", *args], cwd=ROOT, env=env, text=True,
        capture_output=True, input=stdin, timeout=120,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    created = server.create_database()
    yield created
    server.drop_database(created)


def test_migrate_seed_and_kpis_json(url: str) -> None:
    first = run_db(url, "migrate")
    assert first.returncode == 0 and first.stdout.startswith("Schema angelegt (Stand "), first.stdout
    assert run_db(url, "migrate").stdout.startswith("Schema ist aktuell (Stand ")
    seeded = run_db(url, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "demo-passwort" in seeded.stdout
    figures = json.loads(run_db(url, "kpis", "--json").stdout)
    assert figures["active_cases"] == 11
    assert figures["planned_first_interviews"] == 19
    assert {"referred", "employed", "closed", "companions_working", "positions_open"} <= figures.keys()
    # No leavers yet in the article's launch state: the rate is absent, not 0 %.
    assert (figures["participants"], figures["exits"], figures["integration_rate"]) == (11, 0, None)
    text = run_db(url, "kpis").stdout  # the registry's German labels
    assert "Teilnehmende (Begleitung und Nachbetreuung)" in text and "noch keine Abgänge" in text
    again = run_db(url, "seed-demo")
    assert again.returncode == 1 and "bereits Daten" in again.stderr
    assert run_db(url, "seed-demo", "--if-empty").returncode == 0


def test_create_user(url: str) -> None:
    made = run_db(url, "create-user", "--username", "chefin", "--name", "Erste Admin",
                  "--role", "admin", "--password-stdin", stdin="ein-langes-passwort")
    assert made.returncode == 0, made.stderr
    twice = run_db(url, "create-user", "--username", "chefin", "--name", "X",
                   "--role", "admin", "--password-stdin", stdin="ein-langes-passwort")
    assert twice.returncode == 1 and "gibt es schon" in twice.stderr
    short = run_db(url, "create-user", "--username", "kurz", "--name", "X",
                   "--role", "lead", "--password-stdin", stdin="kurz")
    assert short.returncode == 1 and "mindestens 12 Zeichen" in short.stderr
    # A companion needs a capacity: the rule of the admin form holds on the command line too.
    bare = run_db(url, "create-user", "--username", "begleitung", "--name", "Neue Begleitung",
                  "--role", "companion", "--password-stdin", stdin="Kiefernzapfen-Wolke-17")
    assert bare.returncode == 1 and "„Kapazität“" in bare.stderr, bare.stderr
    made = run_db(url, "create-user", "--username", "begleitung", "--name", "Neue Begleitung",
                  "--role", "companion", "--password-stdin", "--capacity", "15", stdin="Kiefernzapfen-Wolke-17")
    assert made.returncode == 0, made.stderr


def test_backup_is_a_working_copy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    assert run_db(url, "seed-demo").returncode == 0
    target = tmp_path / "backup" / "copy.sqlite3"
    done = run_db(url, "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o600  # social data: this account only, any umask
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restored = json.loads(run_db(f"sqlite:///{target}", "kpis", "--json").stdout)
    assert restored["active_cases"] == 11


def test_anonymise_command_reports_what_it_did(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    assert run_db(url, "seed-demo").returncode == 0
    done = run_db(url, "anonymise", "--years", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("0 Personen (0 Fälle) anonymisiert")  # the demo is all recent
    bad = run_db(url, "anonymise", "--years", "0")
    assert bad.returncode == 1 and "zwischen 1 und 30" in bad.stderr


def test_demo_data_only_when_asked(url: str) -> None:
    skipped = run_db(url, "seed-demo", "--if-empty")  # as `DEMO_DATA=0 make run` calls it
    assert skipped.returncode == 0 and "DEMO_DATA=1" in skipped.stdout
    assert json.loads(run_db(url, "kpis", "--json").stdout)["companions_working"] == 0
    refused = run_db(url, "seed-demo", APP_ENV="production", DEMO_DATA="1")
    assert refused.returncode == 1 and "Produktionsbetrieb" in refused.stderr
    # `APP_ENV=production make run` (which asks with --if-empty) goes on without demo data.
    quiet = run_db(url, "seed-demo", "--if-empty", APP_ENV="production", DEMO_DATA="1")
    assert quiet.returncode == 0 and "keine Demodaten" in quiet.stdout
    assert run_db(url, "seed-demo", "--if-empty", DEMO_DATA="1").returncode == 0
    assert json.loads(run_db(url, "kpis", "--json").stdout)["active_cases"] == 11


def test_erase_person_says_in_german_what_stays(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    assert run_db(url, "seed-demo").returncode == 0
    done = run_db(url, "erase-person", "--client-number", "DEMO-1001", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Personendaten gelöscht (1 Fall bleibt als anonyme Zahlen)."


def test_demo_accounts_are_closed_for_good_and_production_then_starts(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from db.accounts.auth import login
    from db.bootstrap import prepare
    from db.store.database import Database
    from db.errors import DomainError

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert run_db(url, "seed-demo").returncode == 0
    db = Database.from_url(url)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("COOKIE_KEY", "k" * 48)  # production refuses to start without one
    monkeypatch.delenv("DEMO_DATA", raising=False)
    with pytest.raises(DomainError, match="remove-demo"):  # the app's start, in production
        prepare(db)
    closed = run_db(url, "remove-demo")
    assert closed.returncode == 0 and "fallmanager3" in closed.stdout and "admin" in closed.stdout
    assert "Keine Demo-Konten" in run_db(url, "remove-demo").stdout  # again: nothing left open
    prepare(db)  # starts now
    with pytest.raises(DomainError):
        login(db, "leitung", "demo-passwort")
    db.dispose()


def test_the_command_line_answers_mistakes_in_german(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'words.sqlite3'}"
    for args, expected in ((["gibt-es-nicht"], "Fehler: Angabe Befehl: unbekannt"),
                           (["create-user"], "Diese Angaben fehlen: --username, --name, --role"),
                           (["funder-report", "--from", "2026-13-01", "--out", "x.csv"], "Datum JJJJ-MM-TT")):
        done = run_db(url, *args)
        assert done.returncode == 2 and expected in done.stderr, done.stderr
        assert "error" not in done.stderr and "usage" not in done.stderr


def test_the_quick_start_database_lands_in_the_ignored_data_folder(tmp_path: Path) -> None:
    """A fresh checkout (the tracked files as they are now), `python -m db migrate` without
    DATABASE_URL: the file is under data/ at the checkout's root and git sees nothing new."""
    clone = tmp_path / "checkout"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, tracked.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            (clone / name).write_bytes((ROOT / name).read_bytes())
    git = lambda *args: subprocess.run(["git", *args], cwd=clone, capture_output=True, text=True,  # noqa: E731
                                       check=True).stdout
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "checkout")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_DATA", "APP_ENV")}
    migrated = subprocess.run([sys.executable, "-m", "db", "migrate"], cwd=clone, env=env, text=True,
                              capture_output=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert (clone / "data" / "begleiter.sqlite3").is_file()
    assert git("status", "--porcelain", "--untracked-files=all") == ""


SECRET_WORDS = ("password", "passwort", "secret", "token", "key")


def test_no_command_takes_a_secret_as_an_argument() -> None:
    """A sweep over the parser's own commands and options: a value whose name says it is a secret
    would stand in `ps` and in the shell's history. Only the refused `--password` (hidden, it
    answers with the way) may carry one; everything else reads secrets from stdin or the
    environment."""
    import argparse

    from db.__main__ import command_line

    commands = next(a for a in command_line()._actions if isinstance(a, argparse._SubParsersAction))
    offered = [f"{name} {option}" for name, parser in commands.choices.items()
               for action in parser._actions if action.nargs != 0 and action.option_strings
               for option in action.option_strings
               if any(word in option.lower() for word in SECRET_WORDS) and action.help != argparse.SUPPRESS]
    assert offered == []
    refused = [name for name, parser in commands.choices.items()
               if any("--password" in a.option_strings for a in parser._actions)]
    assert set(refused) == {"create-user", "setup-roles"}


def test_a_password_on_the_command_line_is_refused_and_nothing_is_written(url: str) -> None:
    assert run_db(url, "migrate").returncode == 0
    given = run_db(url, "create-user", "--username", "chefin", "--name", "Erste Admin",
                   "--role", "admin", "--password", "ein-langes-passwort")
    assert given.returncode == 2 and "--password-stdin" in given.stderr and "ps" in given.stderr
    made = run_db(url, "create-user", "--username", "chefin", "--name", "Erste Admin",
                  "--role", "admin", "--password-stdin", stdin="ein-langes-passwort\n")
    assert made.returncode == 0, made.stderr  # the first attempt wrote nothing: the name was free


def _minimal_arguments(command: str, tmp_path: Path) -> list[str]:
    """`command` with every argument its parser requires, each a valid value of its type."""
    import argparse

    from db.__main__ import command_line

    sub = next(action for action in command_line()._actions if isinstance(action, argparse._SubParsersAction))
    words = [command]
    for action in sub.choices[command]._actions:
        if not (action.required or not action.option_strings) or isinstance(action, argparse._HelpAction):
            continue
        value = (str(action.choices[0]) if action.choices else "1" if action.type is int
                 else "2026-01-05" if getattr(action.type, "__name__", "").startswith("Datum")
                 else str(tmp_path / f"{action.dest}.xlsx"))
        words += [*action.option_strings[:1], value]
    return words


@pytest.mark.parametrize("malformed", MALFORMED_URLS)
def test_every_command_refuses_a_malformed_database_url_in_one_german_line(
        malformed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A password with an unencoded #, @ or /, or an address SQLAlchemy cannot read: every command
    (taken from the parser: a new one is swept too) answers with one German line naming
    DATABASE_URL and the helper that encodes it, a non-zero status, no traceback – the start check
    with the status of a refused setting (the unit does not restart it)."""
    from db.__main__ import OPENS_NO_DATABASE, command_line, main
    from db.bootstrap import REFUSED_EXIT

    import argparse

    sub = next(action for action in command_line()._actions if isinstance(action, argparse._SubParsersAction))
    monkeypatch.setenv("DATABASE_URL", malformed)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setattr("sys.stdin", open(os.devnull))
    for command in sorted(set(sub.choices) - OPENS_NO_DATABASE):
        status = main(_minimal_arguments(command, tmp_path))
        out, err = capsys.readouterr()
        lines = [line for line in err.splitlines() if line.strip()]
        assert status == (REFUSED_EXIT if command in ("preflight", "serve") else 1), (command, status, err)
        assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "python -m db database-url" in lines[0], (command, err)
        assert malformed not in err and "Traceback" not in err and not out.strip(), (command, out, err)
        # Nor any part of it that may be a password: what stands between "://user:" and the host.
        secret = malformed.split("://", 1)[-1].split(":", 1)[-1].rsplit("@", 1)[0] if "@" in malformed else ""
        assert len(secret) < 3 or secret not in err, (command, secret, err)
        assert "Datenbankadresse" in lines[0]  # German
