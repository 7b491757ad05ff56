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

from .actors import Actor
from .audit import ChainCheck, audit, verify_chain
from .database import Database
from .models import AuditEntry, Case, Client
from .permissions import require_role
from .validation import clean_text
from .vocabulary import Role

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
    "remove_demo": "Demo-Konto gesperrt", "release": "freigegeben",
}


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
