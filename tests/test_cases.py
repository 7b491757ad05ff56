"""Referral, assignment, next steps, client data: one transaction each, audited, version-checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import db.casework.cases as cases_module
from db.casework.cases import (
    CapacityWarning,
    assign_companion,
    change_status,
    refer_client,
    set_next_step,
    update_client,
)
from db.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from db.store.models import AuditEntry, Case, Client, StatusChange
from db.vocabulary import CaseStatus, EndReason, ReferralSource

from .conftest import World
from .helpers import audit_count, case_in, load_case, new_client, part_time


def _active_case(world: World) -> tuple[int, int]:
    return case_in(
        world.db, world.actor("leitung"), CaseStatus.ACTIVE,
        companion_id=world.user_id("begleiter1"), case_manager_id=world.user_id("fallmanager1"),
    )


def test_referral_by_a_case_manager_is_in_their_name_and_audited(world: World) -> None:
    fm = world.actor("fallmanager2")
    case_id = refer_client(
        world.db, fm, client=new_client(client_number="K-777"),
        source=ReferralSource.CLIENT_REQUEST, note="Wünscht Unterstützung bei Bewerbungen",
    )
    case = load_case(world.db, case_id)
    assert case.case_manager_id == fm.id
    assert case.status == CaseStatus.REFERRED
    assert case.referral_source == ReferralSource.CLIENT_REQUEST
    assert case.companion_id is None
    with world.db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.user_id == fm.id).order_by(AuditEntry.id)
        ).all()
        history = session.scalars(select(StatusChange).where(StatusChange.case_id == case_id)).all()
    assert [(e.action, e.entity) for e in entries] == [("create", "client"), ("create", "case")]
    assert [(h.to_status, h.reason) for h in history] == [
        (CaseStatus.REFERRED, "Wünscht Unterstützung bei Bewerbungen")
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"client_number": "  "}, "client_number"),
        ({"last_name": ""}, "last_name"),
        ({"town": "x" * 500}, "town"),
        ({"birth_year": 1850}, "birth_year"),
    ],
)
def test_bad_client_data_is_refused_and_nothing_is_written(
    world: World, overrides: dict[str, object], field: str
) -> None:
    before = audit_count(world.db)
    with pytest.raises(ValidationError) as err:
        refer_client(world.db, world.actor("fallmanager1"), client=new_client(**overrides))
    assert err.value.field == field
    assert audit_count(world.db) == before


def test_duplicate_client_number_is_refused(world: World) -> None:
    fm = world.actor("fallmanager1")
    refer_client(world.db, fm, client=new_client(client_number="DUP-1"))
    with pytest.raises(ValidationError) as err:
        refer_client(world.db, fm, client=new_client(client_number="DUP-1"))
    assert "bereits vergeben" in err.value.message
    with world.db.read() as session:
        assert session.query(Client).filter_by(client_number="DUP-1").count() == 1


def test_a_client_with_an_open_case_cannot_be_referred_again(world: World) -> None:
    case_id, _ = _active_case(world)
    client_id = load_case(world.db, case_id).client_id
    with pytest.raises(ValidationError):
        refer_client(world.db, world.actor("fallmanager1"), client_id=client_id)


def test_a_closed_client_can_be_referred_again(world: World) -> None:
    case_id, version = _active_case(world)
    change_status(world.db, world.actor("leitung"), case_id, version, CaseStatus.CLOSED,
                  end_reason=EndReason.MOVED)
    client_id = load_case(world.db, case_id).client_id
    second = refer_client(world.db, world.actor("fallmanager1"), client_id=client_id)
    assert load_case(world.db, second).client_id == client_id


def test_stale_edit_gets_a_conflict_and_the_first_save_stays(world: World) -> None:
    case_id, version = _active_case(world)
    lead, companion = world.actor("leitung"), world.actor("begleiter1")
    # Both load version `version`; the companion saves first.
    set_next_step(world.db, companion, case_id, version, "Bewerbung abschicken", world.today)

    with pytest.raises(ConflictError) as err:
        set_next_step(world.db, lead, case_id, version, "Etwas anderes", None)

    assert "Bianca Begleitmann (Demo)" in err.value.message
    assert err.value.changed_by == "Bianca Begleitmann (Demo)"
    case = load_case(world.db, case_id)
    assert (case.next_step, case.next_step_due) == ("Bewerbung abschicken", world.today)


def test_stale_status_change_gets_a_conflict(world: World) -> None:
    case_id, version = _active_case(world)
    lead = world.actor("leitung")
    change_status(world.db, lead, case_id, version, CaseStatus.CLOSED, end_reason=EndReason.MOVED)
    with pytest.raises(ConflictError):
        change_status(world.db, lead, case_id, version, CaseStatus.CLOSED, end_reason=EndReason.OTHER)
    assert load_case(world.db, case_id).end_reason == EndReason.MOVED


def test_each_change_writes_one_audit_entry_naming_the_changed_fields(world: World) -> None:
    case_id, version = _active_case(world)
    before = audit_count(world.db, entity="case", entity_id=case_id)
    set_next_step(world.db, world.actor("begleiter1"), case_id, version, "Anruf", world.today)
    with world.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == case_id, AuditEntry.entity == "case")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert audit_count(world.db, entity="case", entity_id=case_id) == before + 1
    assert entry.username == "begleiter1" and entry.action == "update"
    # Which field changed, not its text (the log is append-only and outlives an erasure).
    assert entry.changes["next_step"] == "geändert" and "Anruf" not in str(entry.changes)


def test_a_failure_after_the_audit_write_rolls_back_change_and_audit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, version = _active_case(world)
    before = audit_count(world.db)
    real_audit = cases_module.audit

    def audit_then_fail(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_audit(session, *args, **kwargs)
        session.flush()  # the audit row and the status change are in the database now …
        raise RuntimeError("disk full")  # … and then the transaction fails

    monkeypatch.setattr(cases_module, "audit", audit_then_fail)
    with pytest.raises(RuntimeError):
        change_status(world.db, world.actor("leitung"), case_id, version, CaseStatus.CLOSED,
                      end_reason=EndReason.MOVED)

    case = load_case(world.db, case_id)
    assert (case.status, case.version) == (CaseStatus.ACTIVE, version)
    assert audit_count(world.db) == before
    with world.db.read() as session:
        assert session.query(StatusChange).filter_by(case_id=case_id, to_status=CaseStatus.CLOSED).count() == 0


def test_companion_may_pick_up_an_unassigned_referral_but_not_give_it_away(world: World) -> None:
    fm = world.actor("fallmanager1")
    case_id = refer_client(world.db, fm, client=new_client())
    companion = world.actor("begleiter1")
    with pytest.raises(PermissionDenied):
        assign_companion(world.db, companion, case_id, 1, world.user_id("begleiter2"))
    part_time(world.db, "begleiter1", 11)  # 11 participants in the demo: full
    with pytest.raises(CapacityWarning, match="11 Teilnehmende bei Kapazität 11"):
        assign_companion(world.db, companion, case_id, 1, companion.id)
    version = assign_companion(world.db, companion, case_id, 1, companion.id,
                               over_capacity_confirmed=True)
    assert load_case(world.db, case_id).companion_id == companion.id
    assert version == 2


def test_assigning_to_a_non_companion_is_refused(world: World) -> None:
    case_id = refer_client(world.db, world.actor("fallmanager1"), client=new_client())
    with pytest.raises(ValidationError):
        assign_companion(world.db, world.actor("leitung"), case_id, 1, world.user_id("kreistag"))


def test_companion_cannot_change_another_companions_case(world: World) -> None:
    case_id, version = case_in(
        world.db, world.actor("leitung"), CaseStatus.ACTIVE,
        companion_id=world.user_id("begleiter2"), case_manager_id=world.user_id("fallmanager1"),
    )
    with pytest.raises(PermissionDenied):
        set_next_step(world.db, world.actor("begleiter1"), case_id, version, "x", None)


def test_unknown_case_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        set_next_step(world.db, world.actor("leitung"), 999_999, 1, "x", None)


def test_client_data_edit_is_version_checked(world: World) -> None:
    case_id, _ = _active_case(world)
    case = load_case(world.db, case_id)
    with world.db.read() as session:
        client = session.get_one(Client, case.client_id)
    companion = world.actor("begleiter1")
    changed = new_client(client_number=client.client_number, first_name="Erika", last_name="Neu")
    new_version = update_client(world.db, companion, client.id, client.version, changed)
    assert new_version == client.version + 1
    with pytest.raises(ConflictError):
        update_client(world.db, companion, client.id, client.version,
                      new_client(client_number=client.client_number, last_name="Alt"))
    with world.db.read() as session:
        assert session.get_one(Client, client.id).last_name == "Neu"


def test_nested_service_calls_are_all_or_nothing(world: World) -> None:
    """An import runs many service calls in one transaction: one failure undoes all."""
    fm = world.actor("fallmanager1")
    with world.db.read() as session:
        cases_before = session.query(Case).count()
    with pytest.raises(ValidationError):
        with world.db.write():
            refer_client(world.db, fm, client=new_client(client_number="BATCH-1"))
            refer_client(world.db, fm, client=new_client(client_number="BATCH-1"))
    with world.db.read() as session:
        assert session.query(Case).count() == cases_before
        assert session.query(Client).filter_by(client_number="BATCH-1").count() == 0


def test_next_step_due_date_without_text_is_refused(world: World) -> None:
    case_id, version = _active_case(world)
    with pytest.raises(ValidationError) as err:
        set_next_step(world.db, world.actor("begleiter1"), case_id, version, "  ", world.today + timedelta(days=1))
    assert err.value.field == "next_step"
