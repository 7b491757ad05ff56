"""Office hours (Sprechstunden): places, weekly schedule, held sessions."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from db.errors import PermissionDenied, ValidationError
from db.programme.locations import (
    LocationInput,
    LocationRow,
    held_sessions,
    list_locations,
    record_office_hours,
    save_location,
    upcoming_sessions,
)
from db.vocabulary import LocationStatus

from .conftest import World
from .helpers import audit_count


def location(world: World, town: str) -> LocationRow:
    return next(l for l in list_locations(world.db, world.actor("leitung")) if l.town.startswith(town))


def test_the_article_places_and_their_state(world: World) -> None:
    places = {l.town: l for l in list_locations(world.db, world.actor("kreistag"))}
    assert places["Guben"].status == places["Forst (Lausitz)"].status == LocationStatus.RUNNING
    spremberg = places["Spremberg"]
    assert (spremberg.status, spremberg.venue) == (LocationStatus.PLANNED, "Kulturschloss Spremberg")
    assert (spremberg.start_date.month, spremberg.start_date.day) == (2, 26)
    assert places["Cottbus"].status == LocationStatus.PLANNED and places["Cottbus"].start_date is None


def test_schedule_starts_a_planned_place_on_its_start_date(world: World) -> None:
    spremberg = location(world, "Spremberg")
    before = upcoming_sessions([spremberg], spremberg.start_date - timedelta(days=10), days=10)
    from_start = upcoming_sessions([spremberg], spremberg.start_date - timedelta(days=3), days=21)
    assert before == []
    assert [s.on for s in from_start] == [spremberg.start_date + timedelta(weeks=w) for w in range(3)]
    assert upcoming_sessions([location(world, "Cottbus")], world.today, days=60) == []


def test_schedule_is_weekly_and_in_date_order(world: World) -> None:
    sessions = upcoming_sessions(list_locations(world.db, world.actor("leitung")), world.today, days=14)
    assert [s.on for s in sessions] == sorted(s.on for s in sessions)
    assert {s.town for s in sessions} >= {"Guben", "Forst (Lausitz)"}
    assert all(s.on.weekday() == location(world, s.town).weekday for s in sessions)


def test_companion_records_a_held_session(world: World) -> None:
    guben = location(world, "Guben")
    held_on = world.today  # the demo has every earlier session recorded already
    record_office_hours(world.db, world.actor("begleiter1"), guben.id, held_on, visitors=5,
                        first_interviews=2, note="Viele Fragen zum Führerschein")
    latest = held_sessions(world.db, world.actor("leitung"))[0]
    assert (latest.town, latest.held_on, latest.visitors, latest.first_interviews) == (
        "Guben", held_on, 5, 2)
    assert audit_count(world.db, entity="office_hour_session", action="create") == 1


@pytest.mark.parametrize(("days_ago", "visitors", "first", "field"), [
    (-1, 3, 0, "held_on"), (0, -1, 0, "visitors"), (0, 501, 0, "visitors"), (0, 2, 3, "first_interviews"),
])
def test_impossible_sessions_are_refused(world: World, days_ago: int, visitors: int, first: int,
                                         field: str) -> None:
    guben = location(world, "Guben")
    with pytest.raises(ValidationError) as err:
        record_office_hours(world.db, world.actor("begleiter1"), guben.id,
                            world.today - timedelta(days=days_ago), visitors, first)
    assert err.value.field == field
    assert audit_count(world.db, entity="office_hour_session") == 0


def test_sessions_before_the_start_or_twice_are_refused(world: World) -> None:
    companion = world.actor("begleiter1")
    with pytest.raises(ValidationError):  # Cottbus has no office hours yet
        record_office_hours(world.db, companion, location(world, "Cottbus").id, world.today, 1)
    guben = location(world, "Guben")
    with pytest.raises(ValidationError):
        record_office_hours(world.db, companion, guben.id, guben.start_date - timedelta(days=1), 1)
    record_office_hours(world.db, companion, guben.id, world.today, 1)
    with pytest.raises(ValidationError, match="schon erfasst"):
        record_office_hours(world.db, companion, guben.id, world.today, 4)


def test_lead_opens_cottbus_and_it_appears_in_the_schedule(world: World) -> None:
    cottbus = location(world, "Cottbus")
    start = world.today + timedelta(days=7)
    save_location(world.db, world.actor("leitung"), LocationInput(
        town="Cottbus", venue="Stadthaus Cottbus", status=LocationStatus.PLANNED, start_date=start,
        weekday=start.weekday(), time_from=time(13), time_to=time(15)), cottbus.id)
    after = location(world, "Cottbus")
    assert (after.venue, after.start_date, after.time_from) == ("Stadthaus Cottbus", start, time(13))
    assert [s.on for s in upcoming_sessions([after], world.today, days=8)] == [start]
    assert audit_count(world.db, entity="office_hour_location", action="update") == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"town": " "}, "town"), ({"town": "guben"}, "town"), ({"time_to": time(8)}, "time_to"),
    ({"time_to": None}, "time_to"), ({"weekday": None, "status": LocationStatus.RUNNING}, "weekday"),
    ({"weekday": 9}, "weekday"),
])
def test_bad_location_data_changes_nothing(world: World, change: dict, field: str) -> None:
    forst = location(world, "Forst")
    values = {"town": forst.town, "venue": forst.venue, "status": forst.status,
              "start_date": forst.start_date, "weekday": forst.weekday, "time_from": forst.time_from,
              "time_to": forst.time_to} | change
    with pytest.raises(ValidationError) as err:
        save_location(world.db, world.actor("leitung"), LocationInput(**values), forst.id)
    assert err.value.field == field
    assert location(world, "Forst") == forst


def test_only_leads_edit_places_and_case_managers_record_nothing(world: World) -> None:
    guben = location(world, "Guben")
    data = LocationInput(town="Guben", venue="x", status=LocationStatus.RUNNING, start_date=None,
                         weekday=1, time_from=None, time_to=None)
    for username in ("begleiter1", "fallmanager1", "kreistag", "admin"):
        with pytest.raises(PermissionDenied):
            save_location(world.db, world.actor(username), data, guben.id)
    for username in ("fallmanager1", "kreistag", "admin"):
        with pytest.raises(PermissionDenied):
            record_office_hours(world.db, world.actor(username), guben.id, world.today, 1)


def test_demo_sessions_are_consistent(world: World) -> None:
    assert all(s.first_interviews <= s.visitors for s in held_sessions(world.db, world.actor("leitung"), 200))
    assert date.today() >= max(s.held_on for s in held_sessions(world.db, world.actor("leitung")))
