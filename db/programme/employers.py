"""Employers the companions work with: contacts, placements, and the clients in follow-up
support at each (for workplace visits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ..accounts.permissions import case_scope, require_role
from ..actors import Actor
from ..errors import NotFound
from ..store.audit import save_audited
from ..store.database import Database
from ..store.memo import until_change_of
from ..store.models import Activity, Case, Client, Employer, Placement
from ..validation import optional_text, require_unique_name, required_text
from ..vocabulary import ActivityKind, CaseStatus, JobKind, Role

EMPLOYER_ROLES = (Role.COMPANION, Role.LEAD)


@dataclass(frozen=True)
class EmployerRow:
    id: int
    name: str
    sector: str | None
    town: str | None
    contact_person: str | None
    phone: str | None = None


def list_employers(db: Database, actor: Actor) -> list[EmployerRow]:
    require_role(actor, *EMPLOYER_ROLES)
    with db.read() as session:
        return [
            EmployerRow(e.id, e.name, e.sector, e.town, e.contact_person, e.phone)
            for e in session.scalars(select(Employer).order_by(Employer.name))
        ]


@until_change_of("employer", copier=dict)  # ids and names: a flat copy is a full one
def employer_names(db: Database, actor: Actor) -> dict[int, str]:
    """Every employer's name by id, in name order: the choice in a contact or placement form
    (two columns, no ORM objects). Kept until an employer changes (issue 42: the case page
    read all of them on every run): save_employer, the only writer, audits as "employer"."""
    require_role(actor, *EMPLOYER_ROLES)
    with db.read() as session:
        rows = session.execute(select(Employer.id, Employer.name).order_by(Employer.name))
        return {employer_id: name for employer_id, name in rows}


@dataclass(frozen=True)
class EmployerInput:
    name: str
    sector: str | None = None
    town: str | None = None
    contact_person: str | None = None
    phone: str | None = None


def save_employer(db: Database, actor: Actor, data: EmployerInput, employer_id: int | None = None) -> int:
    """Create (employer_id None) or change an employer. Companions and leads."""
    require_role(actor, *EMPLOYER_ROLES)
    values = {
        "name": required_text(data.name, "name", "Name", 200),
        "sector": optional_text(data.sector, "sector", "Branche", 120),
        "town": optional_text(data.town, "town", "Ort", 120),
        "contact_person": optional_text(data.contact_person, "contact_person", "Ansprechperson", 120),
        "phone": optional_text(data.phone, "phone", "Telefon", 64),
    }
    with db.write() as session:
        require_unique_name(session, Employer.name, str(values["name"]), employer_id,
                            f"Den Arbeitgeber „{values['name']}“ gibt es bereits.", "name")
        return save_audited(session, actor, Employer, "employer", employer_id, values,
                            missing="Diesen Arbeitgeber gibt es nicht.")


@dataclass(frozen=True)
class EmployerSummary:
    id: int
    name: str
    sector: str | None
    town: str | None
    contact_person: str | None
    placements: int
    in_follow_up: int
    contacts: int
    last_contact: date | None


def employer_overview(db: Database, actor: Actor) -> list[EmployerSummary]:
    """Every employer with counts (placements, current follow-ups, contacts): aggregated in SQL,
    counts only, so the figures carry no client's name."""
    require_role(actor, *EMPLOYER_ROLES)
    placements = (
        select(Placement.employer_id.label("eid"), func.count().label("placements"),
               func.count(Case.id).filter(Case.status == CaseStatus.EMPLOYED,
                                          Placement.end_date.is_(None)).label("in_follow_up"))
        .join(Case, Placement.case_id == Case.id)
        .group_by(Placement.employer_id).subquery())
    contacts = (
        select(Activity.employer_id.label("eid"), func.count().label("contacts"),
               func.max(Activity.occurred_on).label("last_contact"))
        .where(Activity.employer_id.is_not(None))
        .group_by(Activity.employer_id).subquery())
    with db.read() as session:
        rows = session.execute(
            select(Employer.id, Employer.name, Employer.sector, Employer.town, Employer.contact_person,
                   func.coalesce(placements.c.placements, 0), func.coalesce(placements.c.in_follow_up, 0),
                   func.coalesce(contacts.c.contacts, 0), contacts.c.last_contact)
            .outerjoin(placements, placements.c.eid == Employer.id)
            .outerjoin(contacts, contacts.c.eid == Employer.id)
            .order_by(Employer.name)).all()
    return [EmployerSummary(*row) for row in rows]


@dataclass(frozen=True)
class PlacementAtEmployer:
    case_id: int
    client: str
    companion_id: int | None
    status: CaseStatus
    job_kind: JobKind
    job_title: str | None
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class EmployerContact:
    case_id: int
    client: str
    kind: ActivityKind
    occurred_on: date
    note: str | None


@dataclass(frozen=True)
class EmployerDetail:
    employer: EmployerRow
    placements: list[PlacementAtEmployer]  # only of cases the actor may see
    contacts: list[EmployerContact]  # likewise
    hidden_placements: int  # placements of cases the actor may not see: a count, no name


def employer_detail(db: Database, actor: Actor, employer_id: int, *, contacts: int = 20) -> EmployerDetail:
    """One employer with the placements and contacts of the cases this actor may see."""
    require_role(actor, *EMPLOYER_ROLES)
    scope = case_scope(actor)
    name = Client.first_name + " " + Client.last_name
    with db.read() as session:
        employer = session.get(Employer, employer_id)
        if employer is None:
            raise NotFound("Diesen Arbeitgeber gibt es nicht.")
        placements = session.execute(
            select(Case.id, name, Case.companion_id, Case.status, Placement.job_kind,
                   Placement.job_title, Placement.start_date, Placement.end_date)
            .join(Case, Placement.case_id == Case.id).join(Client, Case.client_id == Client.id)
            .where(Placement.employer_id == employer_id, scope)
            .order_by(Placement.end_date.is_not(None), Placement.start_date.desc())).all()
        hidden = session.scalar(
            select(func.count()).select_from(Placement).join(Case, Placement.case_id == Case.id)
            .where(Placement.employer_id == employer_id, ~scope)) or 0
        logged = session.execute(
            select(Case.id, name, Activity.kind, Activity.occurred_on, Activity.note)
            .join(Case, Activity.case_id == Case.id).join(Client, Case.client_id == Client.id)
            .where(Activity.employer_id == employer_id, scope)
            .order_by(Activity.occurred_on.desc(), Activity.id.desc())
            .limit(contacts)).all()
        row = EmployerRow(employer.id, employer.name, employer.sector, employer.town,
                          employer.contact_person, employer.phone)
    return EmployerDetail(row, [PlacementAtEmployer(*p) for p in placements],
                          [EmployerContact(*c) for c in logged], hidden)
