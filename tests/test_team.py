"""Team & Stellen: caseload per companion, funded positions, capacity forecast."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from db.errors import PermissionDenied, ValidationError
from db.casework.team import (
    FORECAST_SERIES,
    PositionInput,
    capacity_forecast,
    companion_caseloads,
    list_positions,
    save_position,
)
from db.vocabulary import CaseStatus, PositionState

from .conftest import World
from .helpers import audit_count, case_in


def test_caseload_per_companion_matches_the_article(world: World) -> None:
    loads = {c.name: c for c in companion_caseloads(world.db, world.actor("leitung"))}
    bianca, bruno = loads["Bianca Begleitmann (Demo)"], loads["Bruno Begleitmann (Demo)"]
    assert (bianca.accompanied, bianca.planned, bianca.outcome_missing, bianca.capacity) == (11, 19, 1, 20)
    assert (bruno.accompanied, bruno.inflow) == (0, 0) and bruno.start_date > world.today  # starting soon


def test_a_new_case_counts_for_its_companion(world: World) -> None:
    lead = world.actor("leitung")
    case_in(world.db, lead, CaseStatus.ACTIVE, companion_id=world.user_id("begleiter2"),
            case_manager_id=world.user_id("fallmanager1"))
    bruno = next(c for c in companion_caseloads(world.db, lead) if c.name.startswith("Bruno"))
    assert (bruno.accompanied, bruno.planned) == (1, 0)


def test_positions_one_working_one_starting_two_funded_from_april(world: World) -> None:
    positions = list_positions(world.db, world.actor("leitung"))
    assert [p.state for p in positions] == [PositionState.FILLED] * 2 + [PositionState.ADVERTISED] * 2
    assert positions[0].working_from <= world.today < positions[1].working_from
    assert all(p.funded_from.month == 4 and p.funded_from.day == 1 for p in positions[2:])


def test_forecast_grows_when_the_second_companion_starts_and_in_april(world: World) -> None:
    # 13 months: the next 1 April is at most 12 months after this month's first day.
    frame = capacity_forecast(world.db, world.actor("leitung"), months=13)
    table = frame.pivot(index="month", columns="series", values="value")
    staffed = table[FORECAST_SERIES["staffed"]]
    funded = table[FORECAST_SERIES["funded"]]
    positions = list_positions(world.db, world.actor("leitung"))
    start = positions[1].working_from
    start_month = date(start.year, start.month, 1)
    # One companion until the month the second starts in (a start on the 20th counts for its
    # month): whether that is this month or the next depends on today's date.
    assert all(staffed[m] == 20 for m in table.index if m < start_month)
    assert staffed[start_month] == 40
    april = positions[2].funded_from
    assert (april.month, april.day) == (4, 1)
    assert funded[april] == 80 and staffed[april] == 40  # funded, not yet staffed
    assert all(funded[m] == 40 for m in table.index if m < april)
    # The Team table's sums: 11 participants; with the inflow of 20 first interviews 31.
    team = companion_caseloads(world.db, world.actor("leitung"))
    assert set(table[FORECAST_SERIES["participants"]]) == {sum(c.accompanied for c in team)} == {11}
    assert set(table[FORECAST_SERIES["with_inflow"]]) == {sum(c.accompanied + c.inflow for c in team)} == {31}


def test_lead_fills_an_advertised_position_and_capacity_follows(world: World) -> None:
    lead = world.actor("leitung")
    from db.accounts.users import create_user
    from db.vocabulary import Role

    start = world.today + timedelta(days=40)
    new_id = create_user(world.db, world.actor("admin"), username="carla", display_name="Carla Neu",
                         role=Role.COMPANION, password="sicheres-passwort", capacity=20,
                         start_date=start)
    third = list_positions(world.db, lead)[2]
    save_position(world.db, lead, PositionInput(title=third.title, state=PositionState.FILLED,
                                                funded_from=start, capacity=18, holder_id=new_id),
                  third.id)
    after = list_positions(world.db, lead)[2]
    assert (after.holder_name, after.capacity, after.working_from) == ("Carla Neu", 18, start)
    assert audit_count(world.db, entity="position", action="update") == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"), ({"capacity": 0}, "capacity"), ({"capacity": 61}, "capacity"),
    ({"funded_from": None}, "funded_from"), ({"holder_id": None}, "holder"),
    ({"state": PositionState.ADVERTISED}, "holder"),
])
def test_bad_position_data_changes_nothing(world: World, change: dict, field: str) -> None:
    lead = world.actor("leitung")
    first = list_positions(world.db, lead)[0]
    values = {"title": first.title, "state": first.state, "funded_from": first.funded_from,
              "capacity": first.capacity, "holder_id": first.holder_id} | change
    with pytest.raises(ValidationError) as err:
        save_position(world.db, lead, PositionInput(**values), first.id)
    assert err.value.field == field
    assert list_positions(world.db, lead)[0] == first


def test_a_companion_holds_one_position_and_must_be_a_companion(world: World) -> None:
    lead = world.actor("leitung")
    third = list_positions(world.db, lead)[2]
    for holder in ("begleiter1", "fallmanager1"):
        with pytest.raises(ValidationError):
            save_position(world.db, lead, PositionInput(
                title=third.title, state=PositionState.FILLED, funded_from=third.funded_from,
                capacity=20, holder_id=world.user_id(holder)), third.id)


def test_only_the_lead_sees_and_keeps_positions(world: World) -> None:
    for username in ("begleiter1", "fallmanager1", "kreistag", "admin"):
        actor = world.actor(username)
        with pytest.raises(PermissionDenied):
            list_positions(world.db, actor)
        with pytest.raises(PermissionDenied):
            companion_caseloads(world.db, actor)
        with pytest.raises(PermissionDenied):
            save_position(world.db, actor, PositionInput("X", PositionState.FUNDED, world.today, 20))
