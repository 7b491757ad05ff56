"""Auskunft (Art. 15 DSGVO): everything stored about one person, as an Excel workbook –
including who viewed and changed the person's record and cases, and when."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..accounts.permissions import require_role
from ..actors import Actor
from ..casework.entry import CASE_COLUMN, CORE_LABELS, FURTHER_LABELS
from ..casework.outcomes import exit_result_of
from ..reporting.cells import safe_cell
from ..store.audit import audit
from ..store.database import Database
from ..store.models import (
    Activity,
    AuditEntry,
    Case,
    CaseBarrier,
    Employer,
    Placement,
    StatusChange,
    User,
)
from ..vocabulary import Role
from .audit_review import ACTION_LABELS, entity_label, field_label
from .erasure import find_client

EXPORT_FILES = {"caseload": "Fallliste (Export)", "funder_report": "Meldung an das Land"}


def _d(value: Any) -> Any:
    return value.strftime("%d.%m.%Y %H:%M") if hasattr(value, "hour") else (
        value.strftime("%d.%m.%Y") if hasattr(value, "strftime") else value)


# Entry data of a participation, by case column (labels as on the case card).
ENTRY_LABELS = {f"entry_{name}": text for name, text in {**CORE_LABELS, **FURTHER_LABELS}.items()
                if name in CASE_COLUMN}


def _label(value: Any) -> Any:
    return getattr(value, "label", value)


def _result(session: Session, case_id: int) -> tuple[str | None, str | None]:
    found = exit_result_of(session, case_id)
    return (found[0].label, _d(found[1])) if found else (None, None)


def export_person(db: Database, actor: Actor, client_number: str) -> bytes:
    """The workbook for a request for access; the export itself is audited."""
    require_role(actor, Role.LEAD, Role.ADMIN)
    with db.write() as session:
        client = find_client(session, client_number)
        names = dict(session.execute(select(User.id, User.display_name)).all())
        cases = list(session.scalars(select(Case).where(Case.client_id == client.id).order_by(Case.id)))
        ids = [c.id for c in cases]
        sheets: dict[str, list[list[Any]]] = {
            "Person": [["Angabe", "Wert"],
                       ["Kundennummer", client.client_number], ["Vorname", client.first_name],
                       ["Nachname", client.last_name], ["Geburtsjahr", client.birth_year],
                       ["Geburtsdatum", _d(client.birth_date)],
                       ["Geschlecht", client.gender.label if client.gender else None],
                       ["Wohnort", client.town], ["Postleitzahl", client.postcode],
                       ["Straße und Hausnummer", client.address], ["Telefon", client.phone],
                       ["Einwilligung am", _d(client.consent_date)], ["Erfasst am", _d(client.created_at)]],
            "Fälle": [["Fall", "Status", "Zugewiesen am", "Integrationsbegleitung", "Fallmanagement",
                       "Erstgespräch", "Begleitung seit", "Beendet am", "Endgrund", "Nächster Schritt",
                       "fällig am"]] + [
                [c.id, c.status.label, _d(c.referred_on), names.get(c.companion_id), names.get(c.case_manager_id),
                 _d(c.first_interview_at), _d(c.start_date), _d(c.end_date),
                 c.end_reason.label if c.end_reason else None, c.next_step, _d(c.next_step_due)] for c in cases],
            "Teilnahmedaten": [["Fall", *ENTRY_LABELS.values(), "Verbleib (28 Tage)", "Verbleib am",
                                "Nach sechs Monaten", "Nachgefragt am"]] + [
                [c.id, *(_label(getattr(c, column)) for column in ENTRY_LABELS),
                 *_result(session, c.id),
                 _label(c.follow_up_result), _d(c.follow_up_on)] for c in cases],
            "Statusverlauf": [["Fall", "Datum", "von", "nach", "Begründung", "durch"]] + [
                [s.case_id, _d(s.changed_on), s.from_status.label if s.from_status else None, s.to_status.label,
                 s.reason, names.get(s.changed_by_id)]
                for s in session.scalars(select(StatusChange).where(StatusChange.case_id.in_(ids))
                                         .order_by(StatusChange.id))],
            "Kontakte": [["Fall", "Datum", "Art", "Dauer (Minuten)", "Notiz", "erfasst von"]] + [
                [a.case_id, _d(a.occurred_on), a.kind.label, a.duration_minutes, a.note, names.get(a.created_by_id)]
                for a in session.scalars(select(Activity).where(Activity.case_id.in_(ids)).order_by(Activity.id))],
            "Hemmnisse": [["Fall", "Hemmnis", "erfasst am", "erledigt am", "Notiz"]] + [
                [b.case_id, b.barrier.label, _d(b.noted_on), _d(b.resolved_on), b.note]
                for b in session.scalars(select(CaseBarrier).where(CaseBarrier.case_id.in_(ids)))],
            "Arbeitsaufnahmen": [["Fall", "Arbeitgeber", "Art", "Tätigkeit", "Beginn", "Ende"]] + [
                [p.case_id, e, p.job_kind.label, p.job_title, _d(p.start_date), _d(p.end_date)]
                for p, e in session.execute(select(Placement, Employer.name)
                                            .join(Employer, Placement.employer_id == Employer.id)
                                            .where(Placement.case_id.in_(ids)))],
            "Zugriffe": [["Zeitpunkt (UTC)", "Benutzer", "Aktion", "Bereich", "Datensatz", "geänderte Felder"]] + [
                [_d(e.at), e.username, ACTION_LABELS.get(e.action, e.action),
                 entity_label(e.entity), e.entity_id, ", ".join(sorted(field_label(k) for k in e.changes or {}))]
                for e in session.scalars(select(AuditEntry).where(or_(
                    and_(AuditEntry.entity == "client", AuditEntry.entity_id == client.id),
                    and_(AuditEntry.entity == "case", AuditEntry.entity_id.in_(ids)))).order_by(AuditEntry.id))
            ] + [
                # Files that held the person: the case list and the funder's report record the ids.
                [_d(e.at), e.username, ACTION_LABELS.get(e.action, e.action), EXPORT_FILES[e.entity], None,
                 f"Datei ({(e.changes or {}).get('format', '')})"]
                for e in session.scalars(select(AuditEntry).where(
                    AuditEntry.action == "export", AuditEntry.entity.in_(EXPORT_FILES)).order_by(AuditEntry.id))
                if client.id in (e.changes or {}).get("clients", [])],
        }
        audit(session, actor, "export", "client", client.id, {"format": "xlsx", "purpose": "Auskunft Art. 15"})
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(
                12, *(len(str(c.value or "")) + 2 for c in column)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
