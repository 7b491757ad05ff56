"""PostgreSQL: the application role can work with the data but cannot rewrite the audit log;
production refuses a superuser or owner connection."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.actors import Actor
from db.store.audit import audit
from db.bootstrap import prepare
from db.store.database import Database
from db.store.roles import ALLOWED_PREDEFINED_ROLES, granted_tables, setup_app_role, unsafe_app_connection
from db.settings import ConfigurationError

from .conftest import PostgresServer


@pytest.fixture
def owner_url(postgres_server: PostgresServer):  # type: ignore[no-untyped-def]
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


def test_the_application_role_may_only_append_to_the_audit_log(owner_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = Database.from_url(owner_url)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("DEMO_DATA", raising=False)  # an empty database: only this test's entries
    prepare(owner)  # migrations, as the owner
    role = f"bc_app_{make_url(owner_url).database[-10:]}"
    setup_app_role(owner.engine, role)
    setup_app_role(owner.engine, role)  # again after a migration: idempotent
    # With a password, as the README's Betrieb section says (quotes and % included).
    setup_app_role(owner.engine, role, password="it's 100% ge'heim; DROP TABLE x")
    with owner.engine.connect() as conn:
        assert conn.execute(text("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = :r"),
                            {"r": role}).scalar()
    with owner.write() as session:
        audit(session, Actor.system(), "view", "case", 1)
    app_url = make_url(owner_url).set(username=role).render_as_string(hide_password=False)
    app = Database.from_url(app_url)
    try:
        with app.write() as session:  # the app's normal work
            audit(session, Actor.system(), "view", "case", 2)
        assert unsafe_app_connection(app.engine) is None
        assert unsafe_app_connection(owner.engine) is not None
        for attack in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                       "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                       "SET session_replication_role = replica", "DROP TABLE audit_log",
                       "CREATE TABLE t (x int)",
                       # The council's releases, likewise: read and extend only.
                       "UPDATE council_releases SET content_hash = 'x'", "DELETE FROM council_release_files",
                       "TRUNCATE council_releases", "ALTER TABLE council_releases DISABLE TRIGGER USER"):
            with app.engine.connect() as conn, pytest.raises(Exception, match="(?i)permission|denied|owner|must be"):
                conn.execute(text(attack))
        with app.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 2
        # Production refuses the owner (here a superuser), accepts the application role.
        monkeypatch.setenv("APP_ENV", "production")
        monkeypatch.setenv("COOKIE_KEY", "k" * 48)  # production refuses to start without one
        with pytest.raises(ConfigurationError, match="Superuser|Eigentümer"):
            prepare(owner)
        prepare(app)
        # A schema behind the code (new version installed, `migrate` forgotten): refused, and the
        # message says what to run – the same check `python -m db serve` runs before it serves.
        with owner.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'vorher'"))
        with pytest.raises(ConfigurationError, match="Datenbankschema ist nicht aktuell.*migrate"):
            prepare(app)
    finally:
        app.dispose()
        owner.dispose()
        with create_engine(owner_url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER'))
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.fixture
def plain_owner(postgres_server: PostgresServer):  # type: ignore[no-untyped-def]
    """A database owned by an ordinary role (no superuser, CREATEROLE only), as a Jobcenter's
    database administrator would hand it over; the roles are dropped again afterwards."""
    url = postgres_server.create_database()
    suffix = make_url(url).database[-10:]
    owner = f"bc_owner_{suffix}"
    with postgres_server.admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN CREATEROLE'))
        conn.execute(text(f'ALTER DATABASE "{make_url(url).database}" OWNER TO "{owner}"'))
    yield make_url(url).set(username=owner).render_as_string(hide_password=False), owner
    postgres_server.drop_database(url)
    with postgres_server.admin.connect() as conn:
        for role in conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
                                 {"p": f"bc_%_{suffix}"}).scalars().all():
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


def test_production_refuses_a_role_that_is_a_member_of_the_owner_role(
        plain_owner: tuple[str, str], postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    owner_url, owner = plain_owner
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("DEMO_DATA", raising=False)
    db = Database.from_url(owner_url)
    prepare(db)
    db.dispose()
    member = owner.replace("bc_owner_", "bc_member_")
    with postgres_server.admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{member}" LOGIN IN ROLE "{owner}"'))
    member_db = Database.from_url(make_url(owner_url).set(username=member).render_as_string(hide_password=False))
    try:
        # What the guard is for: through the membership the log's protection can be switched off.
        with member_db.engine.begin() as conn:
            conn.execute(text(f'SET LOCAL ROLE "{owner}"'))
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        assert "Mitglied der Eigentümerrolle" in (unsafe_app_connection(member_db.engine) or "")
        monkeypatch.setenv("APP_ENV", "production")
        monkeypatch.setenv("COOKIE_KEY", "k" * 48)  # production refuses to start without one
        with pytest.raises(ConfigurationError, match="Mitglied"):
            prepare(member_db)
    finally:
        member_db.dispose()


def test_a_plain_owner_with_createrole_sets_up_the_app_role_again_and_again(
        plain_owner: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's steps as the database's owner (no superuser): make the role, and re-run after
    every update – with and without a password – without touching attributes only a superuser
    may name."""
    owner_url, owner = plain_owner
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("DEMO_DATA", raising=False)
    db = Database.from_url(owner_url)
    prepare(db)
    role = owner.replace("bc_owner_", "bc_app_")
    setup_app_role(db.engine, role, password="Rollen-Passwort-1")
    setup_app_role(db.engine, role)
    setup_app_role(db.engine, role, password="Rollen-Passwort-2")
    app = Database.from_url(make_url(owner_url).set(username=role).render_as_string(hide_password=False))
    try:
        with app.write() as session:
            audit(session, Actor.system(), "view", "case", 1)
        assert unsafe_app_connection(app.engine) is None
        with app.engine.connect() as conn:
            attributes = conn.execute(text("SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication "
                                           "FROM pg_roles WHERE rolname = current_user")).one()
        assert not any(attributes)
    finally:
        app.dispose()
        db.dispose()


