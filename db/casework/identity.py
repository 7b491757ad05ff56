"""One person, one record, whatever the spelling: who among the stored clients is probably the
person being entered (at referral, in the import).

A stored client is the same person when first and last name sound alike (Kölner Phonetik,
db/phonetics.py: Meyer = Maier = Mayer) and postcode or date of birth agree. Spelled exactly
alike (any capitals) it is certain – the ESF+ rule of db/results/persons.py, which the funder's
report counts by – and the entry is refused; spelled differently it is likely, and the person
entering sees the match and decides. Anonymised clients match nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.database import batched
from ..store.models import Case, Client, name_codes
from .workflow import OPEN_STATUSES


@dataclass(frozen=True)
class ClientMatch:
    client_id: int
    client_number: str
    name: str
    town: str
    has_open_case: bool
    open_case_id: int | None = None


@dataclass(frozen=True)
class Entered:
    """What is known of a person being entered."""

    first_name: str
    last_name: str
    postcode: str | None = None
    birth_date: date | None = None


@dataclass(frozen=True)
class KnownPerson:
    match: ClientMatch
    exact: bool  # the same spelling: certain; otherwise only sounding alike: likely
    shared: str  # "Postleitzahl" or "Geburtsdatum": what else agrees

    @property
    def reason(self) -> str:
        """Why the record is offered, in German, for the message next to the form or row."""
        names = "gleicher Name" if self.exact else "gleich klingender Name"
        return f"{names}, {'gleiche' if self.shared == 'Postleitzahl' else 'gleiches'} {self.shared}"


def _spelling(first: str, last: str) -> tuple[str, str]:
    return first.strip().casefold(), last.strip().casefold()


def client_match(session: Session, person: Client) -> ClientMatch:
    open_case = session.scalar(
        select(Case.id).where(Case.client_id == person.id, Case.status.in_(OPEN_STATUSES)))
    return ClientMatch(person.id, person.client_number, person.full_name, person.town,
                       open_case is not None, open_case)


def known_persons(session: Session, people: Sequence[Entered]) -> list[KnownPerson | None]:
    """For each entered person the stored client who is probably them (an exact spelling before
    a sound-alike, then the lowest id), or None. One query per 500 distinct last names."""
    keyed = [(p, name_codes(p.first_name, p.last_name)) for p in people if p.postcode or p.birth_date]
    sounds = sorted({codes["last_name_code"] for _, codes in keyed if codes["last_name_code"]})
    # A name without a letter that sounds (another script) is compared by its spelling alone.
    spellings = sorted({p.last_name.strip().lower() for p, codes in keyed if not codes["last_name_code"]})
    conditions = [*(Client.last_name_code.in_(part) for part in batched(sounds)),
                  *(func.lower(Client.last_name).in_(part) for part in batched(spellings))]
    by_sound: dict[tuple[str | None, str | None], list[Client]] = {}
    by_spelling: dict[tuple[str, str], list[Client]] = {}
    for condition in conditions:
        for client in session.scalars(select(Client).where(Client.anonymised_on.is_(None), condition)
                                      .order_by(Client.id)):
            by_sound.setdefault((client.first_name_code, client.last_name_code), []).append(client)
            by_spelling.setdefault(_spelling(client.first_name, client.last_name), []).append(client)
    found: dict[int, KnownPerson] = {}
    for person, codes in keyed:
        spelling = _spelling(person.first_name, person.last_name)
        alike = by_sound.get((codes["first_name_code"], codes["last_name_code"]), []) \
            if codes["first_name_code"] and codes["last_name_code"] else []
        best: tuple[bool, Client, str] | None = None
        for client in [*by_spelling.get(spelling, []), *alike]:
            shared = ("Postleitzahl" if person.postcode and client.postcode == person.postcode.strip()
                      else "Geburtsdatum" if person.birth_date and client.birth_date == person.birth_date
                      else None)
            if shared is not None:
                best = (_spelling(client.first_name, client.last_name) == spelling, client, shared)
                break  # exact spellings come first
        if best is not None:
            found[id(person)] = KnownPerson(client_match(session, best[1]), best[0], best[2])
    return [found.get(id(p)) for p in people]
