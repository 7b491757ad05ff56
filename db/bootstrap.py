"""What happens when the app or `make run` starts: schema upgrade, demo data only if asked for,
and the refusals of a production start (prepare: the same check `python -m db preflight` runs
before `python -m db serve` starts the server, and each app server runs before its first page).

Readiness (`python -m db ready`, the app server's /_cockpit/ready): the same refusals, read-only
and while running, plus whether the anchor file still ends at the log's head – "people can log in
and every change is witnessed", for monitoring beside the health check (which only says the
process answers)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from .accounts.users import NO_LOGIN
from .clock import utcnow
from .demo.seed import has_data, seed_demo
from .errors import DomainError
from .settings import (
    ConfigurationError,
    anchor_file,
    audit_key,
    cookie_key,
    demo_wanted,
    is_production,
    secrets_cookie_key,
)
from .programme.accessibility import load_statement, placeholders, statement_path
from .store.audit_anchor import head, last_anchor, missing_anchor
from .store.database import Database, database_url, refuse_a_malformed_url
from .store.migrate import code_head, current_revision, schema_is_current, upgrade
from .store.models import User
from .store.private_files import why_not_appendable
from .store.roles import unsafe_app_connection


# Exit statuses of the start check (`python -m db preflight`, `python -m db serve`), from
# sysexits.h; the app unit names the first in RestartPreventExitStatus= (tests/test_service_unit.py).
REFUSED_EXIT = 78  # EX_CONFIG: a setting is wrong – no retry helps; systemd stops at once, "failed"
NOT_YET_EXIT = 75  # EX_TEMPFAIL: the database does not answer (yet, e.g. at boot) – systemd retries


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
    refuse_an_anchor_this_process_cannot_extend()
    refuse_a_new_anchor_beside_the_log(db)
    refuse_a_broken_accessibility_statement()
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


def refuse_a_broken_accessibility_statement() -> None:
    """In production a statement file named by ACCESSIBILITY_STATEMENT must exist and hold
    every required part: a typo in the path would otherwise publish the shipped placeholders."""
    if not is_production(os.environ) or not os.environ.get("ACCESSIBILITY_STATEMENT", "").strip():
        return
    try:
        load_statement()
    except DomainError as exc:
        raise ConfigurationError(f"ACCESSIBILITY_STATEMENT: {exc.message}") from None


def start_warnings() -> list[str]:
    """What a production start tolerates but the journal should say at every start: the
    accessibility statement still naming "vom Jobcenter einzutragen" as its contact. Not a
    refusal – the Jobcenter can fill it in at any time without a stop, and a refused start would
    take the tool from every member of staff; but it is said until it is done."""
    if not is_production(os.environ):
        return []
    try:
        gaps = placeholders(load_statement())
    except DomainError:
        return []  # refused by refuse_a_broken_accessibility_statement when it is the Jobcenter's file
    if not gaps:
        return []
    return [f"Warnung: Die Erklärung zur Barrierefreiheit ({statement_path()}) nennt noch Platzhalter "
            f"(„… einzutragen“): {', '.join(gaps)}. Bitte eine eigene Fassung mit der Feedback-Stelle "
            "anlegen und ACCESSIBILITY_STATEMENT darauf setzen (README, Erstinstallation Schritt 3)."]


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


def refuse_what_a_server_start_needs_named() -> None:
    """What only the server's start (`python -m db preflight`, run by `python -m db serve` and so by the
    unit) refuses in production: settings whose absence the app would quietly fill in. Without
    DATABASE_URL it took an empty SQLite file of its own (data/begleiter.sqlite3) – both servers
    then served a database nobody can log into, and systemd said "active"; without
    AUDIT_ANCHOR_FILE it ran while /_cockpit/ready answered "nicht bereit" for good. (The
    functions that prepare a database for tests and tools leave these to their caller.)"""
    if not is_production(os.environ):
        return
    if not os.environ.get("DATABASE_URL", "").strip():
        raise ConfigurationError(
            "DATABASE_URL fehlt: ohne sie nähme der Server eine leere SQLite-Datei im Projektordner. "
            "Bitte in der Umgebungsdatei (/etc/begleiter-cockpit/env) die Anwendungsrolle eintragen "
            "(`python -m db database-url` hilft beim Kodieren des Passworts); eine SQLite-Datei nur "
            "ausdrücklich, z. B. sqlite:////opt/begleiter-cockpit/data/begleiter.sqlite3.")
    refuse_a_malformed_url(database_url())
    if anchor_file(os.environ) is None:
        raise ConfigurationError(
            "AUDIT_ANCHOR_FILE fehlt: ohne Ankerdatei lässt sich ein gekürztes Protokoll nicht "
            "erkennen, und /_cockpit/ready meldet dauerhaft „nicht bereit“. Bitte in der "
            "Umgebungsdatei setzen (README, Erstinstallation Schritt 1) und mit "
            "`python -m db new-anchor` beginnen.")


def refuse_an_anchor_this_process_cannot_extend() -> None:
    """The anchor file must be readable and appendable by the app's own account: a file left to
    root (a `cp` during a restore) let every audited save commit and then fail with a traceback –
    the person saw an error for a change that was made. Opened as the writer opens it (read,
    append: works under chattr +a), nothing written."""
    path = anchor_file(os.environ)
    if not is_production(os.environ) or path is None or not os.path.lexists(path):
        return  # a missing file has its own refusal (refuse_a_new_anchor_beside_the_log)
    if error := why_not_appendable(path):
        raise ConfigurationError(
            f"AUDIT_ANCHOR_FILE: {path} lässt sich von diesem Dienstkonto nicht lesen und fortschreiben "
            f"({error.strerror}). Bitte dem Dienstkonto übergeben, z. B. `chown begleiter-cockpit: {path}` "
            f"und `chmod 600 {path}` (danach wieder `chattr +a`).")


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


@dataclass(frozen=True)
class Readiness:
    """One check of `readiness`: a short name (no personal data, no paths: what the HTTP answer
    names) and, if it fails, the German reason with the fix."""

    name: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def readiness(db: Database, *, settle_seconds: float = 0.5) -> list[Readiness]:
    """Whether this installation can serve now: database reachable, schema at the code's head,
    keys present and valid, in production no demo account and no connection that could rewrite
    the log, and the anchor file ending at the log's head. Reads only: nothing is migrated,
    seeded or written (unlike prepare)."""
    checks: list[Readiness] = []

    def check(name: str, test: Callable[[], str | None]) -> None:
        try:
            checks.append(Readiness(name, test()))
        except ConfigurationError as exc:
            checks.append(Readiness(name, exc.message))
        except DBAPIError as exc:  # the database went away in the middle: not ready, no crash
            checks.append(Readiness(name, f"Datenbankfehler ({type(exc.orig or exc).__name__})."))

    check("einstellungen", refuse_what_a_server_start_needs_named)
    check("schluessel", refuse_unsafe_keys)
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        checks.append(Readiness("datenbank", "Die Datenbank ist nicht erreichbar "
                                f"({type(exc.orig or exc).__name__}). Bitte DATABASE_URL und den "
                                "Datenbankserver prüfen."))
        return checks
    checks.append(Readiness("datenbank"))

    def schema() -> str | None:
        if schema_is_current(db.engine):
            return None
        return (f"Das Datenbankschema steht auf {current_revision(db.engine) or '(leer)'}, der Code "
                f"erwartet {code_head(db.engine)}. Bitte als Eigentümer `python -m db migrate` und "
                "`python -m db setup-roles --app-role …` ausführen.")

    check("schema", schema)
    if not checks[-1].ok:
        return checks  # the remaining checks read tables the schema may not have yet
    production = is_production(os.environ)
    if production and not db.is_sqlite:
        def role() -> str | None:
            why = unsafe_app_connection(db.engine)
            return (f"Verbindung als {why}: sie könnte das Protokoll umschreiben. Bitte mit der "
                    "Anwendungsrolle verbinden (DATABASE_URL).") if why else None

        check("datenbankrolle", role)
    if production:
        check("demo-konten", lambda: refuse_demo_accounts_in_production(db))
        check("erklaerung", refuse_a_broken_accessibility_statement)
    check("anker", lambda: _anchor_at_head(db, production, settle_seconds))
    return checks


# A writer appends the head's anchor line just after its commit: a head written this recently
# may be in that moment and is looked at once more. An older one is not – a lasting mismatch is
# answered at once, so a monitor's poll (public, no login) never holds a worker thread for the
# settle time. Either way round (clocks of several app servers), within the window counts.
WRITER_WINDOW = timedelta(seconds=10)


def _anchor_at_head(db: Database, production: bool, settle_seconds: float) -> str | None:
    path = anchor_file(os.environ)
    if path is None:
        return ("Produktionsbetrieb ohne AUDIT_ANCHOR_FILE: das Ende des Protokolls ist nirgends "
                "außerhalb der Datenbank festgehalten. Bitte AUDIT_ANCHOR_FILE setzen.") if production else None
    refuse_an_anchor_this_process_cannot_extend()
    for attempt in range(2):
        with db.read() as session:
            if why := missing_anchor(session, path):
                return f"AUDIT_ANCHOR_FILE: {why}"
            newest = head(session)
        if newest is None:
            return None
        try:
            anchored = last_anchor(path)
        except OSError as error:
            return f"Die Ankerdatei {path} lässt sich nicht lesen ({error.strerror})."
        if anchored is not None and int(anchored["id"]) == newest.id and anchored["hash"] == newest.hash:
            return None
        if attempt == 1 or abs(utcnow() - newest.at) >= WRITER_WINDOW:
            break
        time.sleep(settle_seconds)
    where = f"bei Eintrag {anchored['id']}" if anchored is not None else "ohne Anker des Cockpits"
    return (f"Die Ankerdatei {path} endet {where}, das Protokoll reicht bis {newest.text}: ein "
            "Schreiber ohne AUDIT_ANCHOR_FILE oder eine gekürzte Datei. Bitte "
            "`python -m db verify-audit --anchor …` ausführen.")
