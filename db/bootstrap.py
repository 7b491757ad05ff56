"""What happens when the app or `make run` starts: schema upgrade, demo data only if asked for,
and the refusals of a production start (prepare: the same check `python -m db preflight` runs
before `make serve` starts the server, and each app server runs before its first page)."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from .accounts.users import NO_LOGIN
from .demo.seed import has_data, seed_demo
from .settings import (
    ConfigurationError,
    anchor_file,
    audit_key,
    cookie_key,
    demo_wanted,
    is_production,
    secrets_cookie_key,
)
from .store.audit_anchor import missing_anchor
from .store.database import Database
from .store.migrate import schema_is_current, upgrade
from .store.models import User
from .store.roles import unsafe_app_connection


def prepare(db: Database) -> bool:
    """Upgrade the schema; load the demo world into an empty database when DEMO_DATA=1.
    True if demo data was loaded. Every refused production setting raises ConfigurationError
    (German: the setting and the fix)."""
    refuse_unsafe_keys()
    if is_production(os.environ) and not db.is_sqlite:
        # PostgreSQL in production: the owner migrates, the app connects as the application role.
        if why := unsafe_app_connection(db.engine):
            raise ConfigurationError(
                f"Produktionsbetrieb mit einer Datenbankverbindung als {why} ist nicht erlaubt: Sie "
                "könnte das Protokoll umschreiben. Bitte als Eigentümer `python -m db migrate` und "
                "`python -m db setup-roles --app-role …` ausführen und die App mit der "
                "Anwendungsrolle verbinden (DATABASE_URL).")
        if not schema_is_current(db.engine):
            raise ConfigurationError(
                "Das Datenbankschema ist nicht aktuell. Bitte als Eigentümer der Datenbank "
                "`python -m db migrate` und danach `python -m db setup-roles --app-role …` ausführen.")
    else:
        upgrade(db.engine)
    refuse_demo_accounts_in_production(db)
    refuse_a_new_anchor_beside_the_log(db)
    loaded = False
    if demo_wanted(os.environ) and not has_data(db):
        seed_demo(db)
        loaded = True
    refresh_statistics(db)
    return loaded


def refuse_unsafe_keys() -> None:
    """The cookie key (environment or the project's secrets.toml) and the audit log's key: in
    production neither may be missing, short or the published example."""
    cookie_key(os.environ, secrets_cookie_key())
    audit_key(os.environ)


def refuse_demo_accounts_in_production(db: Database) -> None:
    """Demo accounts share a published password: with real data they are an open door."""
    if not is_production(os.environ):
        return
    with db.read() as session:
        demo = session.scalar(select(func.count()).select_from(User).where(
            User.is_demo.is_(True), User.password_hash != NO_LOGIN))
    if demo:
        raise ConfigurationError(
            f"Produktionsbetrieb mit Demo-Konten ({demo}) ist nicht erlaubt: Die Demo-Konten haben ein "
            "öffentlich bekanntes Passwort. Bitte eine neue, leere Datenbank verwenden oder auf dem "
            "Server `python -m db remove-demo` ausführen (sperrt sie endgültig).")


def refuse_a_new_anchor_beside_the_log(db: Database) -> None:
    """A missing or emptied anchor file beside a log with entries: the app would begin a new
    one and hide the deletion (db/store/audit_anchor.py)."""
    if path := anchor_file(os.environ):
        with db.read() as session:
            if why := missing_anchor(session, path):
                raise ConfigurationError(f"AUDIT_ANCHOR_FILE: {why}")


def refresh_statistics(db: Database) -> None:
    """SQLite plans its queries from statistics it only gathers when asked (PostgreSQL's
    autovacuum does this by itself). Without them, the status-filtered case list at 100,000
    cases took 357 ms instead of 29 ms. A full ANALYZE at that size takes half a second, once
    per server start (a sampled one, analysis_limit=1000, left the plan at 283 ms)."""
    if not db.is_sqlite:
        return
    with db.engine.begin() as conn:  # committed: ANALYZE writes its findings to sqlite_stat1
        conn.exec_driver_sql("ANALYZE")
