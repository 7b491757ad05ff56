"""The one rule set for a case's history and its person, whichever way they come in.

The forms (through the service functions), the caseload import and `python -m db check` all ask
these functions: the order of the events (referral ≤ first interview ≤ start of accompaniment ≤
job start ≤ end), nothing that already happened dated in the future, the required fields of a
person. A rule added here holds for every way in at once; the import and the services are kept
in step by tests/test_rules.py (generated histories must be accepted or refused by both alike).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import func, select

from ..actors import Actor
from ..clock import today
from ..errors import ValidationError
from ..store.audit import audit
from ..store.database import Database
from ..store.models import Activity, Case, Client, Placement, StatusChange
from ..validation import german_day, phone_number, plausible_day, required_text

# What every person needs, by field key, with the name the forms and the template give it.
REQUIRED_PERSON = {"client_number": "Kundennummer", "first_name": "Vorname",
                   "last_name": "Nachname", "town": "Wohnort"}
PERSON_LIMITS = {"client_number": 32, "first_name": 120, "last_name": 120, "town": 120}

# The events of a case in the order they happen, with their German names (the template's headers).
EVENT_LABELS = {"referred_on": "Zugewiesen am", "first_interview_at": "Erstgespräch am",
                "start_date": "Begleitung seit", "job_start": "Arbeitsbeginn", "end_date": "Beendet am"}


@dataclass(frozen=True)
class History:
    """The days of a case's events; None for one that has not happened (or is not known).
    `first_interview_at` may lie ahead while it is only planned, never once accompaniment began."""

    referred_on: date | None = None
    first_interview_at: date | None = None
    start_date: date | None = None
    job_start: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class Breach:
    field: str  # a key of EVENT_LABELS or REQUIRED_PERSON, or "phone"
    message: str  # German, names the field: "„Arbeitsbeginn“ (…) liegt vor „Begleitung seit“ (…)"

    @property
    def label(self) -> str:
        return {**EVENT_LABELS, **REQUIRED_PERSON, "phone": "Telefon"}.get(self.field, self.field)


def history_breaches(history: History, on: date | None = None) -> list[Breach]:
    """Every rule the history breaks, as of `on` (default today)."""
    on = on or today()
    found: list[Breach] = []
    earlier: tuple[str, date] | None = None  # the latest event before this one
    for item in fields(History):
        key, value = item.name, getattr(history, item.name)
        if value is None:
            continue
        label = EVENT_LABELS[key]
        try:
            plausible_day(value, key, label)
        except ValidationError as exc:
            found.append(Breach(key, exc.message))
            continue
        planned = key == "first_interview_at" and history.start_date is None
        if value > on and not planned:
            found.append(Breach(key, f"„{label}“ ({german_day(value)}) liegt in der Zukunft."))
            continue  # the later events are not measured against a day that cannot be right
        if earlier is not None and value < earlier[1]:
            found.append(Breach(key, f"„{label}“ ({german_day(value)}) liegt vor "
                                     f"„{EVENT_LABELS[earlier[0]]}“ ({german_day(earlier[1])})."))
        if earlier is None or value >= earlier[1]:
            earlier = (key, value)
    return found


def require_history(history: History, *, new: str | None = None) -> None:
    """For a service function: refuse (every breach in one message) or return. With `new` (the
    event being recorded) only what that event breaks counts: an old record's flaw is for
    `python -m db check`, not a reason to refuse today's entry."""
    breaches = [b for b in history_breaches(history) if new is None or b.field == new]
    if breaches:
        raise ValidationError(" ".join(b.message for b in breaches), breaches[0].field)


def history_of(case: Case) -> History:
    """A loaded case's history as stored: its newest job's start stands for the job start."""
    jobs = [job.start_date for job in case.placements]
    return History(case.referred_on, case.first_interview_at.date() if case.first_interview_at else None,
                   case.start_date, max(jobs) if jobs else None, case.end_date)


def person_breaches(cells: dict[str, str | None]) -> list[Breach]:
    """Required fields and the phone number of a person, by field key."""
    found = []
    for key, label in REQUIRED_PERSON.items():
        try:
            required_text(cells.get(key), key, label, PERSON_LIMITS[key])
        except ValidationError as exc:
            found.append(Breach(key, exc.message))
    try:
        phone_number(cells.get("phone"))
    except ValidationError as exc:
        found.append(Breach("phone", exc.message))
    return found


# --- stored cases: `python -m db check` -----------------------------------------------------------


@dataclass(frozen=True)
class CaseBreach:
    case_id: int
    client_number: str
    message: str


def stored_breaches(db: Database, actor: Actor) -> list[CaseBreach]:
    """Every stored case that breaks a rule (legacy imports, data from older rules), in case
    order. Audited with the case ids found: the list names persons by client number."""
    with db.write() as session:
        found = list(_stored(session))
        audit(session, actor, "check", "caseload", None,
              {"cases": sorted({b.case_id for b in found})})
    return found


def _stored(session) -> Iterator[CaseBreach]:  # type: ignore[no-untyped-def]
    first_job = (select(Placement.case_id, func.min(Placement.start_date).label("first"),
                        func.max(Placement.start_date).label("last"))
                 .group_by(Placement.case_id).subquery())
    future_events = (select(StatusChange.case_id).where(StatusChange.changed_on > today())
                     .union(select(Activity.case_id).where(Activity.occurred_on > today())))
    in_future = set(session.scalars(future_events))
    rows = session.execute(
        select(Case.id, Client.client_number, Client.first_name, Client.last_name, Client.town,
               Client.phone, Client.anonymised_on, Case.referred_on, Case.first_interview_at,
               Case.start_date, Case.end_date, first_job.c.first, first_job.c.last)
        .join(Client, Client.id == Case.client_id)
        .outerjoin(first_job, first_job.c.case_id == Case.id)
        .order_by(Case.id))
    for (case_id, number, first, last, town, phone, anonymised, referred, interview, start, end,
         job_first, job_last) in rows:
        messages: list[str] = []
        if anonymised is None:  # an anonymised person has no name or phone left to check
            messages += [b.message for b in person_breaches(
                {"client_number": number, "first_name": first, "last_name": last, "town": town,
                 "phone": phone})]
        # Each job lies in the accompaniment: the first after its start, the newest before its end.
        for job in dict.fromkeys(j for j in (job_first, job_last) if j is not None) or [None]:
            messages += [b.message for b in history_breaches(History(
                referred, interview.date() if interview else None, start, job, end))]
        if case_id in in_future:
            messages.append("Ein Statuswechsel oder Kontakt ist in der Zukunft datiert.")
        for message in dict.fromkeys(messages):
            yield CaseBreach(case_id, number, message)
