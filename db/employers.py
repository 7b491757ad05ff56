"""Employers the companions work with (placements, workplace visits)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .actors import Actor
from .database import Database
from .models import Employer
from .permissions import require_role
from .vocabulary import Role


@dataclass(frozen=True)
class EmployerRow:
    id: int
    name: str
    sector: str | None
    town: str | None
    contact_person: str | None


def list_employers(db: Database, actor: Actor) -> list[EmployerRow]:
    require_role(actor, Role.COMPANION, Role.LEAD)
    with db.read() as session:
        return [
            EmployerRow(e.id, e.name, e.sector, e.town, e.contact_person)
            for e in session.scalars(select(Employer).order_by(Employer.name))
        ]
