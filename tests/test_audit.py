"""The audit log: append-only in the database, tamper-evident by its hash chain, and free of
personal values."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from sqlalchemy import select, text

from db.actors import Actor
from db.audit import REDACTED, SPECIAL_CATEGORY, audit, verify_chain
from db.barriers import add_barrier
from db.cases import NewClient, update_client
from db.database import Database
from db.models import AuditEntry, Case, Client
from db.vocabulary import Barrier

from .conftest import World
from .test_cli import run_db


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
    from db.audit_review import AuditFilter, audit_entries
    from db.caseload import case_detail

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
