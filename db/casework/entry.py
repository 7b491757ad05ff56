"""Participant entry data (ESF+ Regulation 2021/1057, Annex I) and the rule that decides whether
a participant counts: a participant whose core data are incomplete is not counted at all.

Core: gender, date of birth (for the age band), postcode, employment status at entry, highest
education (ISCED band), household type (and the number of children of a
Familienbedarfsgemeinschaft). The further items may be left open or answered "keine Angabe".

The age band and the completeness are stored on the case when entry data change, so that an
anonymised participant (birth date and postcode erased) is still counted as before.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from ..accounts.permissions import case_scope, require_personal_read
from ..actors import Actor
from ..clock import today
from ..errors import ValidationError
from ..store.audit import audit, diff
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.models import Case, Client, User
from ..validation import ascii_digits
from ..vocabulary import Answer, Education, EntryEmployment, Gender, Household
from .editing import editing

AGE_BANDS = ("unter 18", "18–29", "30–54", "55+")
MAX_CHILDREN = 15


def age_band(birth_date: date | None, birth_year: int | None, on: date) -> str | None:
    """The ESF+ age band on the day of entry. Older records know only the birth year: the age
    is then the age reached in that calendar year."""
    if birth_date is not None:
        age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    elif birth_year is not None:
        age = on.year - birth_year
    else:
        return None
    if age < 18:
        return AGE_BANDS[0]
    if age < 30:
        return AGE_BANDS[1]
    if age < 55:
        return AGE_BANDS[2]
    return AGE_BANDS[3]


@dataclass(frozen=True)
class EntryData:
    """What the companion records at entry; None means "not yet recorded"."""

    gender: Gender | None = None
    birth_date: date | None = None
    postcode: str | None = None
    employment: EntryEmployment | None = None
    education: Education | None = None
    household: Household | None = None
    children: int | None = None
    disability: Answer | None = None
    third_country: Answer | None = None
    foreign_background: Answer | None = None
    minority: Answer | None = None
    homeless: Answer | None = None
    rural: Answer | None = None


# German names of the core fields, in the order a form asks for them.
CORE_LABELS: dict[str, str] = {
    "gender": "Geschlecht",
    "birth_date": "Geburtsdatum",
    "postcode": "Postleitzahl",
    "employment": "Erwerbsstatus bei Eintritt",
    "education": "Bildung (ISCED)",
    "household": "Haushalt",
    "children": "Zahl der Kinder",
}
FURTHER_LABELS: dict[str, str] = {
    "disability": "Behinderung",
    "third_country": "Drittstaatsangehörigkeit",
    "foreign_background": "Ausländische Herkunft",
    "minority": "Minderheit (auch marginalisierte Gemeinschaften wie Roma)",
    "homeless": "Obdachlos oder von Ausgrenzung auf dem Wohnungsmarkt betroffen",
    "rural": "Wohnort im ländlichen Raum",
}
# Case column of each field that lives on the case (the others are the person's).
CASE_COLUMN = {name: f"entry_{name}" for name in
               ("employment", "education", "household", "children", *FURTHER_LABELS)}


def missing_core(data: EntryData, *, birth_year: int | None = None) -> list[str]:
    """German names of the core fields still missing (empty list: the participant counts).
    A birth year alone (older records) gives the age band, so it stands in for the date."""
    missing = []
    for name in ("gender", "birth_date", "postcode", "employment", "education", "household"):
        if getattr(data, name) is None and not (name == "birth_date" and birth_year is not None):
            missing.append(CORE_LABELS[name])
    if data.household == Household.FAMILY and not data.children:
        missing.append(CORE_LABELS["children"])
    return missing


def validated(data: EntryData, *, on: date) -> EntryData:
    """Refuse impossible entry data, all problems in one message."""
    problems: list[str] = []
    if data.birth_date is not None:
        age = age_band(data.birth_date, None, on)
        if data.birth_date > today() or data.birth_date.year < 1920:
            problems.append("Das Geburtsdatum ist nicht möglich.")
        elif age == AGE_BANDS[0] and on.year - data.birth_date.year < 14:
            problems.append("Das Geburtsdatum ergibt ein Alter unter 14 Jahren.")
    postcode = (data.postcode or "").strip() or None
    if postcode is not None and (ascii_digits(postcode) is None or len(postcode) != 5):
        problems.append("Die Postleitzahl hat fünf Ziffern (z. B. 03172).")
    children = data.children
    if data.household == Household.FAMILY:
        if children is None or not 1 <= children <= MAX_CHILDREN:
            problems.append("Bei einer Familienbedarfsgemeinschaft bitte die Zahl der Kinder "
                            f"angeben (1 bis {MAX_CHILDREN}).")
    elif children:
        problems.append("Kinder werden nur bei einer Familienbedarfsgemeinschaft erfasst.")
    if problems:
        raise ValidationError(" ".join(problems), field="entry")
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    values.update(postcode=postcode, children=children if data.household == Household.FAMILY else None)
    return EntryData(**values)


def entry_of(client: Client, case: Case) -> EntryData:
    return EntryData(gender=client.gender, birth_date=client.birth_date, postcode=client.postcode,
                     **{name: getattr(case, column) for name, column in CASE_COLUMN.items()})


def entry_day(case: Case) -> date:
    """Entry is the start of accompaniment (the first interview held), else the referral."""
    return case.start_date or case.referred_on


def refresh_entry(case: Case) -> None:
    """Derive the stored age band and completeness from the current data (one place for both).
    An anonymised person keeps what was derived before the erasure."""
    client = case.client
    if client.anonymised_on is not None:
        return
    case.entry_age_band = age_band(client.birth_date, client.birth_year, entry_day(case))
    case.entry_complete = not missing_core(entry_of(client, case), birth_year=client.birth_year)


def refresh_person(session: Session, client: Client) -> None:
    for case in session.scalars(select(Case).where(Case.client_id == client.id)):
        refresh_entry(case)


def save_entry_data(db: Database, actor: Actor, case_id: int, version: int, data: EntryData) -> int:
    """Record or correct a participant's entry data (companion of the case, lead). Returns the
    case's new version."""
    with editing(db, actor, case_id, version) as (session, case):
        data = validated(data, on=entry_day(case))
        client = case.client
        person_changes = diff(client, gender=data.gender, birth_date=data.birth_date,
                              postcode=data.postcode)
        case_changes = diff(case, **{column: getattr(data, name)
                                     for name, column in CASE_COLUMN.items()})
        refresh_entry(case)
        if person_changes:
            refresh_person(session, client)
            audit(session, actor, "update", "client", client.id, person_changes)
        audit(session, actor, "entry_data", "case", case.id,
              {**case_changes, "complete": case.entry_complete})
    return case.version


