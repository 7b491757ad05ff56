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


def unsafe_app_connection(engine: Engine) -> str | None:
    """Why this connection must not serve the app in production, or None: a superuser, the owner
    of the audit table, or any role with the owner's privileges through membership (it could
    `SET ROLE` to the owner and switch the triggers off) – each could rewrite the audit log."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        owner = conn.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
                                  "AND tablename = :t"), {"t": APPEND_ONLY[0]}).scalar()
        member = owner is not None and conn.execute(
            text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"), {"owner": owner}).scalar()
        user = conn.execute(text("SELECT current_user")).scalar()
    if superuser:
        return "Superuser"
    if owner == user:
        return f"Eigentümer der Tabelle {APPEND_ONLY[0]}"
    if member:
        return f"Mitglied der Eigentümerrolle „{owner}“ der Tabelle {APPEND_ONLY[0]}"
    return None
