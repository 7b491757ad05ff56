"""Headline figures."""

from __future__ import annotations

from db.actors import Actor
from db.casework.cases import set_next_step
from db.casework.caseload import CaseFilter, caseload
from db.figures.kpis import kpis
from db.vocabulary import CaseStatus

from .conftest import World


def test_companion_kpis_are_their_own_caseload(world: World) -> None:
    assert kpis(world.db, world.actor("begleiter1")).active_cases == 11
    newcomer = kpis(world.db, world.actor("begleiter2"))
    assert (newcomer.active_cases, newcomer.planned_first_interviews, newcomer.referred) == (0, 0, 3)


def test_council_gets_the_totals(world: World) -> None:
    assert kpis(world.db, world.actor("kreistag")) == kpis(world.db, Actor.system())


def test_overdue_next_steps_follow_the_data(world: World) -> None:
    lead = world.actor("leitung")
    assert kpis(world.db, lead).overdue_next_steps == 2
    row = next(r for r in caseload(world.db, lead, CaseFilter(overdue_only=True)).rows if r.next_step)
    set_next_step(world.db, lead, row.case_id, row.version, row.next_step, world.today)
    assert kpis(world.db, lead).overdue_next_steps == 1


def test_companion_filter(world: World) -> None:
    figures = kpis(world.db, world.actor("leitung"), companion_id=world.user_id("begleiter2"))
    assert figures.active_cases == 0 and figures.referred == 0
    assert caseload(world.db, world.actor("leitung"), CaseFilter(statuses=(CaseStatus.ACTIVE,))).total == 11
