"""Retention: personal data of long-finished cases removed, every count unchanged."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from db.casework.activities import record_activity
from db.casework.barriers import add_barrier
from db.casework.caseload import CaseFilter, caseload
from db.casework.cases import assign_companion, change_status, refer_client, schedule_first_interview
from db.errors import PermissionDenied, ValidationError
from db.figures.series import Period, barriers, contacts, funnel, intake
from db.store.models import Activity, Client
from db.privacy.retention import anonymise_closed_cases, count_due, retention_years
from db.vocabulary import ActivityKind, Barrier, CaseStatus, EndReason

from .conftest import World
from .helpers import audit_count, council_drafts, new_client


def finished_case(world: World, ended_days_ago: int, last_name: str) -> int:
    """A case referred, accompanied and closed in the past, with a note and a barrier."""
    lead = world.actor("leitung")
    ended = world.today - timedelta(days=ended_days_ago)
    referred = ended - timedelta(days=200)
    case_id = refer_client(world.db, lead, client=new_client(last_name=last_name, phone="0355 1234"),
                           referred_on=referred, case_manager_id=world.user_id("fallmanager1"))
    version = assign_companion(world.db, lead, case_id, 1, world.user_id("begleiter1"),
                               over_capacity_confirmed=True)
    version = schedule_first_interview(world.db, lead, case_id, version,
                                       datetime.combine(referred + timedelta(days=3), time(10)),
                                       planned_on=referred)
    version = change_status(world.db, lead, case_id, version, CaseStatus.ACTIVE, on=referred + timedelta(days=3))
    record_activity(world.db, lead, case_id, ActivityKind.DEBT_COUNSELLING,
                    occurred_on=referred + timedelta(days=10), note=f"Schulden bei {last_name}s Vermieter")
    add_barrier(world.db, lead, case_id, Barrier.DEBT, noted_on=referred + timedelta(days=10),
                note="Privatinsolvenz")
    change_status(world.db, lead, case_id, version, CaseStatus.CLOSED, on=ended,
                  end_reason=EndReason.WITHDRAWN, reason=f"{last_name} zieht weg")
    return case_id


def figures(world: World, period: Period) -> list:
    actor = world.actor("kreistag")
    return [intake(world.db, actor, period).to_dict("records"), funnel(world.db, actor, period).to_dict("records"),
            barriers(world.db, actor, period).to_dict("records"), contacts(world.db, actor, period).to_dict("records"),
            council_drafts(world.db, actor, world.today)]


def test_old_cases_lose_names_and_notes_but_every_figure_stays(world: World) -> None:
    old = finished_case(world, ended_days_ago=4 * 365, last_name="Altfall")
    recent = finished_case(world, ended_days_ago=200, last_name="Neufall")
    past = Period(start=world.today - timedelta(days=5 * 365), end=world.today - timedelta(days=3 * 365))
    now = Period()
    before = (figures(world, past), figures(world, now))

    lead = world.actor("leitung")
    assert count_due(world.db, lead) == 1
    result = anonymise_closed_cases(world.db, lead)
    assert (result.clients, result.cases) == (1, 1)
    assert (figures(world, past), figures(world, now)) == before

    with world.db.read() as session:
        clients = {c.last_name: c for c in session.scalars(select(Client))}
        assert "Altfall" not in clients and "Neufall" in clients
        gone = session.scalars(select(Client).where(Client.anonymised_on.is_not(None))).one()
        assert (gone.first_name, gone.phone, gone.birth_year) == ("Anonymisiert", None, None)
        assert gone.client_number.startswith("ANON-")
        notes = {a.case_id: a.note for a in session.scalars(
            select(Activity).where(Activity.kind == ActivityKind.DEBT_COUNSELLING))}
        assert notes[old] is None and "Neufall" in notes[recent]
    assert caseload(world.db, lead, CaseFilter(search="Altfall")).total == 0
    assert audit_count(world.db, action="anonymise", entity="client") == 1
    assert audit_count(world.db, action="anonymise", entity="retention") == 1
    # Running it again finds nothing more to do.
    assert anonymise_closed_cases(world.db, lead).clients == 0


def test_a_person_with_an_open_case_keeps_their_data(world: World) -> None:
    finished_case(world, ended_days_ago=4 * 365, last_name="Wiederkehr")
    lead = world.actor("leitung")
    with world.db.read() as session:
        client_id = session.scalar(select(Client.id).where(Client.last_name == "Wiederkehr"))
    refer_client(world.db, lead, client_id=client_id, case_manager_id=world.user_id("fallmanager2"))
    assert anonymise_closed_cases(world.db, lead).clients == 0


def test_the_period_is_configurable_and_checked(world: World) -> None:
    finished_case(world, ended_days_ago=2 * 365 + 30, last_name="Zweijahre")
    lead = world.actor("leitung")
    assert count_due(world.db, lead, 3) == 0 and count_due(world.db, lead, 2) == 1
    assert retention_years({"RETENTION_YEARS": "5"}) == 5 and retention_years({}) == 3
    for bad in ("drei", "0", "99"):
        with pytest.raises(ValidationError):
            retention_years({"RETENTION_YEARS": bad})


@pytest.mark.parametrize("username", ["begleiter1", "fallmanager1", "kreistag"])
def test_only_lead_and_admin_may_anonymise(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        anonymise_closed_cases(world.db, world.actor(username))
    assert audit_count(world.db, action="anonymise") == 0

