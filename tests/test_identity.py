"""One person, one record, whatever the spelling (db/casework/identity.py): the referral, the
import and the case search find a stored person under a name that sounds alike (Kölner
Phonetik) with the same postcode or birth date; the person entering decides. Every way a client
is written keeps the stored sound codes true, and erasure removes them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from db.casework.caseload import CaseFilter, caseload, sounds_like
from db.casework.caseload_io import COLUMNS, check_import, import_cases
from db.casework.cases import DuplicateClient, NewClient, refer_client, update_client
from db.demo.synthetic import generate
from db.errors import ValidationError
from db.phonetics import cologne
from db.privacy.erasure import erase_person
from db.store.database import Database
from db.store.models import AuditEntry, Client

from .conftest import World
from .helpers import new_client

POSTCODE, BORN = "03149", date(1981, 4, 2)
# Each group sounds alike; the first spelling is the one stored.
ALIKE = [("Hans", ["Meyer", "Maier", "Mayer", "Meier"]),
         ("Karin", ["Schmidt", "Schmitt", "Schmid"]),
         ("Jörg", ["Müller", "Mueller", "Möller"])]


def stored(world: World, first: str, last: str, **person: object) -> NewClient:
    client = new_client(first_name=first, last_name=last, **person)
    refer_client(world.db, world.actor("fallmanager1"), client=client)
    return client


def client_id(world: World, number: str) -> int:
    with world.db.read() as session:
        return session.scalars(select(Client.id).where(Client.client_number == number)).one()


def import_row(number: str, first: str, last: str, **cells: str) -> dict[str, str]:
    values = {"client_number": number, "first_name": first, "last_name": last, "town": "Guben",
              "status": "Zugewiesen", "referred_on": f"{date.today():%d.%m.%Y}"} | cells
    return {COLUMNS[key]: value for key, value in values.items()}


def frame(*rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{h: r.get(h, "") for h in COLUMNS.values()} for r in rows])


def test_every_spelling_of_a_stored_person_is_offered_at_referral_import_and_search(world: World) -> None:
    fm, lead = world.actor("fallmanager1"), world.actor("leitung")
    for first, (spelling, *others) in ALIKE:
        kept = stored(world, first, spelling, postcode=POSTCODE, birth_date=BORN)
        known = client_id(world, kept.client_number)
        for other in others:
            for same in ({"postcode": POSTCODE}, {"birth_date": BORN}):
                with pytest.raises(DuplicateClient) as offered:
                    refer_client(world.db, fm, client=new_client(first_name=first, last_name=other, **same))
                assert offered.value.likely and offered.value.match.client_id == known
                assert "Vermutlich schon erfasst" in offered.value.message
                check = check_import(world.db, lead, frame(import_row(
                    "IMP-X", first, other, postcode=same.get("postcode", ""),
                    birth_date=f"{same['birth_date']:%d.%m.%Y}" if "birth_date" in same else "")))
                assert not check.problems and [k.pair for k in check.likely_known] == [(2, known)]
            found = caseload(world.db, lead, CaseFilter(search=f"{first} {other}"))
            assert kept.client_number in {row.client_number for row in found.rows}, other
            found = caseload(world.db, lead, CaseFilter(search=other.upper()))
            assert kept.client_number in {row.client_number for row in found.rows}, other


def test_the_person_entering_decides_and_the_decision_is_audited(world: World) -> None:
    fm = world.actor("fallmanager1")
    kept = stored(world, "Hans", "Meyer", postcode=POSTCODE)
    known = client_id(world, kept.client_number)
    other = new_client(first_name="Hans", last_name="Maier", postcode=POSTCODE)
    refer_client(world.db, fm, client=other, other_person_confirmed=True)
    with world.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "create", AuditEntry.entity == "client",
            AuditEntry.entity_id == client_id(world, other.client_number))).one()
    assert entry.changes == {"other_than_client_id": known}
    # Spelled alike with the same postcode is certain: no confirmation creates a second record.
    with pytest.raises(DuplicateClient) as refused:
        refer_client(world.db, fm, client=new_client(first_name="hans", last_name="MEYER", postcode=POSTCODE),
                     other_person_confirmed=True)
    assert not refused.value.likely
    # Neither postcode nor birth date agrees: somebody else, no question asked.
    refer_client(world.db, fm, client=new_client(first_name="Hans", last_name="Mayer", postcode="01968",
                                                 birth_date=date(1990, 1, 1)))


def test_import_stops_until_the_lead_confirms_each_likely_person(world: World) -> None:
    lead = world.actor("leitung")
    kept = stored(world, "Karin", "Schmidt", birth_date=BORN)
    known = client_id(world, kept.client_number)
    sheet = frame(import_row("IMP-1", "Karin", "Schmitt", birth_date=f"{BORN:%d.%m.%Y}"),
                  import_row("IMP-2", "Karin", "Schmidt", birth_date="03.04.1981"))
    with pytest.raises(ValidationError, match="vermutlich schon erfasst") as stopped:
        import_cases(world.db, lead, sheet, "f.csv")
    assert "Zeile 2" in stopped.value.message and kept.client_number in stopped.value.message
    with pytest.raises(ValidationError):  # confirming another pair confirms nothing here
        import_cases(world.db, lead, sheet, "f.csv", confirmed_others=[(2, known + 1)])
    with world.db.read() as session:
        assert session.scalar(select(Client.id).where(Client.client_number == "IMP-1")) is None
    result = import_cases(world.db, lead, sheet, "f.csv", confirmed_others=[(2, known)])
    assert result.created == 2
    with world.db.read() as session:
        stored_row = session.scalars(select(Client).where(Client.client_number == "IMP-1")).one()
        assert (stored_row.birth_date, stored_row.last_name_code) == (BORN, cologne("Schmitt"))
    # The same spelling, the same birth date, another number: a problem of the row, never created.
    check = check_import(world.db, lead, frame(import_row("IMP-3", "KARIN", "schmidt",
                                                          birth_date=f"{BORN:%d.%m.%Y}")))
    assert [p.text for p in check.problems] == [(
        f"Zeile 2, Kundennummer: Karin Schmidt ist bereits unter der Kundennummer "
        f"{kept.client_number} erfasst (gleicher Name, gleiches Geburtsdatum): bitte diese "
        "Kundennummer eintragen")]
    bad = check_import(world.db, lead, frame(import_row("IMP-4", "Ina", "Neu", postcode="3149")))
    assert [p.column for p in bad.problems] == ["Postleitzahl"]


def test_a_client_number_or_an_initial_does_not_search_by_sound() -> None:
    for search in ("K", "DEMO-1", "4", "K 12", "Hans M", "O'Neil", "#"):
        assert sounds_like(search) == [], search
    for search in ("Maier", "hans maier", "Müller-Lüdenscheidt"):
        assert sounds_like(search), search


def test_every_write_keeps_the_sound_codes_true_and_erasure_removes_them(world: World) -> None:
    """A sweep over every way a client is written: demo, referral, correction, import,
    synthetic data, erasure."""
    lead = world.actor("leitung")
    kept = stored(world, "Anna", "Kowalski", postcode=POSTCODE)
    cid = client_id(world, kept.client_number)
    with world.db.read() as session:
        version = session.get_one(Client, cid).version
    update_client(world.db, lead, cid, version, NewClient(**{**kept.__dict__, "last_name": "Kowalsky"}))
    import_cases(world.db, lead, frame(import_row("IMP-9", "Ole", "Lüdenscheidt")), "f.csv")
    erase_person(world.db, lead, kept.client_number, "Antrag auf Löschung")
    with world.db.read() as session:
        clients = session.scalars(select(Client)).all()
    assert len(clients) > 20 and any(c.anonymised_on for c in clients)
    assert_codes_true(world.db)


def assert_codes_true(db: Database) -> None:
    with db.read() as session:
        clients = session.scalars(select(Client)).all()
    for client in clients:
        expected = (None, None) if client.anonymised_on else (
            cologne(client.first_name) or None, cologne(client.last_name) or None)
        assert (client.first_name_code, client.last_name_code) == expected, client.client_number


def test_synthetic_data_have_their_sound_codes(db: Database) -> None:
    generate(db, cases=5, seed=1, progress=lambda *_: None)
    assert_codes_true(db)
