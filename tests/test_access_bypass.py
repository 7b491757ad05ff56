"""Access bypass: somebody else's case id handed to every service that takes one is refused,
the attempt is audited, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from db.casework.activities import record_activity
from db.casework.barriers import add_barrier
from db.casework.caseload import CaseFilter, case_detail, caseload
from db.casework.cases import NewPlacement, assign_companion, change_status, schedule_first_interview, set_next_step
from db.errors import PermissionDenied
from db.store.models import AuditEntry, Case
from db.vocabulary import ActivityKind, Barrier, CaseStatus

from .conftest import World

CALLS: dict[str, Callable] = {
    "case_detail": lambda db, a, c, v: case_detail(db, a, c),
    "record_activity": lambda db, a, c, v: record_activity(db, a, c, ActivityKind.HOME_VISIT, note="x"),
    "add_barrier": lambda db, a, c, v: add_barrier(db, a, c, Barrier.DEBT),
    "set_next_step": lambda db, a, c, v: set_next_step(db, a, c, v, "x", None),
    "change_status": lambda db, a, c, v: change_status(db, a, c, v, CaseStatus.EMPLOYED,
                                                       placement=NewPlacement(None, date.today())),
    "schedule_first_interview": lambda db, a, c, v: schedule_first_interview(
        db, a, c, v, datetime.combine(date.today() + timedelta(days=1), time(10))),
    "assign_companion": lambda db, a, c, v: assign_companion(db, a, c, v, a.id,
                                                           over_capacity_confirmed=True),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("username", ["begleiter2", "fallmanager3", "kreistag", "admin"])
def test_another_persons_case_is_refused_and_the_attempt_audited(world: World, call: str,
                                                                 username: str) -> None:
    owner = world.actor("begleiter1")
    row = caseload(world.db, owner, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    with world.db.read() as session:
        before = session.get_one(Case, row.case_id)
        if username == "fallmanager3" and before.case_manager_id == world.user_id("fallmanager3"):
            pytest.skip("this case manager referred the case")  # may read it, by design
        state = (before.status, before.version, before.next_step)
    intruder = world.actor(username)
    with pytest.raises(PermissionDenied):
        CALLS[call](world.db, intruder, row.case_id, row.version)
    with world.db.read() as session:
        after = session.get_one(Case, row.case_id)
        assert (after.status, after.version, after.next_step) == state
        denied = session.scalars(select(AuditEntry).where(AuditEntry.action.in_(("denied", "view")),
                                                          AuditEntry.username == username)).all()
    assert [(d.action, d.entity, d.entity_id) for d in denied] == [("denied", "case", row.case_id)]
