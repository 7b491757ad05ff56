"""Readiness (`python -m db ready`, the app server's /_cockpit/ready): every setting the
production start refuses (tests/test_preflight.py, the same list) makes it fail while running,
and so do a schema behind the code and an anchor file that no longer ends at the log's head.
The HTTP answer names failed checks only by their short names."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from db.actors import Actor
from db.bootstrap import readiness
from db.store.audit import audit
from db.store.database import Database
from db.store.migrate import downgrade, upgrade

from .servers import ROOT, start_app, stop, wait_healthy
from .test_preflight import REFUSED, _installation

EXPECTED = {  # which checks each refused start setting fails (without AUDIT_KEY no anchor line checks out)
    "no cookie key": ["schluessel"], "example cookie key": ["schluessel"], "short cookie key": ["schluessel"],
    "no audit key": ["schluessel", "anker"], "short audit key": ["schluessel", "anker"],
    "demo accounts open": ["demo-konten"], "anchor missing beside the log": ["anker"],
    "anchor emptied": ["anker"], "anchor rotated away": ["anker"],
    "accessibility statement missing": ["erklaerung"], "accessibility statement incomplete": ["erklaerung"],
    "no database named": ["einstellungen"], "no anchor file named": ["einstellungen", "anker"],
    "anchor not extendable": ["anker"],
    **{case: ["einstellungen"] for case in REFUSED if case.startswith("malformed address")},
}


def _failed(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, url: str | None = None) -> dict[str, str]:
    """The failed checks under `env`; the database at `url` (the installation's, where the
    setting itself is what was taken away)."""
    for name in ("COOKIE_KEY", "AUDIT_KEY", "AUDIT_ANCHOR_FILE", "APP_ENV", "ACCESSIBILITY_STATEMENT", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    db = Database.from_url(url or env["DATABASE_URL"])
    try:
        return {check.name: check.problem for check in readiness(db, settle_seconds=0.05) if not check.ok}
    finally:
        db.dispose()


def test_a_correct_installation_is_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _failed(_installation(tmp_path), monkeypatch) == {}


def test_every_refused_start_setting_is_not_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(EXPECTED) == set(REFUSED), "a new refusal of the start: say which check finds it"
    for case, (make_it, words) in sorted(REFUSED.items()):
        if case == "no cookie key" and (ROOT / ".streamlit" / "secrets.toml").exists():
            continue  # this working copy has a key file (make run): then its key counts
        with monkeypatch.context() as patch:
            env = _installation(tmp_path / case.replace(" ", "-"), demo=case == "demo accounts open")
            url = env["DATABASE_URL"]
            make_it(tmp_path / case.replace(" ", "-"), env)
            failed = _failed(env, patch, url)
        assert list(failed) == EXPECTED[case], (case, failed)
        assert all(word in failed[EXPECTED[case][0]] for word in words), (case, failed)


def test_an_anchor_behind_the_log_and_an_old_schema_are_not_ready(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _installation(tmp_path)
    db = Database.from_url(env["DATABASE_URL"])
    try:
        # A writer without AUDIT_ANCHOR_FILE: the log's head is anchored nowhere.
        with monkeypatch.context() as patch:
            patch.delenv("AUDIT_ANCHOR_FILE", raising=False)
            patch.setenv("AUDIT_KEY", env["AUDIT_KEY"])
            with db.write() as session:
                audit(session, Actor.system(), "view", "case", 1)
        failed = _failed(env, monkeypatch)
        assert list(failed) == ["anker"] and "endet bei Eintrag" in failed["anker"], failed
        # Anchored again (the next write with the file): ready.
        with db.write() as session:
            audit(session, Actor.system(), "view", "case", 2)
        assert _failed(env, monkeypatch) == {}
        # Production without any anchor file: nothing outside the database holds the log's end.
        assert "anker" in _failed({**env, "AUDIT_ANCHOR_FILE": ""}, monkeypatch)
        downgrade(db.engine, "-1")
        failed = _failed(env, monkeypatch)
        assert list(failed) == ["schema"] and "python -m db migrate" in failed["schema"], failed
        upgrade(db.engine)
    finally:
        db.dispose()


def test_an_unreachable_database_is_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    failed = _failed({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
                      "COOKIE_KEY": "c" * 48}, monkeypatch)
    assert list(failed) == ["datenbank"] and "nicht erreichbar" in failed["datenbank"], failed


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read().decode(), response.headers.get("Cache-Control", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Cache-Control", "")


def test_the_command_and_the_endpoint(tmp_path: Path) -> None:
    """`python -m db ready` as a process (exit 0 / 1, the reason), and the running app server's
    /_cockpit/ready without a login: 200 "bereit", then 503 with the check's name only."""
    env = _installation(tmp_path)
    ready = subprocess.run([sys.executable, "-m", "db", "ready"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert ready.returncode == 0 and "Bereit." in ready.stdout, ready.stdout + ready.stderr
    log = tmp_path / "serve.log"
    url, proc = start_app(env, log, production=True)
    try:
        wait_healthy(url, proc, log)
        assert _get(f"{url}/_cockpit/ready") == (200, "bereit", "no-store")
        db = Database.from_url(env["DATABASE_URL"])
        try:  # an entry written without the anchor file
            without = {k: v for k, v in env.items() if k != "AUDIT_ANCHOR_FILE"}
            old = dict(os.environ)
            os.environ.clear()
            os.environ.update(without)
            try:
                with db.write() as session:
                    audit(session, Actor.system(), "view", "case", 1)
            finally:
                os.environ.clear()
                os.environ.update(old)
        finally:
            db.dispose()
        status, body, cache = _get(f"{url}/_cockpit/ready")
        assert (status, body, cache) == (503, "nicht bereit: anker", "no-store")
        assert _get(f"{url}/_cockpit/ready?x=1")[0] == 503
    finally:
        stop(proc)
    not_ready = subprocess.run([sys.executable, "-m", "db", "ready"], cwd=ROOT, env=env, capture_output=True,
                               text=True)
    assert not_ready.returncode == 1, not_ready.stdout
    assert "anker: Die Ankerdatei" in not_ready.stderr and "Nicht bereit: anker." in not_ready.stderr


def test_a_fresh_mismatch_is_looked_at_again_a_lasting_one_answered_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer appends its anchor line just after its commit: readiness looks once more at a head
    written within bootstrap.WRITER_WINDOW (the line arriving meanwhile: ready), never at an older
    one – a lasting mismatch is not ready at once, and no monitor's poll holds a thread asleep."""
    import types
    from datetime import timedelta

    from db import bootstrap
    from db.store.audit_anchor import anchor_line, head

    env = _installation(tmp_path)
    db = Database.from_url(env["DATABASE_URL"])
    try:
        with monkeypatch.context() as patch:  # an entry whose anchor line is not (yet) there
            patch.delenv("AUDIT_ANCHOR_FILE", raising=False)
            patch.setenv("AUDIT_KEY", env["AUDIT_KEY"])
            with db.write() as session:
                audit(session, Actor.system(), "view", "case", 1)
        with db.read() as session:
            newest = head(session)
        assert newest is not None
        pauses: list[float] = []
        monkeypatch.setattr(bootstrap, "time", types.SimpleNamespace(sleep=pauses.append))
        # Just written, and the line never comes: one more look, then not ready.
        assert list(_failed(env, monkeypatch)) == ["anker"] and pauses == [0.05]
        # Written an hour ago: not ready without a second look.
        pauses.clear()
        later = bootstrap.utcnow() + timedelta(hours=1)
        with monkeypatch.context() as patch:
            patch.setattr(bootstrap, "utcnow", lambda: later)
            assert list(_failed(env, patch)) == ["anker"] and pauses == []

        # Just written, and the writer appends its line while readiness waits: ready.
        def writer_appends(seconds: float) -> None:
            pauses.append(seconds)
            with open(env["AUDIT_ANCHOR_FILE"], "a", encoding="utf-8") as anchor:
                anchor.write(anchor_line(newest, env["AUDIT_KEY"].encode()))

        monkeypatch.setattr(bootstrap, "time", types.SimpleNamespace(sleep=writer_appends))
        assert _failed(env, monkeypatch) == {} and pauses == [0.05]
    finally:
        db.dispose()
