"""The demo world reproduces the article's situation relative to today."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from db.actors import Actor
from db.demo.seed import next_on_or_after, seed_demo
from db.errors import DomainError
from db.figures.kpis import kpis
from db.store.models import Case, CaseBarrier, OfficeHourLocation, Position, User
from db.vocabulary import Barrier, CaseStatus, LocationStatus, PositionState, ReferralSource, Role

from .conftest import World


def test_eleven_active_cases_and_nineteen_planned_first_interviews(world: World) -> None:
    figures = kpis(world.db, Actor.system())
    assert figures.active_cases == 11
    assert figures.planned_first_interviews == 19


def test_planned_interviews_lie_in_the_coming_days(world: World) -> None:
    with world.db.read() as session:
        times = session.scalars(
            select(Case.first_interview_at).where(Case.status == CaseStatus.INTERVIEW_PLANNED)
        ).all()
    start = datetime.combine(world.today + timedelta(days=1), datetime.min.time())
    coming = [t for t in times if t >= start]
    assert len(coming) == 19
    assert all(t <= start + timedelta(days=14) for t in coming)
    # And yesterday's, whose outcome nobody entered yet ("Ergebnis fehlt").
    assert [t.date() for t in times if t < start] == [world.today - timedelta(days=1)]


def test_staff_one_working_one_starting_two_funded_from_april(world: World) -> None:
    figures = kpis(world.db, Actor.system())
    assert (figures.companions_working, figures.companions_starting) == (1, 1)
    assert (figures.positions_total, figures.positions_open) == (4, 2)
    with world.db.read() as session:
        open_positions = session.scalars(select(Position).where(Position.holder_id.is_(None))).all()
        case_managers = session.query(User).filter_by(role=Role.CASE_MANAGER).count()
    april = next_on_or_after(world.today, 4, 1)
    assert [(p.state, p.funded_from) for p in open_positions] == [(PositionState.ADVERTISED, april)] * 2
    assert case_managers >= 2


def test_every_demo_account_exists_and_is_flagged_as_demo(world: World) -> None:
    with world.db.read() as session:
        accounts = {u.username: (u.role, u.is_demo) for u in session.query(User)}
    for username, role in [
        ("admin", Role.ADMIN), ("leitung", Role.LEAD), ("begleiter1", Role.COMPANION),
        ("begleiter2", Role.COMPANION), ("fallmanager1", Role.CASE_MANAGER),
        ("fallmanager2", Role.CASE_MANAGER), ("kreistag", Role.COUNCIL),
    ]:
        assert accounts[username] == (role, True)


def test_office_hours_guben_forst_running_spremberg_from_26_february_cottbus_planned(world: World) -> None:
    with world.db.read() as session:
        places = {loc.town: loc for loc in session.query(OfficeHourLocation)}
    assert places["Guben"].status == places["Forst (Lausitz)"].status == LocationStatus.RUNNING
    spremberg = places["Spremberg"]
    assert spremberg.status == LocationStatus.PLANNED and spremberg.venue == "Kulturschloss Spremberg"
    assert (spremberg.start_date.month, spremberg.start_date.day) == (2, 26)
    assert spremberg.start_date >= world.today
    assert places["Cottbus"].status == LocationStatus.PLANNED and places["Cottbus"].start_date is None


def test_missing_driving_licence_is_the_most_frequent_barrier(world: World) -> None:
    with world.db.read() as session:
        counts = Counter(session.scalars(select(CaseBarrier.barrier)))
    (top, top_count), (_, second_count) = counts.most_common(2)
    assert top == Barrier.NO_DRIVING_LICENCE and top_count > second_count


def test_both_referral_sources_occur(world: World) -> None:
    with world.db.read() as session:
        sources = set(session.scalars(select(Case.referral_source)))
    assert sources == {ReferralSource.CASE_MANAGER, ReferralSource.CLIENT_REQUEST}


def test_seeding_refuses_a_database_that_holds_data(world: World) -> None:
    with pytest.raises(DomainError):
        seed_demo(world.db)
    assert kpis(world.db, Actor.system()).active_cases == 11


def test_next_on_or_after() -> None:
    assert next_on_or_after(date(2026, 11, 25), 2, 26) == date(2027, 2, 26)
    assert next_on_or_after(date(2027, 2, 26), 2, 26) == date(2027, 2, 26)
    assert next_on_or_after(date(2027, 1, 10), 4, 1) == date(2027, 4, 1)
