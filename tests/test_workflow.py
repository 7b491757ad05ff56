"""The status model: every allowed transition works, forbidden ones change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from db.casework.cases import NewPlacement, change_status, schedule_first_interview
from db.errors import TransitionError, ValidationError
from db.store.models import Activity, Placement, StatusChange
from db.vocabulary import CaseStatus, EndReason
from db.casework.workflow import TRANSITIONS, allowed_next

from .conftest import World
from .helpers import any_employer, audit_count, case_in, load_case, move

ALLOWED = [(src, dst) for src, targets in TRANSITIONS.items() for dst in targets]
FORBIDDEN = [
    (CaseStatus.REFERRED, CaseStatus.ACTIVE),
    (CaseStatus.REFERRED, CaseStatus.EMPLOYED),
    (CaseStatus.INTERVIEW_PLANNED, CaseStatus.EMPLOYED),
    (CaseStatus.ACTIVE, CaseStatus.REFERRED),
    (CaseStatus.ACTIVE, CaseStatus.NO_SHOW),
    (CaseStatus.CLOSED, CaseStatus.ACTIVE),
    (CaseStatus.DECLINED, CaseStatus.REFERRED),
    (CaseStatus.EMPLOYED, CaseStatus.INTERVIEW_PLANNED),
]


def _case(world: World, status: CaseStatus) -> tuple[int, int]:
    return case_in(
        world.db,
        world.actor("leitung"),
        status,
        companion_id=world.user_id("begleiter1"),
        case_manager_id=world.user_id("fallmanager1"),
    )


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=lambda s: s.value)
def test_every_allowed_transition(world: World, source: CaseStatus, target: CaseStatus) -> None:
    case_id, version = _case(world, source)
    lead = world.actor("leitung")

    new_version = move(world.db, lead, case_id, version, target)

    case = load_case(world.db, case_id)
    assert case.status == target
    assert new_version == case.version > version
    with world.db.read() as session:
        last = session.query(StatusChange).filter_by(case_id=case_id).order_by(StatusChange.id.desc()).first()
        assert (last.from_status, last.to_status) == (source, target)


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=lambda s: s.value)
def test_forbidden_transition_changes_nothing(world: World, source: CaseStatus, target: CaseStatus) -> None:
    assert target not in allowed_next(source)
    case_id, version = _case(world, source)
    audits_before = audit_count(world.db)

    with pytest.raises(TransitionError) as err:
        change_status(world.db, world.actor("leitung"), case_id, version, target, end_reason=EndReason.OTHER)

    assert source.label in err.value.message and target.label in err.value.message
    case = load_case(world.db, case_id)
    assert (case.status, case.version) == (source, version)
    assert audit_count(world.db) == audits_before


def test_held_interview_starts_accompaniment_and_logs_the_interview(world: World) -> None:
    case_id, version = _case(world, CaseStatus.INTERVIEW_PLANNED)
    planned = load_case(world.db, case_id).first_interview_at.date()
    # Accompaniment does not begin before its first interview (db/casework/rules.py): held
    # earlier than planned, the appointment is moved first.
    with pytest.raises(ValidationError, match="„Begleitung seit“ .* liegt vor „Erstgespräch am“"):
        change_status(world.db, world.actor("begleiter1"), case_id, version, CaseStatus.ACTIVE,
                      on=planned - timedelta(days=1))
    held = planned

    change_status(world.db, world.actor("begleiter1"), case_id, version, CaseStatus.ACTIVE, on=held)

    case = load_case(world.db, case_id)
    assert case.start_date == held
    with world.db.read() as session:
        kinds = [a.kind.value for a in session.query(Activity).filter_by(case_id=case_id)]
    assert kinds == ["first_interview"]


def test_closing_needs_an_end_reason(world: World) -> None:
    case_id, version = _case(world, CaseStatus.ACTIVE)
    with pytest.raises(ValidationError) as err:
        change_status(world.db, world.actor("leitung"), case_id, version, CaseStatus.CLOSED)
    assert err.value.field == "end_reason"
    assert load_case(world.db, case_id).status == CaseStatus.ACTIVE


def test_job_start_needs_an_employer(world: World) -> None:
    case_id, version = _case(world, CaseStatus.ACTIVE)
    with pytest.raises(ValidationError) as err:
        change_status(
            world.db, world.actor("leitung"), case_id, version, CaseStatus.EMPLOYED,
            placement=NewPlacement(employer_id=None, start_date=world.today),
        )
    assert err.value.field == "employer"
    with world.db.read() as session:
        assert session.query(Placement).filter_by(case_id=case_id).count() == 0


def test_job_start_needs_its_kind(world: World) -> None:
    """No default kind: a Minijob saved as full-time would count as work in the rate."""
    case_id, version = _case(world, CaseStatus.ACTIVE)
    with pytest.raises(ValidationError) as err:
        change_status(world.db, world.actor("leitung"), case_id, version, CaseStatus.EMPLOYED,
                      placement=NewPlacement(employer_id=any_employer(world.db), start_date=world.today))
    assert err.value.field == "job_kind" and "Art der Stelle" in err.value.message
    assert load_case(world.db, case_id).status == CaseStatus.ACTIVE
    with world.db.read() as session:
        assert session.query(Placement).filter_by(case_id=case_id).count() == 0


def test_lost_job_returns_to_accompaniment_and_ends_the_placement(world: World) -> None:
    case_id, version = _case(world, CaseStatus.EMPLOYED)
    change_status(world.db, world.actor("leitung"), case_id, version, CaseStatus.ACTIVE)
    with world.db.read() as session:
        placement = session.query(Placement).filter_by(case_id=case_id).one()
    assert placement.end_date == world.today


def test_first_interview_cannot_be_before_the_referral(world: World) -> None:
    case_id, version = _case(world, CaseStatus.REFERRED)
    from datetime import datetime

    too_early = datetime.combine(world.today - timedelta(days=60), datetime.min.time())
    with pytest.raises(ValidationError) as err:
        schedule_first_interview(world.db, world.actor("leitung"), case_id, version, too_early)
    assert err.value.field == "first_interview_at"
    assert load_case(world.db, case_id).status == CaseStatus.REFERRED


def test_status_date_in_the_future_is_refused(world: World) -> None:
    case_id, version = _case(world, CaseStatus.ACTIVE)
    with pytest.raises(ValidationError):
        change_status(
            world.db, world.actor("leitung"), case_id, version, CaseStatus.CLOSED,
            end_reason=EndReason.MOVED, on=date.today() + timedelta(days=5),
        )
    assert load_case(world.db, case_id).status == CaseStatus.ACTIVE
