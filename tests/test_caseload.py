"""The case list and the case detail, as each role sees them."""

from __future__ import annotations

import pytest

from db.casework.caseload import CaseFilter, case_detail, caseload
from db.errors import PermissionDenied
from db.vocabulary import Barrier, CaseStatus

from .conftest import World
from .helpers import audit_count


def test_lead_sees_all_demo_cases_paginated(world: World) -> None:
    lead = world.actor("leitung")
    first = caseload(world.db, lead, limit=10)
    second = caseload(world.db, lead, limit=10, offset=10)
    assert first.total == second.total == 34
    assert len(first.rows) == len(second.rows) == 10
    assert not {r.case_id for r in first.rows} & {r.case_id for r in second.rows}


def test_status_filter_and_overdue(world: World) -> None:
    lead = world.actor("leitung")
    active = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)))
    overdue = caseload(world.db, lead, CaseFilter(overdue_only=True))
    assert active.total == 11
    # Two overdue next steps and yesterday's interview without an outcome.
    assert overdue.total == 3 and all(r.overdue or r.outcome_missing for r in overdue.rows)
    assert sum(r.outcome_missing for r in overdue.rows) == 1


def test_barrier_filter_counts_open_barriers(world: World) -> None:
    rows = caseload(world.db, world.actor("leitung"), CaseFilter(barrier=Barrier.NO_DRIVING_LICENCE))
    assert rows.total == 7


@pytest.mark.parametrize("needle", ["%", "_", "' OR 1=1 --", "\\"])
def test_search_text_is_data_not_sql(world: World, needle: str) -> None:
    assert caseload(world.db, world.actor("leitung"), CaseFilter(search=needle)).total == 0


def test_search_by_name_and_client_number(world: World) -> None:
    lead = world.actor("leitung")
    by_number = caseload(world.db, lead, CaseFilter(search="demo-1001"))
    assert [r.client_number for r in by_number.rows] == ["DEMO-1001"]
    by_name = caseload(world.db, lead, CaseFilter(search=by_number.rows[0].client_name.upper()))
    assert by_number.rows[0].case_id in {r.case_id for r in by_name.rows}


def test_companion_sees_own_cases_and_unassigned_referrals_only(world: World) -> None:
    own = caseload(world.db, world.actor("begleiter1"), limit=100)
    newcomer = caseload(world.db, world.actor("begleiter2"), limit=100)
    assert own.total == 34  # 31 own + 3 unassigned referrals
    assert newcomer.total == 3
    assert {r.status for r in newcomer.rows} == {CaseStatus.REFERRED}


def test_case_manager_sees_own_referrals_without_notes(world: World) -> None:
    rows = caseload(world.db, world.actor("fallmanager1"), limit=100).rows
    assert rows and all(r.next_step is None for r in rows)


@pytest.mark.parametrize("username", ["kreistag", "admin"])
def test_council_and_admin_get_no_personal_list(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        caseload(world.db, world.actor(username))


def test_viewing_a_case_is_audited(world: World) -> None:
    lead = world.actor("leitung")
    case_id = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0].case_id
    before = audit_count(world.db, action="view", entity="case", entity_id=case_id)
    detail = case_detail(world.db, lead, case_id)
    assert audit_count(world.db, action="view", entity="case", entity_id=case_id) == before + 1
    assert detail.timeline and detail.barriers and detail.notes_visible


def test_case_manager_detail_hides_notes_and_health_barriers(world: World) -> None:
    fm = world.actor("fallmanager1")
    rows = caseload(world.db, fm, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=100).rows
    assert rows
    for row in rows:
        detail = case_detail(world.db, fm, row.case_id)
        assert detail.notes_visible is False and detail.next_step is None and detail.phone is None
        assert all(e.kind == "status" for e in detail.timeline)
        assert not {b.barrier for b in detail.barriers} & {Barrier.ADDICTION, Barrier.HEALTH}


def test_companion_cannot_open_another_companions_case(world: World) -> None:
    case_id = caseload(world.db, world.actor("leitung"), CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0].case_id
    with pytest.raises(PermissionDenied):
        case_detail(world.db, world.actor("begleiter2"), case_id)


def test_timeline_is_newest_first_also_within_a_day(world: World) -> None:
    from db.casework.activities import record_activity
    from db.vocabulary import ActivityKind

    lead = world.actor("leitung")
    case_id = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0].case_id
    record_activity(world.db, lead, case_id, ActivityKind.PHONE, note="erst")
    record_activity(world.db, lead, case_id, ActivityKind.PHONE, note="dann", duration_minutes=15)
    timeline = case_detail(world.db, lead, case_id).timeline
    assert [e.note for e in timeline[:2]] == ["dann", "erst"]
    # Each entry as the page shows it: what, how long, by whom.
    newest = timeline[0]
    assert (newest.kind, newest.title, newest.duration_minutes, newest.by) == (
        "activity", ActivityKind.PHONE.label, 15, lead.display_name)
    assert any(e.kind == "status" and e.title.startswith("Status: ") for e in timeline)
    keys = [(e.on, e.recorded_at) for e in timeline]
    assert keys == sorted(keys, reverse=True)


def test_the_list_opens_with_what_needs_doing_first(world: World) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from db.store.models import Case
    from db.casework.workflow import OPEN_STATUSES

    lead = world.actor("leitung")
    everything = caseload(world.db, lead, limit=500).rows
    # The case referred longest ago – last under "newest referral first" – gets a step due
    # yesterday (written directly: the service refuses a due day in the past, rightly).
    oldest = min((r for r in everything if r.status in (CaseStatus.ACTIVE, CaseStatus.EMPLOYED)),
                 key=lambda r: (r.referred_on, r.case_id))
    with world.db.write() as session:
        session.execute(update(Case).where(Case.id == oldest.case_id)
                        .values(next_step="Anruf Arbeitgeber", next_step_due=world.today - timedelta(days=1)))
    rows = caseload(world.db, lead, limit=500).rows
    attention = [r.overdue or r.outcome_missing for r in rows]
    assert attention[0] and oldest.case_id in {r.case_id for r, a in zip(rows, attention) if a}
    assert attention == sorted(attention, reverse=True)  # every one that needs doing comes first
    # Then open next steps by due day, the earliest first.
    due = [r.next_step_due for r, a in zip(rows, attention)
           if not a and r.next_step_due and r.status in OPEN_STATUSES]
    assert due == sorted(due)
    # The first page of 25 shows it, however many cases were referred later.
    assert oldest.case_id in {r.case_id for r in caseload(world.db, lead, limit=25).rows}