@pytest.fixture(scope="module")
def guarded(postgres_server: PostgresServer):  # type: ignore[no-untyped-def]
    """One database owned by an ordinary role, migrated, with its application role; the
    escalations below are applied to the application role one at a time and taken back. Roles
    are cluster-wide: their names carry this database's unique suffix, and all are dropped."""
    url = postgres_server.create_database()
    suffix = make_url(url).database[-10:]
    owner, app_role = f"bc_owner_{suffix}", f"bc_app_{suffix}"
    with postgres_server.admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN CREATEROLE'))
        conn.execute(text(f'ALTER DATABASE "{make_url(url).database}" OWNER TO "{owner}"'))
    owner_url = make_url(url).set(username=owner).render_as_string(hide_password=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("APP_ENV", raising=False)
        patch.delenv("DEMO_DATA", raising=False)
        owner_db = Database.from_url(owner_url)
        prepare(owner_db)
        setup_app_role(owner_db.engine, app_role)
        owner_db.dispose()
    app = Database.from_url(make_url(url).set(username=app_role).render_as_string(hide_password=False))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")  # the cluster's superuser, this database
    yield app, admin, {"owner": owner, "app": app_role, "mid": f"bc_mid_{suffix}", "db": make_url(url).database}
    app.dispose()
    admin.dispose()
    postgres_server.drop_database(url)
    with postgres_server.admin.connect() as conn:
        for role in conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
                                 {"p": f"bc_%_{suffix}"}).scalars().all():
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


