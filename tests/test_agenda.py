"""The companion's agenda."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.casework.agenda import agenda
from db.errors import PermissionDenied

from .conftest import World


def test_the_nineteen_planned_interviews_and_due_steps_of_begleiter1(world: World) -> None:
    items = agenda(world.db, world.actor("begleiter1"))
    interviews = [i for i in items if i.kind == "interview"]
    steps = [i for i in items if i.kind == "next_step"]
    coming = [i for i in interviews if not i.outcome_missing]
    assert len(coming) == 19
    assert all(world.today < i.day <= world.today + timedelta(days=14) for i in coming)
    # Yesterday's interview without an outcome is on the agenda too, flagged.
    assert [i.day for i in interviews if i.outcome_missing] == [world.today - timedelta(days=1)]
    assert {i.place for i in interviews} <= {"Sprechstunde Guben", "Sprechstunde Forst (Lausitz)", "Hausbesuch"}
    assert len([s for s in steps if s.overdue]) == 2
    assert [i.day for i in items] == sorted(i.day for i in items)


def test_a_companion_without_cases_has_an_empty_agenda(world: World) -> None:
    assert agenda(world.db, world.actor("begleiter2")) == []


def test_lead_filters_by_companion(world: World) -> None:
    lead = world.actor("leitung")
    assert len(agenda(world.db, lead, companion_id=world.user_id("begleiter1"))) == len(
        agenda(world.db, world.actor("begleiter1")))
    assert agenda(world.db, lead, companion_id=world.user_id("begleiter2")) == []


@pytest.mark.parametrize("username", ["fallmanager1", "kreistag", "admin"])
def test_agenda_is_for_companions_and_leads(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        agenda(world.db, world.actor(username))
