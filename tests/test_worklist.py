"""Handlungsbedarf (issue 13): the lead's work list names people and counts what is overdue."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from db.store.models import Case
from db.casework.team import CapacityState
from db.casework.worklist import needs_action, working_days_before

from .conftest import World
from .helpers import part_time


def test_the_work_list_names_the_overloaded_companion_and_what_is_late(world: World) -> None:
    work = needs_action(world.db, world.actor("leitung"))
    # 11 participants at 20: not over yet, but the 20 first interviews of her inflow would take
    # her over once they start – the lead is told now.
    assert [(c.name, c.state) for c in work.over_capacity] == [
        ("Bianca Begleitmann (Demo)", CapacityState.OVER_ONCE_INFLOW_STARTS)]
    part_time(world.db, "begleiter1", 10)
    work = needs_action(world.db, world.actor("leitung"))
    assert [(c.name, c.accompanied, c.cap, c.inflow, c.state) for c in work.over_capacity] == [
        ("Bianca Begleitmann (Demo)", 11, 10, 20, CapacityState.OVER)]
    assert work.overdue_steps.total == 2 and all(i.text for i in work.overdue_steps.items)
    assert work.outcome_missing.total == 1
    assert work.outcome_missing.items[0].day == world.today - timedelta(days=1)
    assert work.unassigned.total == 0  # the demo's referrals are at most two days old


def test_a_referral_unassigned_for_more_than_three_working_days_is_listed(world: World) -> None:
    with world.db.write() as session:
        session.execute(update(Case).where(Case.companion_id.is_(None)).values(
            referred_on=working_days_before(world.today, 4)))
    work = needs_action(world.db, world.actor("leitung"))
    assert work.unassigned.total == 3 and all(i.companion is None for i in work.unassigned.items)


def test_working_days_skip_the_weekend() -> None:
    monday = date(2026, 11, 23)
    assert working_days_before(monday, 1) == date(2026, 11, 20)  # the Friday before
    assert working_days_before(monday, 3) == date(2026, 11, 18)