# (name, statements that give the application role the escalation, statements that take it back,
# what the refusal names). Every way the login could become able to rewrite the audit log.
ESCALATIONS = [
    ("superuser", ['ALTER ROLE "{app}" SUPERUSER'], ['ALTER ROLE "{app}" NOSUPERUSER'], "Superuser"),
    ("createrole", ['ALTER ROLE "{app}" CREATEROLE'], ['ALTER ROLE "{app}" NOCREATEROLE'], "CREATEROLE"),
    ("bypassrls", ['ALTER ROLE "{app}" BYPASSRLS'], ['ALTER ROLE "{app}" NOBYPASSRLS'], "BYPASSRLS"),
    ("replication", ['ALTER ROLE "{app}" REPLICATION'], ['ALTER ROLE "{app}" NOREPLICATION'], "REPLICATION"),
    ("member_direct", ['GRANT "{owner}" TO "{app}"'], ['REVOKE "{owner}" FROM "{app}"'], "Eigentümerrolle"),
    ("member_indirect", ['CREATE ROLE "{mid}" NOLOGIN', 'GRANT "{owner}" TO "{mid}"', 'GRANT "{mid}" TO "{app}"'],
     ['DROP ROLE "{mid}"'], "Eigentümerrolle"),
    ("member_noinherit", ['ALTER ROLE "{app}" NOINHERIT', 'GRANT "{owner}" TO "{app}"'],
     ['REVOKE "{owner}" FROM "{app}"', 'ALTER ROLE "{app}" INHERIT'], "Eigentümerrolle"),
    ("member_of_createrole", ['CREATE ROLE "{mid}" NOLOGIN CREATEROLE', 'GRANT "{mid}" TO "{app}"'],
     ['DROP ROLE "{mid}"'], "CREATEROLE"),
    ("owns_a_table", ['ALTER TABLE employers OWNER TO "{app}"'], ['ALTER TABLE employers OWNER TO "{owner}"'],
     "Eigentümer der Tabellen employers"),
    ("owns_the_schema", ['ALTER SCHEMA public OWNER TO "{app}"'],
     ['ALTER SCHEMA public OWNER TO pg_database_owner'], "Schemas public"),
    ("owns_the_database", ['ALTER DATABASE "{db}" OWNER TO "{app}"'], ['ALTER DATABASE "{db}" OWNER TO "{owner}"'],
     "der Datenbank"),
    ("server_program", ['GRANT pg_execute_server_program TO "{app}"'],
     ['REVOKE pg_execute_server_program FROM "{app}"'], "Serverrolle"),
    # Issue 39's audit: what a list of forbidden things did not name.
    ("createdb", ['ALTER ROLE "{app}" CREATEDB'], ['ALTER ROLE "{app}" NOCREATEDB'], "CREATEDB"),
    ("owns_the_trigger_function", ['ALTER FUNCTION audit_log_append_only() OWNER TO "{app}"'],
     ['ALTER FUNCTION audit_log_append_only() OWNER TO "{owner}"'], "function audit_log_append_only()"),
    ("create_on_schema", ['GRANT CREATE ON SCHEMA public TO "{app}"'], ['REVOKE CREATE ON SCHEMA public FROM "{app}"'],
     "Recht CREATE auf Schema public"),
    ("create_on_database", ['GRANT CREATE ON DATABASE "{db}" TO "{app}"'],
     ['REVOKE CREATE ON DATABASE "{db}" FROM "{app}"'], "Recht CREATE auf Datenbank"),
    ("update_one_column_of_the_log", ['GRANT UPDATE (action) ON audit_log TO "{app}"'],
     ['REVOKE UPDATE (action) ON audit_log FROM "{app}"'], "Recht UPDATE auf Tabelle public.audit_log"),
    ("update_through_public", ['GRANT UPDATE ON audit_log TO PUBLIC'], ['REVOKE UPDATE ON audit_log FROM PUBLIC'],
     "Recht UPDATE auf Tabelle public.audit_log"),
    ("update_through_a_member_role", ['CREATE ROLE "{mid}" NOLOGIN', 'GRANT DELETE ON council_releases TO "{mid}"',
                                      'GRANT "{mid}" TO "{app}"'],
     ['REVOKE DELETE ON council_releases FROM "{mid}"', 'DROP ROLE "{mid}"'],
     "Recht DELETE auf Tabelle public.council_releases"),
    ("setval_on_a_sequence", ['GRANT UPDATE ON SEQUENCE audit_log_id_seq TO "{app}"'],
     ['REVOKE UPDATE ON SEQUENCE audit_log_id_seq FROM "{app}"'], "Recht UPDATE auf Sequenz public.audit_log_id_seq"),
    # A function running with its owner's rights, executable by everybody (PUBLIC's default):
    # its body may switch the log's triggers off. Likewise granted to the role alone.
    ("definer_function_through_public",
     ["CREATE FUNCTION public.bc_as_owner() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
      'ALTER FUNCTION public.bc_as_owner() OWNER TO "{owner}"'],
     ['DROP FUNCTION public.bc_as_owner()'], "Recht EXECUTE auf Funktion mit den Rechten ihres Eigentümers "
                                            "(SECURITY DEFINER) public.bc_as_owner()"),
    ("definer_function_granted_to_the_role",
     ["CREATE FUNCTION public.bc_as_owner(x int) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT x'",
      'ALTER FUNCTION public.bc_as_owner(int) OWNER TO "{owner}"',
      'REVOKE EXECUTE ON FUNCTION public.bc_as_owner(int) FROM PUBLIC',
      'GRANT EXECUTE ON FUNCTION public.bc_as_owner(int) TO "{app}"'],
     ['DROP FUNCTION public.bc_as_owner(int)'], "public.bc_as_owner(x integer)"),
    ("a_table_outside_the_schema", ['CREATE SCHEMA side', 'CREATE TABLE side.notes (x int)',
                                    'GRANT USAGE ON SCHEMA side TO "{app}"', 'GRANT SELECT ON side.notes TO "{app}"'],
     ['DROP SCHEMA side CASCADE'], "auf Tabelle side.notes"),
]


