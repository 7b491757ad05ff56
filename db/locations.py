"""Office-hour locations (Sprechstunden): Guben, Forst, Spremberg, Cottbus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select

from .actors import Actor
from .database import Database
from .models import OfficeHourLocation
from .permissions import require_role
from .vocabulary import LocationStatus, Role


def interview_place(town: str | None) -> str:
    """Where a first interview takes place: an office-hour location, or the client's home."""
    return f"Sprechstunde {town}" if town else "Hausbesuch"


@dataclass(frozen=True)
class LocationRow:
    id: int
    town: str
    venue: str | None
    status: LocationStatus
    start_date: date | None
    weekday: int | None
    time_from: time | None
    time_to: time | None


def list_locations(db: Database, actor: Actor) -> list[LocationRow]:
    """Places and their state: no personal data, so every staff role may read them."""
    require_role(actor, Role.COMPANION, Role.LEAD, Role.CASE_MANAGER, Role.COUNCIL, Role.ADMIN)
    with db.read() as session:
        return [
            LocationRow(l.id, l.town, l.venue, l.status, l.start_date, l.weekday, l.time_from, l.time_to)
            for l in session.scalars(select(OfficeHourLocation).order_by(OfficeHourLocation.id))
        ]
