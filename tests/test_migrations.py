"""Alembic migrations build the schema the models describe, and run back and forth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from db.store.database import make_engine
from db.store.migrate import current_revision, downgrade, is_empty, upgrade
from db.store.models import Base

from .servers import PostgresServer


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    engine = create_engine(url)
    yield engine
    engine.dispose()
    server.drop_database(url)


def test_upgrade_builds_an_empty_database_that_matches_the_models(empty_engine: Engine) -> None:
    assert is_empty(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) is not None
    with empty_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_downgrade_and_upgrade_round_trip(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == tables


def test_audit_log_refuses_update_and_delete(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_log (at, username, action, entity) "
            "VALUES (CURRENT_TIMESTAMP, 'x', 'view', 'case')"
        ))
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            with empty_engine.begin() as conn:
                conn.execute(text(statement))
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_log")).scalars().all() == ["view"]


def test_old_audit_entries_lose_their_personal_values_and_join_the_chain(empty_engine: Engine) -> None:
    from db.store.audit import verify_chain
    from db.store.database import Database

    upgrade(empty_engine, "0004")
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, changes) VALUES "
            "('2026-01-05 10:00:00', NULL, 'system', 'update', 'client', 1, "
            "'{\"last_name\": [\"Altname\", \"Neuname\"], \"town\": [\"Guben\", \"Forst\"], \"status\": \"active\"}'),"
            "('2026-01-05 10:01:00', NULL, 'meingeheimespasswort', 'login_failed', 'session', NULL, "
            "'{\"reason\": \"unknown\"}')"))
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT username, changes FROM audit_log ORDER BY id")).all()
    dump = " ".join(f"{u} {c}" for u, c in rows)
    for secret in ("Altname", "Neuname", "Forst", "meingeheimespasswort"):
        assert secret not in dump
    assert "active" in dump  # what is not personal stays
    with Database(empty_engine).read() as session:
        check = verify_chain(session)
    assert check.broken_at is None and check.entries == 2


def test_closed_cases_keep_their_result_when_results_are_recorded(empty_engine: Engine) -> None:
    """0009: the result the old rule derived becomes a recorded event on the end date."""
    upgrade(empty_engine, "0008")
    now = "'2026-01-05 10:00:00'"
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO clients (id, client_number, first_name, last_name, town, created_at, "
                          f"version) VALUES (1, 'A', 'A', 'A', 'Guben', {now}, 1)"))
        conn.execute(text("INSERT INTO employers (id, name) VALUES (1, 'Betrieb')"))
        for case_id, end_reason, from_status in ((1, "follow_up_completed", "employed"),
                                                 (2, "training", "active"), (3, "no_contact", "active")):
            conn.execute(text(
                "INSERT INTO cases (id, client_id, referral_source, status, referred_on, start_date, end_date, "
                f"end_reason, created_at, updated_at, version) VALUES ({case_id}, 1, 'case_manager', 'closed', "
                f"'2026-01-01', '2026-01-10', '2026-03-01', '{end_reason}', {now}, {now}, 1)"))
            conn.execute(text(
                "INSERT INTO status_changes (case_id, from_status, to_status, changed_on, changed_at) "
                f"VALUES ({case_id}, '{from_status}', 'closed', '2026-03-01', {now})"))
        conn.execute(text("INSERT INTO placements (case_id, employer_id, job_kind, start_date) "
                          "VALUES (1, 1, 'mini_job', '2026-02-01')"))
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT case_id, result, occurred_on FROM exit_outcomes ORDER BY case_id")).all()
    assert [(r[0], r[1], str(r[2])) for r in rows] == [(1, "minijob", "2026-03-01"), (2, "education", "2026-03-01")]


def test_an_intact_keyless_chain_is_rechained_with_the_key_and_an_edited_one_is_not(empty_engine: Engine) -> None:
    import hashlib
    import json
    from datetime import UTC, datetime

    from db.store.audit import _canonical, verify_chain
    from db.store.database import Database

    upgrade(empty_engine, "0011")
    previous, rows = None, []
    for n in range(3):  # entries as revision 0011 wrote them: plain SHA-256 links
        values = {"at": datetime(2026, 11, 1, 9, n, tzinfo=UTC), "user_id": None, "username": "system",
                  "action": "view", "entity": "case", "entity_id": n, "changes": None}
        content = {k: _canonical(v) for k, v in values.items()}
        digest = hashlib.sha256(json.dumps([previous, content], sort_keys=True, ensure_ascii=False,
                                           default=str).encode()).hexdigest()
        rows.append({**values, "prev_hash": previous, "hash": digest})
        previous = digest
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, "
                          "changes, prev_hash, hash) VALUES (:at, :user_id, :username, :action, :entity, "
                          ":entity_id, NULL, :prev_hash, :hash)"), rows)
    upgrade(empty_engine)
    with Database(empty_engine).read() as session:
        check = verify_chain(session)
    assert check.broken_at is None and check.entries == 3
    with empty_engine.connect() as conn:  # re-made: none of the keyless hashes is left
        stored = set(conn.execute(text("SELECT hash FROM audit_log")).scalars())
    assert not stored & {row["hash"] for row in rows}


def test_an_edited_keyless_chain_stops_the_migration(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0011")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, username, action, entity, prev_hash, hash) VALUES "
                          "(CURRENT_TIMESTAMP, 'x', 'view', 'case', NULL, 'gefaelscht')"))
    with pytest.raises(Exception, match="passt nicht in die Hash-Kette"):
        upgrade(empty_engine)
    assert current_revision(empty_engine) == "0011"


FAILING = '''"""A migration that fails half-way (tests only): a table made, then an error."""
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"


def upgrade() -> None:
    op.create_table("update_half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("SELECT 1 FROM table_that_is_not_there")


def downgrade() -> None:
    op.drop_table("update_half_done")
'''


def test_a_failing_migration_leaves_the_old_schema_on_postgres(postgres_server: PostgresServer,
                                                             tmp_path: Path) -> None:
    """The README's rollback: when `migrate` fails during an update, PostgreSQL keeps the old
    schema – every migration of the run is one transaction (db/store/migrations/env.py) – so the
    previous version starts again without a restore. Here an update of two steps (the newest
    shipped migration, then one that fails): neither is left behind."""
    import shutil

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from db.store.migrate import MIGRATIONS, alembic_config

    url = postgres_server.create_database()
    engine = create_engine(url)
    try:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        previous = ScriptDirectory.from_config(alembic_config(engine)).get_revision(head).down_revision
        upgrade(engine, str(previous))  # the version before the update
        scripts = tmp_path / "migrations"
        shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
        (scripts / "versions" / "9999_fails.py").write_text(FAILING.format(head=head))
        config: Config = alembic_config(engine)
        config.set_main_option("script_location", str(scripts))
        from alembic import command

        with pytest.raises(Exception, match="table_that_is_not_there"):
            command.upgrade(config, "head")
        assert current_revision(engine) == previous
        assert "update_half_done" not in inspect(engine).get_table_names()
        # The previous version's code runs on it as before; the update, once fixed, applies.
        upgrade(engine)
        assert current_revision(engine) == head
    finally:
        engine.dispose()
        postgres_server.drop_database(url)
