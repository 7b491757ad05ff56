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
from collections.abc import Mapping

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
        for table, rights in granted_tables().items():
            conn.execute(text(f'REVOKE ALL ON TABLE "{table}" FROM "{role}"'))
            conn.execute(text(f'GRANT {", ".join(sorted(rights))} ON TABLE "{table}" TO "{role}"'))
        conn.execute(text(f'GRANT {", ".join(sorted(SEQUENCE_RIGHTS))} ON ALL SEQUENCES IN SCHEMA public '
                          f'TO "{role}"'))


# What setup_app_role grants – and so all the production guard accepts (deny by default).
SEQUENCE_RIGHTS = frozenset({"USAGE", "SELECT"})  # nextval and currval; no setval (UPDATE)
SCHEMA_RIGHTS = frozenset({"USAGE"})  # on public only: no CREATE
# CONNECT is granted; TEMPORARY is every role's by default (PUBLIC) and reaches no table.
DATABASE_RIGHTS = frozenset({"CONNECT", "TEMPORARY"})


def granted_tables() -> dict[str, frozenset[str]]:
    """Each table of the schema and the rights the application role gets on it: the audit log
    and the releases read and extend only, Alembic's version read only."""
    rights = {t.name: frozenset({"SELECT", "INSERT"} if t.name in APPEND_ONLY else
                                {"SELECT", "INSERT", "UPDATE", "DELETE"})
              for t in Base.metadata.sorted_tables}
    return {**rights, "alembic_version": frozenset({"SELECT"})}


# Role attributes setup_app_role sets to false, each a way past the grants: a superuser switches
# any guard off, CREATEROLE may grant itself the owner role (PostgreSQL 15), BYPASSRLS skips row
# security, REPLICATION streams the whole cluster's files, CREATEDB makes databases it owns.
# Held by the login or by any role it can become (SET ROLE), each is refused.
ESCALATING_ATTRIBUTES = {"rolsuper": "Superuser", "rolcreaterole": "CREATEROLE",
                         "rolbypassrls": "BYPASSRLS", "rolreplication": "REPLICATION",
                         "rolcreatedb": "CREATEDB"}
# Predefined roles (pg_*) the login may be a member of: none. pg_read_all_data and
# pg_write_all_data reach every table past the grants, pg_read/write_server_files and
# pg_execute_server_program the server's files (the log's too), pg_signal_backend ends other
# sessions, and even pg_monitor reads other sessions' statements: monitoring gets its own role.
# A new predefined role of a later PostgreSQL is refused until it is named here.
ALLOWED_PREDEFINED_ROLES: frozenset[str] = frozenset()
_OWN_MEMBERSHIP = "pg_has_role(session_user, r.oid, 'MEMBER') OR pg_has_role(current_user, r.oid, 'MEMBER')"

# Every role the connection is or can become (directly, indirectly, with or without INHERIT:
# pg_has_role's MEMBER ignores the inherit flag, and SET ROLE needs only membership), and for
# each: its attributes and what it owns – tables and views of the schema, the schema, the
# database by name, and anything else by PostgreSQL's own record of owners (pg_shdepend:
# functions such as the log's trigger function, types, objects in other databases).
_ROLES_OF_THIS_LOGIN = text(f"""
    SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolbypassrls, r.rolreplication, r.rolcreatedb,
           r.rolname = session_user OR r.rolname = current_user AS is_login,
           (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c
              WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace
                AND c.relkind IN ('r', 'p', 'v', 'm', 'S')) AS tables,
           EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = 'public'
                   AND n.nspowner = r.oid) AS owns_schema,
           EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database()
                   AND d.datdba = r.oid) AS owns_database,
           (SELECT string_agg(CASE WHEN d.dbid IN (0, (SELECT oid FROM pg_database
                                                       WHERE datname = current_database()))
                                   THEN pg_describe_object(d.classid, d.objid, d.objsubid)
                                   ELSE 'ein Objekt einer anderen Datenbank' END, ', ')
              FROM pg_shdepend d WHERE d.refclassid = 'pg_authid'::regclass
               AND d.refobjid = r.oid AND d.deptype = 'o') AS owns_other
      FROM pg_roles r
     WHERE {_OWN_MEMBERSHIP}
     ORDER BY is_login DESC, r.rolname
""")

