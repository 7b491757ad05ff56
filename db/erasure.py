"""Erasing a person: one eraser for the retention rule and for a request under Art. 17 DSGVO.

What goes: names, client number, birth year and date, postcode, street address, phone, consent date, and every free text written
about the person (contact notes, next steps, barrier notes, reasons of status changes, job
titles). What stays: the cases with their dates and statuses, contacts with their kinds and
dates, barriers, placements, the town, gender and the entry data the funder counts (age band,
employment status, education …, and whether they were complete) – anonymous counts, so the figures of past periods do
not change. The audit log holds no personal values (db/audit.py), so it needs no rewriting.

On SQLite every connection has secure_delete on (freed space is overwritten), and after an
erasure the write-ahead log is checkpointed and truncated, so the old values are not left in
the database files.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, select, text, update
from sqlalchemy.orm import Session

from .actors import Actor
from .audit import audit
from .clock import today
from .database import Database, batched
from .errors import NotFound, ValidationError
from .models import Activity, Case, CaseBarrier, Client, Placement, StatusChange
from .permissions import require_role
from .validation import clean_text
from .vocabulary import Role

ANONYMOUS = "Anonymisiert"


def erase_clients(session: Session, client_ids: list[int]) -> list[int]:
    """Overwrite everything that names or describes these clients; returns their case ids."""
    case_ids = list(session.scalars(select(Case.id).where(Case.client_id.in_(client_ids))))
    for ids in batched(client_ids):
        session.execute(update(Client).where(Client.id.in_(ids)).values(
            client_number="ANON-" + cast(Client.id, String), first_name=ANONYMOUS,
            last_name="#" + cast(Client.id, String), birth_year=None, birth_date=None,
            postcode=None, address=None, phone=None,
            consent_date=None, anonymised_on=today(), version=Client.version + 1))
    for ids in batched(case_ids):
        session.execute(update(Case).where(Case.id.in_(ids)).values(
            next_step=None, version=Case.version + 1))
        session.execute(update(Activity).where(Activity.case_id.in_(ids)).values(note=None))
        session.execute(update(CaseBarrier).where(CaseBarrier.case_id.in_(ids)).values(note=None))
        session.execute(update(StatusChange).where(StatusChange.case_id.in_(ids)).values(reason=None))
        session.execute(update(Placement).where(Placement.case_id.in_(ids)).values(job_title=None))
    return case_ids


def flush_old_values(db: Database) -> None:
    """SQLite: move the write-ahead log into the database file and empty it, so that the old
    values of an erasure live on in neither file (freed pages are zeroed: secure_delete)."""
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


@dataclass(frozen=True)
class Erased:
    client_id: int
    cases: int


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
        erased = Erased(client.id, len(case_ids))
    flush_old_values(db)
    return erased
