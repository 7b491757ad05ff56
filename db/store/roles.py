"""PostgreSQL roles: the owner runs migrations; the application connects as a role that may read
and write the data but only append to the audit log.

With the owner's (or a superuser's) connection, `python -m db setup-roles --app-role NAME`
(the owner needs CREATEROLE, given once by the database administrator)
creates the application role – LOGIN, no superuser, no CREATEROLE/CREATEDB, owns nothing – and
grants it SELECT/INSERT/UPDATE/DELETE on the data tables, only SELECT/INSERT on audit_log, and
the sequences. It can then neither UPDATE, DELETE nor TRUNCATE the audit log, nor switch its
triggers off (that needs ownership) or set session_replication_role (that needs a superuser).
Run it again after each `python -m db migrate` (new tables); it is idempotent.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from ..errors import ValidationError
from .models import Base

# Tables the app may only read and extend: the audit log and the council's releases.
APPEND_ONLY = ("audit_log", "council_releases", "council_release_files")
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def setup_app_role(engine: Engine, role: str, password: str | None = None) -> None:
    if engine.dialect.name != "postgresql":
        raise ValidationError("Rollen gibt es nur bei PostgreSQL; SQLite braucht keine.")
    if not _ROLE_NAME.match(role):
        raise ValidationError("Rollenname: Kleinbuchstaben, Ziffern und _, höchstens 63 Zeichen.")
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        existing = conn.execute(text("SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = :r"),
                                {"r": role}).first()
        i_am_superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        # PostgreSQL takes no bind parameter in ROLE statements: the password goes in as a
        # literal quoted by the driver itself (psycopg), on the same connection and transaction.
        from psycopg import sql

        if existing is None:
            statement = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION")
        elif existing[0] and not i_am_superuser:
            raise ValidationError(f"Die Rolle „{role}“ ist Superuser oder Replikationsrolle; das kann nur "
                                  "ein Superuser ändern. Bitte einen anderen Rollennamen wählen.")
        elif existing[0]:
            statement = sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION")
        else:
            # Only a superuser may even name the superuser and replication attributes in ALTER
            # ROLE: the database owner (with CREATEROLE) re-runs this after every update.
            statement = sql.SQL("ALTER ROLE {} LOGIN NOCREATEDB NOCREATEROLE")
        statement = statement.format(sql.Identifier(role))
        if password:
            statement += sql.SQL(" PASSWORD ") + sql.Literal(password)
        conn.connection.driver_connection.cursor().execute(statement)
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'REVOKE CREATE ON SCHEMA public FROM "{role}"'))
        for table in tables + ["alembic_version"]:
            conn.execute(text(f'REVOKE ALL ON TABLE "{table}" FROM "{role}"'))
            rights = "SELECT, INSERT" if table in APPEND_ONLY else (
                "SELECT" if table == "alembic_version" else "SELECT, INSERT, UPDATE, DELETE")
            conn.execute(text(f'GRANT {rights} ON TABLE "{table}" TO "{role}"'))
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))


# Role attributes that let a login reach past its grants: a superuser switches any guard off,
# CREATEROLE may grant itself the owner role (PostgreSQL 15), BYPASSRLS skips row security,
# REPLICATION streams the whole cluster's files. Held by the login or by any role it can
# become (SET ROLE), each is refused.
ESCALATING_ATTRIBUTES = {"rolsuper": "Superuser", "rolcreaterole": "CREATEROLE",
                         "rolbypassrls": "BYPASSRLS", "rolreplication": "REPLICATION"}
# Built-in roles that run programs or write files as the database server: the server's files
# hold the log, so these are as good as a superuser.
SERVER_ROLES = ("pg_execute_server_program", "pg_write_server_files")

# Every role the connection is or can become (directly, indirectly, with or without INHERIT:
# pg_has_role's MEMBER ignores the inherit flag, and SET ROLE needs only membership), and for
# each: its escalating attributes, and what of this database it owns (tables and views of the
# schema, the schema, the database itself – the schema's owner may drop the audit table).
_ROLES_OF_THIS_LOGIN = text("""
    SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolbypassrls, r.rolreplication,
           r.rolname = session_user OR r.rolname = current_user AS is_login,
           (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c
              WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace
                AND c.relkind IN ('r', 'p', 'v', 'm', 'S')) AS tables,
           EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = 'public'
                   AND n.nspowner = r.oid) AS owns_schema,
           EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database()
                   AND d.datdba = r.oid) AS owns_database
      FROM pg_roles r
     WHERE pg_has_role(session_user, r.oid, 'MEMBER') OR pg_has_role(current_user, r.oid, 'MEMBER')
     ORDER BY is_login DESC, r.rolname
""")


def unsafe_app_connection(engine: Engine) -> str | None:
    """Why this connection must not serve the app in production, or None. Deny by default: the
    login and every role it can become are looked at, and any ownership in this database, any
    escalating attribute (ESCALATING_ATTRIBUTES) or a server role (SERVER_ROLES) is refused –
    each could switch the audit log's triggers off or rewrite its files."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        roles = conn.execute(_ROLES_OF_THIS_LOGIN).mappings().all()
    for role in roles:
        name, login = role["rolname"], role["is_login"]
        if login and role["rolsuper"]:
            return "Superuser"
        owned = [item for item in (f"der Tabellen {role['tables']}" if role["tables"] else "",
                                   "des Schemas public" if role["owns_schema"] else "",
                                   "der Datenbank" if role["owns_database"] else "") if item]
        if owned:
            return (f"Eigentümer {' und '.join(owned)}" if login else
                    f"Mitglied der Eigentümerrolle „{name}“ ({' und '.join(owned)})")
        if held := [label for column, label in ESCALATING_ATTRIBUTES.items() if role[column]]:
            who = "Anmelderolle" if login else f"Mitglied der Rolle „{name}“"
            return f"{who} mit {', '.join(held)}"
        if name in SERVER_ROLES:
            return (f"Mitglied der Serverrolle „{name}“ (darf Programme oder Dateien des "
                    "Servers nutzen)")
    return None