@pytest.mark.parametrize(("give", "take", "named"), [e[1:] for e in ESCALATIONS], ids=[e[0] for e in ESCALATIONS])
def test_production_refuses_every_escalating_attribute_of_the_login(
        guarded, give: list[str], take: list[str], named: str,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    app, admin, names = guarded
    monkeypatch.delenv("DEMO_DATA", raising=False)
    assert unsafe_app_connection(app.engine) is None  # the plain application role is fine
    with admin.connect() as conn:
        for statement in give:
            conn.execute(text(statement.format(**names)))
    try:
        assert named in (unsafe_app_connection(app.engine) or ""), unsafe_app_connection(app.engine)
        monkeypatch.setenv("APP_ENV", "production")
        monkeypatch.setenv("COOKIE_KEY", "k" * 48)  # production refuses to start without one
        with pytest.raises(ConfigurationError, match="Produktionsbetrieb mit einer Datenbankverbindung"):
            prepare(app)
    finally:
        with admin.connect() as conn:
            for statement in take:
                conn.execute(text(statement.format(**names)))
    assert unsafe_app_connection(app.engine) is None


def test_createrole_is_a_way_to_the_owner_and_so_refused(guarded) -> None:  # type: ignore[no-untyped-def]
    """The finding itself: with CREATEROLE the login grants itself the owner role and switches
    the log's triggers off (PostgreSQL 15)."""
    app, admin, names = guarded
    with admin.connect() as conn:
        conn.execute(text('ALTER ROLE "{app}" CREATEROLE'.format(**names)))
    try:
        with app.engine.begin() as conn:
            conn.execute(text('GRANT "{owner}" TO "{app}"'.format(**names)))
            conn.execute(text('SET LOCAL ROLE "{owner}"'.format(**names)))
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            conn.execute(text("RESET ROLE"))
            conn.execute(text('REVOKE "{owner}" FROM "{app}"'.format(**names)))
        assert "CREATEROLE" in (unsafe_app_connection(app.engine) or "")
    finally:
        with admin.connect() as conn:
            conn.execute(text('ALTER ROLE "{app}" NOCREATEROLE'.format(**names)))


def _refusal_of(app, admin, names, give: str, take: str) -> str | None:  # type: ignore[no-untyped-def]
    with admin.connect() as conn:
        conn.execute(text(give.format(**names)))
    try:
        return unsafe_app_connection(app.engine)
    finally:
        with admin.connect() as conn:
            conn.execute(text(take.format(**names)))


def test_every_right_beyond_setup_roles_on_every_table_is_refused(guarded) -> None:  # type: ignore[no-untyped-def]
    """A sweep over every table setup-roles knows and every table right it does not grant there:
    the guard compares with the grants (granted_tables), so none can be forgotten."""
    app, admin, names = guarded
    rights = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    missed = []
    for table, granted in granted_tables().items():
        for right in sorted(set(rights) - granted):
            why = _refusal_of(app, admin, names, f'GRANT {right} ON "{table}" TO "{{app}}"',
                              f'REVOKE {right} ON "{table}" FROM "{{app}}"')
            if f"Recht {right} auf Tabelle public.{table}" not in (why or ""):
                missed.append((table, right, why))
    assert missed == []
    assert unsafe_app_connection(app.engine) is None


def test_every_predefined_role_but_the_allowed_is_refused(guarded) -> None:  # type: ignore[no-untyped-def]
    """Whatever predefined roles this PostgreSQL has – a later version's new ones included."""
    app, admin, names = guarded
    with admin.connect() as conn:
        predefined = conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%' "
                                       "AND rolname <> 'pg_database_owner'")).scalars().all()
    assert {"pg_write_all_data", "pg_read_all_data", "pg_read_server_files"} <= set(predefined)
    for role in sorted(set(predefined) - ALLOWED_PREDEFINED_ROLES):
        why = _refusal_of(app, admin, names, f'GRANT {role} TO "{{app}}"', f'REVOKE {role} FROM "{{app}}"')
        assert f"Serverrolle „{role}“" in (why or ""), (role, why)
