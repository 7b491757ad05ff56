"""One rule set for every way in (issue 37, items 2 and 3): the caseload import and the service
functions accept and refuse the same histories; `python -m db check` finds every stored case
that breaks a rule."""

from __future__ import annotations

import io
import itertools
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from db.casework.caseload_io import COLUMNS, check_import, import_cases, read_upload
from db.casework.cases import (
    NewClient,
    NewPlacement,
    assign_companion,
    change_status,
    refer_client,
    schedule_first_interview,
    set_next_step,
)
from db.errors import DomainError, ValidationError
from db.store.database import Database
from db.store.models import Case, Client, Employer, Placement, User
from db.vocabulary import CaseStatus, JobKind

from .conftest import World
from .test_cli import run_db, url  # noqa: F401 - the fixture: SQLite and PostgreSQL

STATUSES = [CaseStatus.REFERRED, CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED]
PHONES = ["03561 123456", "+49 (0)3561/12-34", "ruf an", "1234", "", "0355 12345 ext"]


@st.composite
def histories(draw: st.DrawFn) -> dict:
    """A case as a sheet row would hold it: days relative to today, in or out of order."""
    status = draw(st.sampled_from(STATUSES))
    days = lambda: draw(st.integers(-400, 20))  # noqa: E731
    h = {"status": status, "referred": days(), "phone": draw(st.sampled_from(PHONES))}
    if status != CaseStatus.REFERRED:
        h["interview"] = days()
    if status in (CaseStatus.ACTIVE, CaseStatus.EMPLOYED):
        h["start"] = days()
    if status == CaseStatus.EMPLOYED:
        h["job"] = days()
    if draw(st.booleans()):
        h["due"] = draw(st.integers(-20, 40))
    return h


_numbers = itertools.count(1)


def _through_services(world: World, h: dict, number: str, employer: tuple[int, str]) -> bool:
    """The history entered through the forms' service functions; True if all was accepted."""
    lead, day = world.actor("leitung"), lambda n: world.today + timedelta(days=n)
    try:
        case_id = refer_client(world.db, lead, client=NewClient(number, "Hypo", f"These{number}", "Guben",
                                                              phone=h["phone"] or None),
                               referred_on=day(h["referred"]))
        version = world.db_version(case_id)
        if "interview" in h:
            version = assign_companion(world.db, lead, case_id, version, world.user_id("begleiter1"),
                                       over_capacity_confirmed=True)
            version = schedule_first_interview(world.db, lead, case_id, version,
                                               datetime.combine(day(h["interview"]), time(10)),
                                               planned_on=min(day(h["referred"]), world.today))
        if "start" in h:
            version = change_status(world.db, lead, case_id, version, CaseStatus.ACTIVE, on=day(h["start"]))
        if "job" in h:
            version = change_status(world.db, lead, case_id, version, CaseStatus.EMPLOYED,
                                    placement=NewPlacement(employer[0], day(h["job"]), JobKind.FULL_TIME))
        if "due" in h:
            set_next_step(world.db, lead, case_id, version, "Bewerbung schreiben", day(h["due"]))
    except DomainError:
        return False
    return True


def _through_import(world: World, h: dict, number: str, employer: tuple[int, str]) -> bool:
    when = lambda n: f"{world.today + timedelta(days=n):%d.%m.%Y}"  # noqa: E731
    cells = {"client_number": number, "first_name": "Hypo", "last_name": f"These{number}", "town": "Guben",
             "phone": h["phone"], "status": h["status"].label, "companion": "begleiter1",
             "referred_on": when(h["referred"]),
             "first_interview_at": f"{when(h['interview'])} 10:00" if "interview" in h else "",
             "start_date": when(h["start"]) if "start" in h else "",
             "employer": employer[1] if "job" in h else "", "job_start": when(h["job"]) if "job" in h else "",
             "next_step": "Bewerbung schreiben" if "due" in h else "",
             "next_step_due": when(h["due"]) if "due" in h else ""}
    frame = pd.DataFrame([{COLUMNS[k]: v for k, v in cells.items()}])
    buffer = io.BytesIO(frame.to_csv(sep=";", index=False).encode("utf-8-sig"))
    return check_import(world.db, world.actor("leitung"), read_upload("faelle.csv", buffer.getvalue())).ok


@pytest.fixture
def sqlite_world(sqlite_db: Database) -> World:
    """The demo world on SQLite only: the property test makes many cases, and the rules it
    compares are Python, the same on both databases."""
    from db.demo.seed import seed_demo

    world = World(db=sqlite_db, today=date.today())
    seed_demo(sqlite_db, today=world.today)

    def version(case_id: int) -> int:
        with sqlite_db.read() as session:
            return session.get_one(Case, case_id).version
    world.db_version = version  # type: ignore[attr-defined]
    return world


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=histories())
def test_import_and_services_accept_and_refuse_the_same_histories(sqlite_world: World, h: dict) -> None:
    world = sqlite_world
    with world.db.read() as session:
        employer = session.execute(select(Employer.id, Employer.name).order_by(Employer.id)).first()
    number = f"HYP-{next(_numbers)}"
    by_import = _through_import(world, h, number, tuple(employer))
    by_services = _through_services(world, h, number, tuple(employer))
    assert by_import == by_services, h


