"""Logging contacts on a case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.casework.activities import record_activity
from db.errors import PermissionDenied, ValidationError
from db.store.models import Activity
from db.vocabulary import ActivityKind, CaseStatus

from .conftest import World
from .helpers import audit_count, case_in


def _case(world: World, companion: str = "begleiter1") -> int:
    case_id, _ = case_in(
        world.db, world.actor("leitung"), CaseStatus.ACTIVE,
        companion_id=world.user_id(companion), case_manager_id=world.user_id("fallmanager1"),
    )
    return case_id


def test_companion_logs_a_home_visit(world: World) -> None:
    case_id = _case(world)
    before = audit_count(world.db, entity="activity")
    activity_id = record_activity(
        world.db, world.actor("begleiter1"), case_id, ActivityKind.HOME_VISIT,
        duration_minutes=60, note="Gespräch zu Hause, <b>kein</b> HTML",
    )
    with world.db.read() as session:
        activity = session.get_one(Activity, activity_id)
    assert (activity.kind, activity.occurred_on, activity.duration_minutes) == (
        ActivityKind.HOME_VISIT, world.today, 60)
    assert activity.note == "Gespräch zu Hause, <b>kein</b> HTML"  # stored as typed, escaped on display
    assert audit_count(world.db, entity="activity") == before + 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration_minutes": 0}, "duration"),
        ({"duration_minutes": 5000}, "duration"),
        ({"note": "x" * 5000}, "note"),
    ],
)
def test_bad_contact_input_is_refused(world: World, kwargs: dict[str, object], field: str) -> None:
    case_id = _case(world)
    before = audit_count(world.db)
    with pytest.raises(ValidationError) as err:
        record_activity(world.db, world.actor("begleiter1"), case_id, ActivityKind.PHONE, **kwargs)
    assert err.value.field == field
    assert audit_count(world.db) == before


def test_contact_date_in_future_or_before_referral_is_refused(world: World) -> None:
    case_id = _case(world)
    actor = world.actor("begleiter1")
    with pytest.raises(ValidationError):
        record_activity(world.db, actor, case_id, ActivityKind.PHONE,
                        occurred_on=world.today + timedelta(days=1))
    with pytest.raises(ValidationError):
        record_activity(world.db, actor, case_id, ActivityKind.PHONE,
                        occurred_on=world.today - timedelta(days=400))


def test_unknown_contact_type_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        record_activity(world.db, world.actor("begleiter1"), _case(world), "picknick")  # type: ignore[arg-type]


def test_a_first_interview_is_not_logged_by_hand(world: World) -> None:
    """Only the status change (and the import) writes the "Erstgespräch" contact, once per
    interview: the council's figures count interviews once (db.figures.identities)."""
    before = audit_count(world.db, entity="activity")
    with pytest.raises(ValidationError, match="über den Status"):
        record_activity(world.db, world.actor("begleiter1"), _case(world), ActivityKind.FIRST_INTERVIEW)
    assert audit_count(world.db, entity="activity") == before  # nothing written


@pytest.mark.parametrize("username", ["begleiter2", "fallmanager1", "kreistag", "admin"])
def test_only_the_cases_companion_or_a_lead_logs_contacts(world: World, username: str) -> None:
    case_id = _case(world)
    with pytest.raises(PermissionDenied):
        record_activity(world.db, world.actor(username), case_id, ActivityKind.PHONE)