# Every right any of those roles has (through PUBLIC and inheritance too) on the tables, views,
# sequences and schemas of this database outside PostgreSQL's own, and on the database itself.
# Column rights count: an UPDATE on one column of audit_log is an UPDATE on audit_log. A function
# that runs with its owner's rights (SECURITY DEFINER) counts as a right of its own: whoever may
# execute it acts as the owner (every function is PUBLIC's to execute unless revoked), and
# setup-roles grants none; a plain function runs with the caller's rights and reaches nothing more.
_RIGHTS_OF_THIS_LOGIN = text(f"""
    WITH r AS (SELECT oid, rolname FROM pg_roles r WHERE {_OWN_MEMBERSHIP}),
         n AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
                 AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'),
         c AS (SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c JOIN n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S'))
    SELECT r.rolname, 'table' AS kind, c.nspname || '.' || c.relname AS object, p.name AS privilege
      FROM r, c, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                              'TRIGGER']) AS p(name)
     WHERE c.relkind <> 'S' AND CASE WHEN p.name IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
                                     THEN has_any_column_privilege(r.oid, c.oid, p.name)
                                     ELSE has_table_privilege(r.oid, c.oid, p.name) END
    UNION ALL
    SELECT r.rolname, 'sequence', c.nspname || '.' || c.relname, p.name
      FROM r, c, unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) AS p(name)
     WHERE c.relkind = 'S' AND has_sequence_privilege(r.oid, c.oid, p.name)
    UNION ALL
    SELECT r.rolname, 'schema', n.nspname, p.name
      FROM r, n, unnest(ARRAY['USAGE', 'CREATE']) AS p(name)
     WHERE has_schema_privilege(r.oid, n.oid, p.name)
    UNION ALL
    SELECT r.rolname, 'function', n.nspname || '.' || f.proname || '('
                                  || pg_get_function_identity_arguments(f.oid) || ')', 'EXECUTE'
      FROM r, pg_proc f JOIN n ON n.oid = f.pronamespace
     WHERE f.prosecdef AND has_function_privilege(r.oid, f.oid, 'EXECUTE')
    UNION ALL
    SELECT r.rolname, 'database', current_database(), p.name
      FROM r, unnest(ARRAY['CONNECT', 'TEMPORARY', 'CREATE']) AS p(name)
     WHERE has_database_privilege(r.oid, current_database(), p.name)
""")


def _expected(kind: str, target: str, tables: dict[str, frozenset[str]]) -> frozenset[str]:
    """What setup_app_role grants on this object; nothing for anything it does not name."""
    schema, _, name = target.partition(".")
    if kind == "table" and schema == "public":
        return tables.get(name, frozenset())
    if kind == "sequence" and schema == "public":
        return SEQUENCE_RIGHTS
    if kind == "schema" and target == "public":
        return SCHEMA_RIGHTS
    return DATABASE_RIGHTS if kind == "database" else frozenset()


_KINDS = {"table": "Tabelle", "sequence": "Sequenz", "schema": "Schema", "database": "Datenbank",
          "function": "Funktion mit den Rechten ihres Eigentümers (SECURITY DEFINER)"}


def unsafe_app_connection(engine: Engine) -> str | None:
    """Why this connection must not serve the app in production, or None. Deny by default: the
    login and every role it can become may own nothing, hold none of the attributes
    setup_app_role switches off, be no predefined role outside ALLOWED_PREDEFINED_ROLES, and
    together have no right beyond what setup_app_role grants (granted_tables, SEQUENCE_RIGHTS,
    SCHEMA_RIGHTS, DATABASE_RIGHTS) – each excess could rewrite the audit log or read past it."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        roles = conn.execute(_ROLES_OF_THIS_LOGIN).mappings().all()
        rights = conn.execute(_RIGHTS_OF_THIS_LOGIN).mappings().all()
    for role in roles:
        if why := _role_problem(role):
            return why
    tables = granted_tables()
    for right in rights:
        if right["privilege"] not in _expected(right["kind"], right["object"], tables):
            who = "" if right["rolname"] in (r["rolname"] for r in roles if r["is_login"]) else \
                f" (über die Rolle „{right['rolname']}“)"
            return (f"Recht {right['privilege']} auf {_KINDS[right['kind']]} {right['object']}{who}, "
                    "das setup-roles nicht vergibt")
    return None


def _role_problem(role: Mapping[str, object]) -> str | None:
    name, login = role["rolname"], role["is_login"]
    if login and role["rolsuper"]:
        return "Superuser"
    owned = [item for item in (f"der Tabellen {role['tables']}" if role["tables"] else "",
                               "des Schemas public" if role["owns_schema"] else "",
                               "der Datenbank" if role["owns_database"] else "") if item]
    if not owned and role["owns_other"]:
        owned = [f"von {str(role['owns_other'])[:200]}"]
    if owned:
        return (f"Eigentümer {' und '.join(owned)}" if login else
                f"Mitglied der Eigentümerrolle „{name}“ ({' und '.join(owned)})")
    if held := [label for column, label in ESCALATING_ATTRIBUTES.items() if role[column]]:
        who = "Anmelderolle" if login else f"Mitglied der Rolle „{name}“"
        return f"{who} mit {', '.join(held)}"
    if str(name).startswith("pg_") and name not in ALLOWED_PREDEFINED_ROLES:
        return (f"Mitglied der vordefinierten Serverrolle „{name}“ (reicht über die Rechte von "
                "setup-roles hinaus)")
    return None
