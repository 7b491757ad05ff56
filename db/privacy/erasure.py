"""Erasing a person: one eraser for the retention rule and for a request under Art. 17 DSGVO.

What goes: names, client number, birth year and date, postcode, street address, phone, consent date, and every free text written
about the person (contact notes, next steps, barrier notes, reasons of status changes, job
titles). What stays: the cases with their dates and statuses, contacts with their kinds and
dates, barriers, placements, the town, gender and the entry data the funder counts (age band,
employment status, education …, and whether they were complete) – anonymous counts, so the figures of past periods do
not change. The audit log holds no personal values (db/store/audit.py), so it needs no rewriting.

On SQLite every connection has secure_delete on (freed space is overwritten), and after an
erasure the write-ahead log is checkpointed and truncated, so the old values are not left in
the database files. On PostgreSQL an UPDATE leaves the old row version in the table file, and
even a plain VACUUM only marks its space free without overwriting it: the erased tables are
rewritten (VACUUM FULL, new files; the old ones are deleted) and analysed afresh. Personal
columns keep no planner statistics (db/store/statistics.py): pg_statistic, which the app role
reads through pg_stats, never holds their values. The erasure rewrites when its
connection may (owner, superuser), else the owner's `python -m db maintain` does (deploy/: a
timer) – the app role may not VACUUM tables it does not own (PostgreSQL 15). VACUUM FULL
locks each table while it is rewritten: a moment at the programme's size. A row version that a
transaction begun before the erasure may still read is copied along; `maintain` therefore
rewrites again on every run for a day after each erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import String, cast, select, text, update
from sqlalchemy.orm import Session

from ..accounts.permissions import require_role
from ..actors import Actor
from ..clock import today, utcnow
from ..errors import NotFound, ValidationError
from ..store.audit import audit
from ..store.database import Database, batched
from ..store.models import (
    Activity,
    AuditEntry,
    Case,
    CaseBarrier,
    Client,
    Placement,
    StatusChange,
    name_codes,
)
from ..store.statistics import stray_statistics, withhold_statistics
from ..validation import clean_text
from ..vocabulary import Role

ANONYMOUS = "Anonymisiert"


def erase_clients(session: Session, client_ids: list[int]) -> list[int]:
    """Overwrite everything that names or describes these clients; returns their case ids."""
    case_ids = list(session.scalars(select(Case.id).where(Case.client_id.in_(client_ids))))
    for ids in batched(client_ids):
        session.execute(update(Client).where(Client.id.in_(ids)).values(
            client_number="ANON-" + cast(Client.id, String), first_name=ANONYMOUS,
            last_name="#" + cast(Client.id, String), birth_year=None, birth_date=None,
            postcode=None, address=None, phone=None,
            consent_date=None, anonymised_on=today(), version=Client.version + 1,
            **name_codes(None, None, anonymised_on=today())))  # how the old name sounded goes too
    for ids in batched(case_ids):
        session.execute(update(Case).where(Case.id.in_(ids)).values(
            next_step=None, version=Case.version + 1))
        session.execute(update(Activity).where(Activity.case_id.in_(ids)).values(note=None))
        session.execute(update(CaseBarrier).where(CaseBarrier.case_id.in_(ids)).values(note=None))
        session.execute(update(StatusChange).where(StatusChange.case_id.in_(ids)).values(reason=None))
        session.execute(update(Placement).where(Placement.case_id.in_(ids)).values(job_title=None))
    return case_ids


# The tables erase_clients overwrites: their old row versions hold the erased values.
ERASED_TABLES = tuple(model.__tablename__ for model in (Client, Case, Activity, CaseBarrier,
                                                         StatusChange, Placement))


def flush_old_values(db: Database) -> bool:
    """Remove the old values of an erasure from the database files. SQLite: move the write-ahead
    log into the database file and empty it (freed pages are zeroed: secure_delete). PostgreSQL:
    VACUUM the erased tables, if this connection may. True if done, False if the owner's
    `python -m db maintain` still has to."""
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return True
    with db.engine.connect() as conn:
        allowed = conn.execute(text(
            "SELECT bool_and(r.rolsuper OR pg_has_role(current_user, t.tableowner, 'USAGE')) "
            "FROM pg_tables t, pg_roles r WHERE r.rolname = current_user AND t.schemaname = 'public' "
            "AND t.tablename = ANY(:tables)"), {"tables": list(ERASED_TABLES)}).scalar()
    if not allowed:
        return False
    vacuum_erased_tables(db)
    return True


# `maintain` rewrites the tables while an erasure is younger than this.
MAINTAIN_AFTER_ERASURE = timedelta(hours=25)


def erasure_pending(db: Database) -> bool:
    """An erasure or anonymisation within MAINTAIN_AFTER_ERASURE (read off the audit log)."""
    since = utcnow() - MAINTAIN_AFTER_ERASURE
    with db.read() as session:
        return session.scalar(select(AuditEntry.id).where(
            AuditEntry.action.in_(("erase", "anonymise")), AuditEntry.at >= since).limit(1)) is not None


def vacuum_erased_tables(db: Database) -> None:
    """PostgreSQL: rewrite the erased tables and their indexes without the dead row versions,
    and analyse them afresh (VACUUM FULL keeps the old planner statistics). Personal columns
    gather none (SET STATISTICS 0); one that shows some anyway loses them first
    (db/store/statistics.py). A superuser also rewrites pg_statistic itself, whose file still
    holds statistics removed since. Needs the tables' owner or a superuser; VACUUM runs outside
    a transaction."""
    with db.engine.begin() as conn:
        for table, column in stray_statistics(conn):
            withhold_statistics(conn, table, column)
        superuser = conn.execute(text(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ERASED_TABLES:
            conn.execute(text(f'VACUUM (FULL, ANALYZE) "{table}"'))
        if superuser:
            conn.execute(text("VACUUM FULL pg_catalog.pg_statistic"))


@dataclass(frozen=True)
class Erased:
    client_id: int
    cases: int
    files_clean: bool  # False: old values stay in PostgreSQL's table files until `maintain`


def find_client(session: Session, client_number: str) -> Client:
    number = clean_text(client_number)
    client = session.scalar(select(Client).where(Client.client_number == number))
    if client is None or client.anonymised_on is not None:
        raise NotFound(f"Keine Person mit der Kundennummer „{number}“ gespeichert.")
    return client


def erase_person(db: Database, actor: Actor, client_number: str, reason: str) -> Erased:
    """Erase one person on request (lead or admin), with the request's reason; one audit entry,
    without personal values."""
    require_role(actor, Role.LEAD, Role.ADMIN)
    if not clean_text(reason):
        raise ValidationError("Bitte den Grund der Löschung angeben (z. B. Antrag nach Art. 17 DSGVO).",
                              "reason")
    with db.write() as session:
        client = find_client(session, client_number)
        case_ids = erase_clients(session, [client.id])
        audit(session, actor, "erase", "client", client.id, {"cases": len(case_ids), "reason": reason})
        client_id, cases = client.id, len(case_ids)
    return Erased(client_id, cases, flush_old_values(db))