# The characteristics participants are counted by (ESF+ tables), as SQL columns of the case.
PROFILE_COLUMNS = {"age_band": Case.entry_age_band,
                   **{name: getattr(Case, column) for name, column in CASE_COLUMN.items()
                      if name != "children"}}
PROFILE_LABELS = {"age_band": "Altersgruppe", **CORE_LABELS, **FURTHER_LABELS}


@dataclass(frozen=True)
class NotCounted:
    case_id: int
    client_name: str
    client_number: str
    companion: str | None
    start_date: date
    missing: list[str]


def _not_counted(actor: Actor) -> ColumnElement[bool]:
    """The one condition of "Nicht zählbar": participants (first interview held) in the actor's
    scope whose core entry data are incomplete."""
    return and_(case_scope(actor), Case.start_date.is_not(None), Case.entry_complete.is_(False))


@until_data_change  # Ergebnisse asks on every run; exact (the data stamp), per actor
def not_counted_total(db: Database, actor: Actor) -> int:
    """How many participants "Nicht zählbar" lists (not_counted's total, without the rows)."""
    require_personal_read(actor)
    with db.read() as session:
        return session.scalar(select(func.count()).where(_not_counted(actor))) or 0


@until_data_change
def not_counted(db: Database, actor: Actor, *, limit: int = 200) -> tuple[list[NotCounted], int]:
    """"Nicht zählbar": participants whose core entry data are incomplete, with what is missing
    (the lead's list; companions see their own). Returns the first `limit` rows (oldest start
    first) and the total."""
    require_personal_read(actor)
    companion = aliased(User)
    condition = _not_counted(actor)
    with db.read() as session:
        total = session.scalar(select(func.count()).where(condition)) or 0
        rows = session.execute(
            select(Case, Client, companion.display_name)
            .join(Client, Case.client_id == Client.id)
            .outerjoin(companion, Case.companion_id == companion.id)
            .where(condition).order_by(Case.start_date, Case.id).limit(limit)).all()
        out = [NotCounted(c.id, client.full_name, client.client_number, name, c.start_date,
                          ["Personendaten anonymisiert – nicht mehr ergänzbar"]
                          if client.anonymised_on else
                          missing_core(entry_of(client, c), birth_year=client.birth_year))
               for c, client, name in rows]
    return out, total
