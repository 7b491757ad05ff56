"""Barriers per case from the catalogue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.casework.barriers import add_barrier, resolve_barrier
from db.casework.cases import refer_client
from db.errors import ValidationError
from db.store.models import CaseBarrier
from db.vocabulary import Barrier, CaseStatus

from .conftest import World
from .helpers import case_in, new_client


def _case(world: World) -> int:
    case_id, _ = case_in(
        world.db, world.actor("leitung"), CaseStatus.ACTIVE,
        companion_id=world.user_id("begleiter1"), case_manager_id=world.user_id("fallmanager1"),
    )
    return case_id


def test_add_and_resolve_a_barrier(world: World) -> None:
    case_id = _case(world)
    actor = world.actor("begleiter1")
    barrier_id = add_barrier(world.db, actor, case_id, Barrier.NO_DRIVING_LICENCE)
    resolve_barrier(world.db, actor, barrier_id)
    with world.db.read() as session:
        row = session.get_one(CaseBarrier, barrier_id)
    assert (row.barrier, row.noted_on, row.resolved_on) == (
        Barrier.NO_DRIVING_LICENCE, world.today, world.today)


def test_the_same_open_barrier_is_not_recorded_twice(world: World) -> None:
    case_id = _case(world)
    actor = world.actor("begleiter1")
    first = add_barrier(world.db, actor, case_id, Barrier.DEBT)
    with pytest.raises(ValidationError):
        add_barrier(world.db, actor, case_id, Barrier.DEBT)
    resolve_barrier(world.db, actor, first)
    add_barrier(world.db, actor, case_id, Barrier.DEBT)  # it came back: a new entry is fine


def test_resolving_twice_is_refused(world: World) -> None:
    case_id = _case(world)
    actor = world.actor("begleiter1")
    barrier_id = add_barrier(world.db, actor, case_id, Barrier.HOUSING)
    resolve_barrier(world.db, actor, barrier_id)
    with pytest.raises(ValidationError):
        resolve_barrier(world.db, actor, barrier_id)


def test_a_barrier_is_not_noted_before_the_referral(world: World) -> None:
    """The event order of every way in (db/casework/rules.py): nothing of a case before its
    referral – a barrier dated earlier broke the council's "year = Σ its quarters"."""
    companion = world.actor("leitung")  # may edit every case
    case_id = refer_client(world.db, world.actor("fallmanager1"), client=new_client(),
                           referred_on=world.today - timedelta(days=10))
    with pytest.raises(ValidationError, match="Festgestellt am.*nicht vor der Zuweisung"):
        add_barrier(world.db, companion, case_id, Barrier.DEBT, noted_on=world.today - timedelta(days=11))
    assert add_barrier(world.db, companion, case_id, Barrier.DEBT, noted_on=world.today - timedelta(days=10))
