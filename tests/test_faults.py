"""Faults: a write that fails half-way leaves nothing behind; a missing database gives a German
page, not a traceback; a backup taken while people write is consistent and usable."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from db.casework import activities, cases
from db.store.backup import backup_sqlite
from db.casework.caseload import CaseFilter, caseload
from db.store.database import Database
from db.demo.seed import seed_demo
from db.store.migrate import upgrade
from db.store.models import Activity, AuditEntry, Case, StatusChange
from db.vocabulary import ActivityKind, CaseStatus

from .conftest import ROOT, World, log_in

UNREACHABLE = "Die Datenbank ist gerade nicht erreichbar."


def counts(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) or 0
                     for m in (Activity, AuditEntry, StatusChange))


def broken_audit(*args: object, **kwargs: object) -> None:
    raise RuntimeError("Festplatte voll")  # between the change and its audit entry


def test_a_status_change_whose_audit_fails_changes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    lead = world.actor("leitung")
    row = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    before = counts(world.db)
    monkeypatch.setattr(cases, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        cases.change_status(world.db, lead, row.case_id, row.version, CaseStatus.CLOSED,
                            end_reason=cases.EndReason.OTHER)
    with world.db.read() as session:
        case = session.get_one(Case, row.case_id)
        assert (case.status, case.version, case.end_date) == (CaseStatus.ACTIVE, row.version, None)
    assert counts(world.db) == before


def test_a_contact_whose_audit_fails_is_not_kept(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    lead = world.actor("leitung")
    row = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    before = counts(world.db)
    monkeypatch.setattr(activities, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        activities.record_activity(world.db, lead, row.case_id, ActivityKind.HOME_VISIT, note="x")
    assert counts(world.db) == before


def test_database_unreachable_at_start_gives_a_german_page(monkeypatch: pytest.MonkeyPatch,
                                                           apptest_routing: None) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/nirgends?connect_timeout=2")
    monkeypatch.setenv("COOKIE_KEY", "f" * 48)
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert UNREACHABLE in at.error[0].value
    assert not at.text_input  # no login form against a database that is not there


def test_database_lost_mid_session_gives_a_german_page(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    log_in(app, "leitung")
    assert app.title[0].value == "Lagebild"

    def down(self: Database):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("Verbindung abgelehnt"))

    working = Database.read
    monkeypatch.setattr(Database, "read", down)
    app.switch_page("pages/cases.py").run()
    assert not app.exception
    assert any(UNREACHABLE in e.value for e in app.error)
    monkeypatch.setattr(Database, "read", working)  # the server is back: the next click works again
    app.switch_page("pages/cases.py").run()
    assert app.title[0].value == "Fälle" and not app.error


def test_backup_while_writing_is_consistent_and_usable(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    upgrade(db.engine)
    seed_demo(db)
    from db.actors import Actor
    from db.store.models import User

    with db.read() as session:
        lead = Actor.of(session.scalars(select(User).where(User.username == "leitung")).one())
    case_id = caseload(db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0].case_id
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        while not stop.is_set():
            activities.record_activity(db, lead, case_id, ActivityKind.PHONE, note="während der Sicherung")
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = [backup_sqlite(db, tmp_path / f"copy{n}.sqlite3") for n in range(3)]
    finally:
        stop.set()
        thread.join()
    assert written[0] > 0
    for copy in copies:
        restored = Database.from_url(f"sqlite:///{copy}")
        with restored.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        with restored.read() as session:
            # Each contact came with its audit entry in one transaction: a copy holds both or neither.
            contacts = session.scalar(select(func.count()).select_from(Activity)
                                      .where(Activity.note == "während der Sicherung"))
            audited = session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.entity == "activity", AuditEntry.username == "leitung"))
            assert contacts == audited
        assert caseload(restored, lead, CaseFilter(), limit=5).total > 0  # the app works on it
