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


def _history_read_apart(world: World, actor, case_id: int):  # type: ignore[no-untyped-def]
    """What the case page derives from a case's history, read kind by kind with the ORM and
    undoable_change – as case_detail did before it read the history in one query (issue 42)."""
    from sqlalchemy import select

    from db.casework.corrections import undoable_change
    from db.store.models import Activity, Case, ExitOutcome, StatusChange, User
    from db.vocabulary import ActivityKind, ExitResult

    with world.db.read() as session:
        case = session.get_one(Case, case_id)
        names = {user_id: name for user_id, name in session.execute(select(User.id, User.display_name))}
        changes = session.scalars(select(StatusChange).where(StatusChange.case_id == case_id)).all()
        entries = [(s.changed_on, s.changed_at, "status", f"Status: {s.to_status.label}", s.reason,
                    names.get(s.changed_by_id), None) for s in changes]
        referral = min((s for s in changes if s.from_status is None), key=lambda s: s.id, default=None)
        undo = last_employer = None
        if case_detail(world.db, actor, case_id, new_view=False).notes_visible:
            activities = session.scalars(select(Activity).where(Activity.case_id == case_id)).all()
            entries += [(a.occurred_on, a.created_at, "activity", ActivityKind(a.kind).label, a.note,
                         names.get(a.created_by_id), a.duration_minutes) for a in activities]
            entries += [(o.occurred_on, o.recorded_at, "result", f"Verbleib: {ExitResult(o.result).label}", None,
                         names.get(o.recorded_by_id), None)
                        for o in session.scalars(select(ExitOutcome).where(ExitOutcome.case_id == case_id))]
            latest = max((a for a in activities if a.employer_id is not None),
                         key=lambda a: (a.occurred_on, a.id), default=None)
            last_employer = latest.employer_id if latest else None
            change = undoable_change(session, actor, case)
            undo = change.to_status.label if change else None
    return (sorted(entries, key=repr), referral.reason if referral else None, last_employer, undo)


def _history_shown(world: World, actor, case_id: int):  # type: ignore[no-untyped-def]
    detail = case_detail(world.db, actor, case_id, new_view=False)
    keys = [(e.on, e.recorded_at) for e in detail.timeline]
    assert keys == sorted(keys, reverse=True)
    entries = [(e.on, e.recorded_at, e.kind, e.title, e.note, e.by, e.duration_minutes) for e in detail.timeline]
    return (sorted(entries, key=repr), detail.referral_note, detail.last_employer_id, detail.undo_label)


def test_the_history_read_in_one_query_shows_what_the_reads_kind_by_kind_showed(world: World) -> None:
    """Timeline, referral note, latest employer and the undo button of every demo case, for a
    reader of the notes and for the case manager who does not read them; then after a status
    change of today (undoable by its author only) and after its undo."""
    from db.casework.cases import change_status
    from db.casework.corrections import undo_status_change
    from db.vocabulary import EndReason, ExitResult

    lead, fm, companion = world.actor("leitung"), world.actor("fallmanager1"), world.actor("begleiter1")
    rows = caseload(world.db, lead, limit=500).rows
    for row in rows:
        for actor in (lead, fm):
            try:
                assert _history_shown(world, actor, row.case_id) == _history_read_apart(world, actor, row.case_id)
            except PermissionDenied:
                assert actor is fm
    mine = caseload(world.db, companion, CaseFilter(statuses=(CaseStatus.ACTIVE,))).rows[0]
    version = change_status(world.db, companion, mine.case_id, mine.version, CaseStatus.CLOSED,
                            end_reason=EndReason.OTHER, exit_result=ExitResult.JOB_SEEKING)
    shown = _history_shown(world, companion, mine.case_id)
    assert shown == _history_read_apart(world, companion, mine.case_id)
    assert shown[3] == CaseStatus.CLOSED.label  # the author may take it back today
    assert _history_shown(world, lead, mine.case_id)[3] is None  # nobody else
    assert _history_shown(world, lead, mine.case_id) == _history_read_apart(world, lead, mine.case_id)
    undo_status_change(world.db, companion, mine.case_id, version)
    shown = _history_shown(world, companion, mine.case_id)
    assert shown == _history_read_apart(world, companion, mine.case_id) and shown[3] is None
