"""Office hours (Sprechstunden): the places (Guben, Forst, Spremberg, Cottbus), their weekly
schedule, and the sessions held with their visitor counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select

from ..accounts.permissions import require_role
from ..actors import Actor
from ..errors import NotFound, ValidationError
from ..store.audit import audit, save_audited
from ..store.database import Database
from ..store.models import OfficeHourLocation, OfficeHourSession, User
from ..validation import not_in_future, optional_text, require_unique_name, required_text
from ..vocabulary import LocationStatus, Role


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


# --- the schedule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingSession:
    location_id: int
    town: str
    venue: str | None
    on: date
    time_from: time | None
    time_to: time | None


def has_started(location: LocationRow | OfficeHourLocation, day: date) -> bool:
    """Office hours are held at a place from its start date on (Spremberg from 26 February); a
    running place without a date has always been held, a planned one without a date (Cottbus)
    not yet."""
    if location.start_date is None:
        return location.status == LocationStatus.RUNNING
    return day >= location.start_date


def runs_on(location: LocationRow, day: date) -> bool:
    """A place holds office hours on its weekday once it has started."""
    return location.weekday == day.weekday() and has_started(location, day)


def upcoming_sessions(locations: list[LocationRow], start: date, days: int = 28) -> list[UpcomingSession]:
    """The weekly schedule unrolled into dates, from `start` for `days` days, in date order."""
    result = [
        UpcomingSession(loc.id, loc.town, loc.venue, start + timedelta(days=offset),
                        loc.time_from, loc.time_to)
        for offset in range(days)
        for loc in locations
        if runs_on(loc, start + timedelta(days=offset))
    ]
    return sorted(result, key=lambda s: (s.on, s.time_from or time(0), s.town))


# --- changes: the lead keeps the places, companions record what was held -----------------------


@dataclass(frozen=True)
class LocationInput:
    town: str
    venue: str | None
    status: LocationStatus
    start_date: date | None
    weekday: int | None
    time_from: time | None
    time_to: time | None


def _validated(data: LocationInput) -> dict[str, object]:
    try:
        status = LocationStatus(data.status)
    except ValueError:
        raise ValidationError("Unbekannter Stand des Standorts.", "status") from None
    if data.weekday is not None and not 0 <= data.weekday <= 6:
        raise ValidationError("Unbekannter Wochentag.", "weekday")
    if (data.time_from is None) != (data.time_to is None):
        raise ValidationError("Bitte Beginn und Ende der Sprechstunde angeben.", "time_to")
    if data.time_from is not None and data.time_to is not None and data.time_to <= data.time_from:
        raise ValidationError("Das Ende der Sprechstunde muss nach ihrem Beginn liegen.", "time_to")
    if status == LocationStatus.RUNNING and data.weekday is None:
        raise ValidationError("Eine laufende Sprechstunde braucht einen Wochentag.", "weekday")
    return {
        "town": required_text(data.town, "town", "Ort"),
        "venue": optional_text(data.venue, "venue", "Räumlichkeit", 200),
        "status": status,
        "start_date": data.start_date,
        "weekday": data.weekday,
        "time_from": data.time_from,
        "time_to": data.time_to,
    }


def save_location(db: Database, actor: Actor, data: LocationInput, location_id: int | None = None) -> int:
    """Create (location_id None) or change an office-hour location. Leads only."""
    require_role(actor, Role.LEAD)
    values = _validated(data)
    with db.write() as session:
        require_unique_name(session, OfficeHourLocation.town, str(values["town"]), location_id,
                            f"Einen Standort {values['town']} gibt es bereits.", "town")
        return save_audited(session, actor, OfficeHourLocation, "office_hour_location", location_id, values,
                            missing="Diesen Standort gibt es nicht.")


MAX_VISITORS = 500


def record_office_hours(
    db: Database,
    actor: Actor,
    location_id: int,
    held_on: date,
    visitors: int,
    first_interviews: int = 0,
    note: str | None = None,
) -> int:
    """A held office-hour session with its visitors and the first interviews that came of it."""
    require_role(actor, Role.COMPANION, Role.LEAD)
    not_in_future(held_on, "held_on", "Datum")
    if not 0 <= visitors <= MAX_VISITORS:
        raise ValidationError(f"Besucherzahl muss zwischen 0 und {MAX_VISITORS} liegen.", "visitors")
    if not 0 <= first_interviews <= visitors:
        raise ValidationError(
            "Es können nicht mehr Erstgespräche entstehen, als Personen da waren.", "first_interviews")
    note = optional_text(note, "note", "Notiz", 1000)
    with db.write() as session:
        location = session.get(OfficeHourLocation, location_id)
        if location is None:
            raise NotFound("Diesen Standort gibt es nicht.")
        if not has_started(location, held_on):
            when = f" vor dem {location.start_date:%d.%m.%Y}" if location.start_date else " noch"
            raise ValidationError(f"In {location.town} fanden{when} keine Sprechstunden statt.", "held_on")
        duplicate = session.scalar(select(OfficeHourSession.id).where(
            OfficeHourSession.location_id == location_id, OfficeHourSession.held_on == held_on))
        if duplicate is not None:
            raise ValidationError(
                f"Die Sprechstunde in {location.town} am {held_on:%d.%m.%Y} ist schon erfasst.", "held_on")
        held = OfficeHourSession(location_id=location_id, held_on=held_on, visitors=visitors,
                                 first_interviews=first_interviews, note=note,
                                 companion_id=actor.id)
        session.add(held)
        session.flush()
        audit(session, actor, "create", "office_hour_session", held.id,
              {"location_id": location_id, "held_on": held_on, "visitors": visitors,
               "first_interviews": first_interviews})
        return held.id


@dataclass(frozen=True)
class HeldSession:
    id: int
    town: str
    held_on: date
    visitors: int
    first_interviews: int
    companion: str | None
    note: str | None


def held_sessions(db: Database, actor: Actor, limit: int = 20) -> list[HeldSession]:
    """The latest held sessions (counts only; no client is named in them)."""
    require_role(actor, Role.COMPANION, Role.LEAD)
    with db.read() as session:
        rows = session.execute(
            select(OfficeHourSession.id, OfficeHourLocation.town, OfficeHourSession.held_on,
                   OfficeHourSession.visitors, OfficeHourSession.first_interviews,
                   User.display_name, OfficeHourSession.note)
            .join(OfficeHourLocation, OfficeHourSession.location_id == OfficeHourLocation.id)
            .outerjoin(User, OfficeHourSession.companion_id == User.id)
            .order_by(OfficeHourSession.held_on.desc(), OfficeHourLocation.town)
            .limit(limit)).all()
    return [HeldSession(*row) for row in rows]
