"""Headline figures."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from db.actors import Actor
from db.casework.cases import set_next_step
from db.clock import today
from db.casework.caseload import CaseFilter, caseload
from db.demo.synthetic import generate
from db.figures.kpis import CASE_LIST_KEYS, case_list_figures, kpis
from db.store.database import Database
from db.store.models import Case, User
from db.vocabulary import CaseStatus, Role

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


def _list_roles() -> set[Role]:
    from app import ROLE_PAGES

    return {role for role, pages in ROLE_PAGES.items() if "cases" in pages}


def _same_as_kpis(db: Database, actors: list[Actor]) -> list[dict[str, int]]:
    seen = []
    for actor in actors:
        expected = kpis.exact(db, actor).as_dict()  # type: ignore[attr-defined]
        figures = case_list_figures(db, actor)
        assert figures == {key: expected[key] for key in CASE_LIST_KEYS}, actor.username
        seen.append(figures)
    return seen


def test_the_case_lists_figures_are_the_kpis(world: World) -> None:
    """The case list's caption counts apart from kpis (issue 42): the same values for everyone
    who opens the list, so the two can never drift."""
    with world.db.read() as session:
        names = session.scalars(select(User.username).where(User.role.in_(_list_roles()))).all()
    assert {"begleiter1", "begleiter2", "leitung"} <= set(names)
    seen = _same_as_kpis(world.db, [world.actor(n) for n in names])
    assert any(f["overdue_next_steps"] for f in seen)


def test_the_case_lists_figures_are_the_kpis_on_synthetic_data(db: Database) -> None:
    generate(db, cases=400, seed=3, companions=6, progress=lambda *_: None)
    with db.write() as session:  # two interviews whose day passed without an outcome ("Ergebnis fehlt")
        planned = session.scalars(select(Case).where(Case.status == CaseStatus.INTERVIEW_PLANNED)
                                  .order_by(Case.id).limit(2)).all()
        for case in planned:
            case.first_interview_at = datetime.combine(today() - timedelta(days=3), time(9))
    with db.read() as session:
        users = session.scalars(select(User).where(User.role.in_(_list_roles()))).all()
        actors = [Actor.of(u) for u in users]
    seen = _same_as_kpis(db, actors)
    for key in CASE_LIST_KEYS:  # every figure and the planned-less-missing rule exercised
        assert any(f[key] for f in seen), key