def test_the_issues_import_is_refused_naming_row_and_rule(world: World) -> None:
    """Job start 300 days ago, referral 100, accompaniment 90: the sheet the issue imported."""
    when = lambda n: f"{world.today - timedelta(days=n):%d.%m.%Y}"  # noqa: E731
    with world.db.read() as session:
        employer = session.scalars(select(Employer.name).order_by(Employer.id)).first()
    cells = {"client_number": "ISS-37", "first_name": "Nora", "last_name": "Nachher", "town": "Forst",
             "status": "In Arbeit – Nachbetreuung", "companion": "begleiter1", "referred_on": when(100),
             "first_interview_at": when(90), "start_date": when(90), "employer": employer,
             "job_start": when(300)}
    frame = pd.DataFrame([{COLUMNS[k]: v for k, v in cells.items()}])
    sheet = read_upload("f.csv", frame.to_csv(sep=";", index=False).encode("utf-8-sig"))
    with pytest.raises(ValidationError) as refused:
        import_cases(world.db, world.actor("leitung"), sheet, "f.csv")
    assert f"Zeile 2, Arbeitsbeginn: „Arbeitsbeginn“ ({when(300)}) liegt vor „Begleitung seit“" \
        in refused.value.message
    with world.db.read() as session:
        assert session.scalar(select(Client.id).where(Client.client_number == "ISS-37")) is None


def test_check_finds_every_broken_rule_of_a_legacy_import_and_nothing_in_the_demo(url: str) -> None:  # noqa: F811
    assert run_db(url, "migrate").returncode == 0
    assert run_db(url, "seed-demo").returncode == 0
    clean = run_db(url, "check")
    assert (clean.returncode, clean.stdout.strip()) == (0, "Alle gespeicherten Fälle halten die Regeln ein.")

    # A legacy import written past the rules, one broken rule per case.
    db = Database.from_url(url)
    today = date.today()
    with db.write() as session:
        ids = session.scalars(select(Case.id).where(Case.status == CaseStatus.ACTIVE).order_by(Case.id)).all()
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
        a, b, c, d, e, f = ids[:6]
        cases[a].first_interview_at = datetime.combine(cases[a].referred_on - timedelta(days=100), time(10))
        cases[b].start_date = cases[b].first_interview_at.date() - timedelta(days=5)
        employer = session.scalars(select(Employer.id)).first()
        session.add(Placement(case_id=c, employer_id=employer, job_kind=JobKind.FULL_TIME,
                              start_date=cases[c].start_date - timedelta(days=30)))
        cases[d].referred_on = today + timedelta(days=10)
        session.execute(update(Client).where(Client.id == cases[e].client_id).values(phone="ruf an"))
        session.execute(update(Client).where(Client.id == cases[f].client_id).values(first_name=""))
        numbers = {i: session.get_one(Client, cases[i].client_id).client_number for i in ids[:6]}
        assert session.scalar(select(User.id)) is not None
    db.dispose()

    found = run_db(url, "check")
    assert found.returncode == 1, found.stderr
    expected = {a: "„Erstgespräch am“", b: "„Begleitung seit“", c: "„Arbeitsbeginn“",
                d: "„Zugewiesen am“", e: "„Telefon“ ist keine Telefonnummer", f: "Bitte „Vorname“ ausfüllen"}
    lines = found.stdout.splitlines()
    for case_id, rule in expected.items():
        assert any(line.startswith(f"Fall {case_id} (Kundennummer {numbers[case_id]}): ") and rule in line
                   for line in lines), (case_id, rule, lines)
    assert {int(line.split()[1]) for line in lines} == set(expected)
    assert "6 Fälle verstoßen gegen eine Regel." in found.stderr


def test_a_history_in_order_is_accepted_by_both(sqlite_world: World) -> None:
    """The property above compares; this keeps it from passing on two ways that refuse all."""
    with sqlite_world.db.read() as session:
        employer = tuple(session.execute(select(Employer.id, Employer.name).order_by(Employer.id)).first())
    h = {"status": CaseStatus.EMPLOYED, "referred": -60, "interview": -50, "start": -50, "job": -10,
         "phone": "03561 123456", "due": 7}
    assert _through_import(sqlite_world, h, "HYP-OK", employer)
    assert _through_services(sqlite_world, h, "HYP-OK", employer)
