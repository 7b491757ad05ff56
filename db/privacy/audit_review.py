"""The Protokoll: the audit log, read by the data protection officer and the admins.

Filtered by person (client number), user, action and period; every search is itself logged.
The log holds no personal values, so reading it shows who did what to which record and which
fields changed – and whether the hash chain is whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from ..accounts.permissions import require_role
from ..actors import Actor
from ..store.audit import ChainCheck, audit, verify_chain
from ..store.database import Database
from ..store.models import AuditEntry, Case, Client
from ..validation import clean_text
from ..vocabulary import Role

REVIEW_ROLES = (Role.DATA_PROTECTION, Role.ADMIN)
# The log stores short English action names; people read them in German.
ACTION_LABELS = {
    "view": "angesehen", "lookup": "nachgeschlagen", "create": "angelegt", "update": "geändert",
    "status": "Status geändert", "assign": "zugewiesen", "schedule": "Termin geplant",
    "import": "importiert", "denied": "Zugriff verweigert", "export": "exportiert",
    "anonymise": "anonymisiert", "resolve": "erledigt", "erase": "gelöscht",
    "login": "angemeldet", "logout": "abgemeldet", "login_failed": "Anmeldung fehlgeschlagen",
    "login_refused": "Anmeldung gesperrt", "account_locked": "Konto gesperrt",
    "address_locked": "Gerät gesperrt", "password_change": "Passwort geändert",
    "password_reset": "Passwort zurückgesetzt", "password_check": "Passwort bestätigt",
    "role": "Rolle geändert", "activate": "aktiviert", "deactivate": "deaktiviert",
    "remove_demo": "Demo-Konto gesperrt", "release": "freigegeben", "entry_data": "Eintrittsdaten erfasst",
    "exit_result": "Austrittsergebnis erfasst", "follow_up": "Verbleib nach sechs Monaten erfasst",
    "reopen": "wieder geöffnet", "undo": "rückgängig gemacht",
}
# What an entry is about, and the fields it names: in German on the Protokoll page and in the
# access export (Art. 15), never the tables' and columns' own names.
ENTITY_LABELS = {
    "client": "Person", "case": "Fall", "barrier": "Hemmnis", "user": "Konto", "session": "Anmeldung",
    "audit_log": "Protokoll", "caseload": "Fallliste", "funder_report": "Meldung an das Land",
    "council_release": "Kreistagsbericht", "retention": "Aufbewahrung",
    "office_hour_session": "Sprechstunde", "employer": "Arbeitgeber", "position": "Stelle",
    "location": "Sprechstundenort", "placement": "Arbeitsaufnahme", "activity": "Kontakt",
}
FIELD_LABELS = {
    "first_name": "Vorname", "last_name": "Nachname", "name": "Name", "client_number": "Kundennummer",
    "birth_year": "Geburtsjahr", "birth_date": "Geburtsdatum", "phone": "Telefon", "address": "Adresse",
    "postcode": "Postleitzahl", "town": "Wohnort", "gender": "Geschlecht", "consent_date": "Einwilligung",
    "note": "Notiz", "notes": "Notizen", "next_step": "nächster Schritt", "next_step_due": "fällig am",
    "status": "Status", "reason": "Grund", "job_title": "Tätigkeit", "job_kind": "Art der Stelle",
    "employer_id": "Arbeitgeber", "companion_id": "Begleitung", "case_manager_id": "Fallmanagement",
    "client_id": "Person", "case_id": "Fall", "clients": "Personen", "cases": "Fälle", "rows": "Zeilen",
    "format": "Format", "from": "von", "to": "bis", "on": "am", "purpose": "Zweck", "cutoff": "Stichtag",
    "years": "Jahre", "until": "bis", "result": "Ergebnis", "barrier": "Hemmnis", "kind": "Art",
    "resolved_on": "erledigt am", "occurred_on": "am", "first_interview_at": "Erstgespräch",
    "first_interview_location_id": "Ort des Erstgesprächs", "referral_source": "Zuweisung durch",
    "referred_on": "zugewiesen am", "start_date": "Beginn", "end_date": "Ende", "role": "Rolle",
    "username": "Benutzername", "display_name": "Anzeigename", "active": "aktiv", "email": "E-Mail",
    "capacity": "Kapazität", "complete": "vollständig", "typed_username": "eingegebener Name",
    "entry_employment": "Erwerbsstatus bei Eintritt", "entry_education": "Bildung",
    "entry_household": "Haushalt", "entry_children": "Kinder", "entry_disability": "Behinderung",
    "entry_third_country": "Drittstaatsangehörigkeit", "entry_foreign_background": "Migrationshintergrund",
    "entry_minority": "Minderheit", "entry_homeless": "Wohnungslosigkeit", "entry_rural": "ländlicher Raum",
}


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field.replace("_", " "))


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity.replace("_", " "))


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: int | None
    changes: dict[str, Any] | None


@dataclass(frozen=True)
class AuditFilter:
    client_number: str = ""
    username: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None


def audit_entries(db: Database, actor: Actor, wanted: AuditFilter, limit: int = 200) -> list[AuditRow]:
    """The newest entries that match, at most `limit`; the search is audited."""
    require_role(actor, *REVIEW_ROLES)
    conditions = []
    with db.write() as session:
        number = clean_text(wanted.client_number)
        if number:
            client_id = session.scalar(select(Client.id).where(Client.client_number == number))
            case_ids = select(Case.id).where(Case.client_id == client_id)
            conditions.append(or_(and_(AuditEntry.entity == "client", AuditEntry.entity_id == client_id),
                                  and_(AuditEntry.entity == "case", AuditEntry.entity_id.in_(case_ids))))
        if clean_text(wanted.username):
            conditions.append(AuditEntry.username == clean_text(wanted.username).lower())
        if clean_text(wanted.action):
            conditions.append(AuditEntry.action == clean_text(wanted.action))
        if wanted.start:
            conditions.append(AuditEntry.at >= datetime.combine(wanted.start, time(), UTC))
        if wanted.end:
            conditions.append(AuditEntry.at < datetime.combine(wanted.end + timedelta(days=1), time(), UTC))
        rows = [AuditRow(e.at, e.username, e.action, e.entity, e.entity_id, e.changes)
                for e in session.scalars(select(AuditEntry).where(*conditions)
                                         .order_by(AuditEntry.id.desc()).limit(limit))]
        audit(session, actor, "view", "audit_log", None, {
            "client_number": number, "user": wanted.username, "action": wanted.action,
            "from": wanted.start, "to": wanted.end, "rows": len(rows)})
    return rows


def actions(db: Database, actor: Actor) -> list[str]:
    require_role(actor, *REVIEW_ROLES)
    with db.read() as session:
        return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def chain_status(db: Database, actor: Actor) -> ChainCheck:
    require_role(actor, *REVIEW_ROLES)
    with db.read() as session:
        return verify_chain(session)
