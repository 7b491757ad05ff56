"""The companion's day (issue 13): events carry the day they happened, a wrong tap can be taken
back the same day, interviews without an outcome are caught, and assignment knows capacity –
on both databases."""

from __future__ import annotations

import re

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from db.casework.activities import record_activity
from db.casework.agenda import agenda, agenda_counts
from db.casework.barriers import add_barrier, resolve_barrier
from db.casework.caseload import CaseFilter, caseload
from db.casework.cases import (
    CapacityWarning,
    DuplicateClient,
    NewPlacement,
    assign_companion,
    change_status,
    refer_client,
)
from db.casework.corrections import reopen_barrier, undo_status_change
from db.errors import ValidationError
from db.figures.flows import monthly_events
from db.figures.kpis import kpis
from db.store.models import (
    Activity,
    AuditEntry,
    Case,
    CaseBarrier,
    Client,
    ExitOutcome,
    Placement,
    StatusChange,
)
from db.casework.team import assignment_choices
from db.vocabulary import (
    ActivityKind,
    Barrier,
    CaseStatus,
    EndReason,
    ExitResult,
    JobKind,
    PauseReason,
)

from .conftest import World
from .helpers import any_employer, case_in, load_case, new_client, part_time


def missed_interview(world: World) -> Case:
    """The demo's interview of yesterday, whose outcome nobody has entered."""
    with world.db.read() as session:
        return session.scalars(select(Case).where(
            Case.status == CaseStatus.INTERVIEW_PLANNED,
            Case.first_interview_at < datetime.combine(world.today, time.min))).one()


def interviews_held_in(world: World, month: date) -> int:
    frame = monthly_events(world.db, world.actor("leitung"))
    rows = frame[(frame["key"] == "interviews_held") & (frame["month"] == month.replace(day=1))]
    return int(rows["count"].sum())


def changes_of(world: World, case_id: int) -> list[StatusChange]:
    with world.db.read() as session:
        return list(session.scalars(select(StatusChange).where(StatusChange.case_id == case_id)
                                    .order_by(StatusChange.id)))


# --- the day an event happened ----------------------------------------------------------------


def test_a_held_interview_is_dated_on_its_planned_day_and_counted_there(world: World) -> None:
    case = missed_interview(world)
    yesterday = world.today - timedelta(days=1)
    before = interviews_held_in(world, yesterday)
    change_status(world.db, world.actor("begleiter1"), case.id, case.version, CaseStatus.ACTIVE)
    held = load_case(world.db, case.id)
    assert held.status == CaseStatus.ACTIVE and held.start_date == yesterday
    assert changes_of(world, case.id)[-1].changed_on == yesterday
    with world.db.read() as session:
        interview = session.scalars(select(Activity).where(
            Activity.case_id == case.id, Activity.kind == ActivityKind.FIRST_INTERVIEW)).one()
    assert interview.occurred_on == yesterday
    assert interviews_held_in(world, yesterday) == before + 1


def test_an_interview_still_to_come_cannot_be_marked_as_held(world: World) -> None:
    companion = world.actor("begleiter1")
    with world.db.read() as session:
        upcoming = session.scalars(select(Case).where(
            Case.status == CaseStatus.INTERVIEW_PLANNED,
            Case.first_interview_at > datetime.combine(world.today + timedelta(days=1), time.min))
            .limit(1)).one()
    with pytest.raises(ValidationError, match="erst für den"):
        change_status(world.db, companion, upcoming.id, upcoming.version, CaseStatus.ACTIVE)
    with pytest.raises(ValidationError, match="nicht in der Zukunft"):
        change_status(world.db, companion, upcoming.id, upcoming.version, CaseStatus.NO_SHOW,
                      on=world.today + timedelta(days=1))
    assert load_case(world.db, upcoming.id).status == CaseStatus.INTERVIEW_PLANNED


def test_a_job_start_is_dated_on_the_first_working_day(world: World) -> None:
    lead = world.actor("leitung")
    case_id, version = case_in(world.db, lead, CaseStatus.ACTIVE, companion_id=world.user_id("begleiter1"),
                               case_manager_id=world.user_id("fallmanager1"))
    start = world.today - timedelta(days=3)
    with world.db.write() as session:  # the interview was held a week ago
        session.execute(update(Case).where(Case.id == case_id).values(
            start_date=world.today - timedelta(days=7),
            first_interview_at=datetime.combine(world.today - timedelta(days=7), time(10))))
    job = NewPlacement(employer_id=any_employer(world.db), start_date=world.today + timedelta(days=5),
                       job_kind=JobKind.PART_TIME)
    with pytest.raises(ValidationError, match="Arbeitsbeginn"):
        change_status(world.db, lead, case_id, version, CaseStatus.EMPLOYED, placement=job)
    change_status(world.db, lead, case_id, version, CaseStatus.EMPLOYED,
                  placement=NewPlacement(employer_id=job.employer_id, start_date=start, job_kind=job.job_kind))
    assert changes_of(world, case_id)[-1].changed_on == start


# --- same-day undo ----------------------------------------------------------------------------


def test_the_author_undoes_a_held_interview_the_same_day(world: World) -> None:
    case = missed_interview(world)
    companion = world.actor("begleiter1")
    yesterday = world.today - timedelta(days=1)
    counted = interviews_held_in(world, yesterday)
    planned = kpis(world.db, world.actor("leitung")).planned_first_interviews
    version = change_status(world.db, companion, case.id, case.version, CaseStatus.ACTIVE)
    with pytest.raises(ValidationError, match="nur am selben Tag"):
        undo_status_change(world.db, world.actor("leitung"), case.id, version)  # not the author
    undo_status_change(world.db, companion, case.id, version)

    back = load_case(world.db, case.id)
    assert back.status == CaseStatus.INTERVIEW_PLANNED and back.start_date is None
    history = changes_of(world, case.id)
    held, undo = history[-2], history[-1]
    assert (held.to_status, held.undone_on) == (CaseStatus.ACTIVE, world.today)
    assert (undo.from_status, undo.to_status, undo.reverses_id) == (
        CaseStatus.ACTIVE, CaseStatus.INTERVIEW_PLANNED, held.id)
    with world.db.read() as session:
        assert session.scalar(select(Activity.id).where(
            Activity.case_id == case.id, Activity.kind == ActivityKind.FIRST_INTERVIEW)) is None
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == case.id)
                              .order_by(AuditEntry.id.desc()).limit(1)) == "undo"
    assert interviews_held_in(world, yesterday) == counted
    # Back to "Ergebnis fehlt", not counted as planned.
    assert kpis(world.db, world.actor("leitung")).planned_first_interviews == planned
    # Nothing left to undo: the undo itself is not undone.
    with pytest.raises(ValidationError):
        undo_status_change(world.db, companion, case.id, load_case(world.db, case.id).version)


def test_a_change_of_an_earlier_day_cannot_be_undone(world: World) -> None:
    case = missed_interview(world)
    companion = world.actor("begleiter1")
    version = change_status(world.db, companion, case.id, case.version, CaseStatus.NO_SHOW)
    with world.db.write() as session:
        session.execute(update(StatusChange).where(StatusChange.case_id == case.id).values(
            changed_at=datetime.now().astimezone() - timedelta(days=1)))
    with pytest.raises(ValidationError, match="selben Tag"):
        undo_status_change(world.db, companion, case.id, version)
    assert load_case(world.db, case.id).status == CaseStatus.NO_SHOW


def test_undoing_an_end_restores_the_pause_and_removes_the_result(world: World) -> None:
    lead = world.actor("leitung")
    case_id, version = case_in(world.db, lead, CaseStatus.PAUSED, companion_id=world.user_id("begleiter1"),
                               case_manager_id=world.user_id("fallmanager1"))
    paused = load_case(world.db, case_id)
    version = change_status(world.db, lead, case_id, version, CaseStatus.CLOSED,
                            end_reason=EndReason.OTHER, exit_result=ExitResult.JOB_SEEKING)
    assert load_case(world.db, case_id).end_date == world.today
    undo_status_change(world.db, lead, case_id, version)
    back = load_case(world.db, case_id)
    assert back.status == CaseStatus.PAUSED and back.end_date is None and back.end_reason is None
    assert (back.pause_reason, back.resume_on) == (PauseReason.ILLNESS, paused.resume_on)
    with world.db.read() as session:
        assert session.scalar(select(ExitOutcome.id).where(ExitOutcome.case_id == case_id)) is None


def test_undoing_a_job_start_removes_the_job(world: World) -> None:
    lead = world.actor("leitung")
    case_id, version = case_in(world.db, lead, CaseStatus.EMPLOYED, companion_id=world.user_id("begleiter1"),
                               case_manager_id=world.user_id("fallmanager1"))
    undo_status_change(world.db, lead, case_id, version)
    assert load_case(world.db, case_id).status == CaseStatus.ACTIVE
    with world.db.read() as session:
        assert session.scalar(select(Placement.id).where(Placement.case_id == case_id)) is None


def test_erledigt_on_a_barrier_is_taken_back_by_its_author_the_same_day(world: World) -> None:
    lead = world.actor("leitung")
    case_id, _ = case_in(world.db, lead, CaseStatus.ACTIVE, companion_id=world.user_id("begleiter1"),
                         case_manager_id=world.user_id("fallmanager1"))
    companion = world.actor("begleiter1")
    barrier_id = add_barrier(world.db, companion, case_id, Barrier.NO_DRIVING_LICENCE)
    resolve_barrier(world.db, companion, barrier_id)
    with pytest.raises(ValidationError, match="wer es gesetzt hat"):
        reopen_barrier(world.db, lead, barrier_id)
    reopen_barrier(world.db, companion, barrier_id)
    with world.db.read() as session:
        row = session.get(CaseBarrier, barrier_id)
        assert row is not None and row.resolved_on is None
    with pytest.raises(ValidationError):
        reopen_barrier(world.db, companion, barrier_id)  # open already


# --- "Ergebnis fehlt" -------------------------------------------------------------------------


def test_an_interview_past_without_outcome_is_caught_everywhere(world: World) -> None:
    case = missed_interview(world)
    companion = world.actor("begleiter1")
    figures = kpis(world.db, world.actor("leitung"))
    assert (figures.planned_first_interviews, figures.interviews_outcome_missing) == (19, 1)
    overdue = caseload(world.db, companion, CaseFilter(overdue_only=True)).rows
    assert case.id in {row.case_id for row in overdue}
    assert len(overdue) == 3  # the demo's two overdue next steps and this interview
    items = [i for i in agenda(world.db, companion, days=2) if i.case_id == case.id]
    assert len(items) == 1 and items[0].outcome_missing
    counts = agenda_counts(world.db, companion, days=2)
    assert (counts.overdue_steps, counts.outcome_missing) == (2, 1)
    # Recording the outcome clears it.
    change_status(world.db, companion, case.id, case.version, CaseStatus.NO_SHOW)
    assert kpis(world.db, world.actor("leitung")).interviews_outcome_missing == 0
    assert agenda_counts(world.db, companion, days=2).outcome_missing == 0


# --- capacity ---------------------------------------------------------------------------------


def test_assigning_above_capacity_needs_a_logged_confirmation(world: World) -> None:
    lead = world.actor("leitung")
    case_id = refer_client(world.db, world.actor("fallmanager1"), client=new_client())
    # The demo's Bianca: 11 participants and 20 first interviews to come – room at 20, since
    # only participants count against capacity. Part-time at 10, she is above it.
    assign_companion(world.db, lead, refer_client(world.db, world.actor("fallmanager1"), client=new_client()), 1,
                     world.user_id("begleiter1"))
    part_time(world.db, "begleiter1", 10)
    with pytest.raises(CapacityWarning, match=re.escape("begleitet bereits 11 Teilnehmende bei Kapazität 10 (eigene "
                                                        "Kapazität), Zulauf 20")):
        assign_companion(world.db, lead, case_id, 1, world.user_id("begleiter1"))
    assert load_case(world.db, case_id).companion_id is None
    assign_companion(world.db, lead, case_id, 1, world.user_id("begleiter1"), over_capacity_confirmed=True)
    with world.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.entity_id == case_id, AuditEntry.action == "assign")).one()
    assert entry.changes is not None and entry.changes["over_capacity_confirmed"] == "11/10"


def test_a_companion_with_room_gets_the_case_without_a_question(world: World) -> None:
    lead = world.actor("leitung")
    case_id = refer_client(world.db, world.actor("fallmanager1"), client=new_client())
    assign_companion(world.db, lead, case_id, 1, world.user_id("begleiter2"))
    assert load_case(world.db, case_id).companion_id == world.user_id("begleiter2")


def test_the_companion_choice_names_load_capacity_and_start(world: World) -> None:
    labels = {c.name: c.choice_label(world.today) for c in assignment_choices(world.db, world.actor("leitung"))}
    # 11 of 20, inflow 20: over capacity once the inflow starts; the phone's room goes to the mark.
    assert labels["Bianca Begleitmann (Demo)"] == "Bianca Begleitmann (Demo) · bald zu voll"
    second = next(label for name, label in labels.items() if name != "Bianca Begleitmann (Demo)")
    assert second.endswith(" · ab " + f"{assignment_choices(world.db, world.actor('leitung'))[1].start_date:%d.%m.}")
    part_time(world.db, "begleiter1", 10)
    labels = {c.name: c.choice_label(world.today) for c in assignment_choices(world.db, world.actor("leitung"))}
    assert labels["Bianca Begleitmann (Demo)"] == "Bianca Begleitmann (Demo) · zu voll"
    own = assignment_choices(world.db, world.actor("begleiter1"))
    assert [c.name for c in own] == ["Bianca Begleitmann (Demo)"]


def test_a_contact_can_close_the_next_step_and_set_a_new_one(world: World) -> None:
    lead = world.actor("leitung")
    case_id, version = case_in(world.db, lead, CaseStatus.ACTIVE, companion_id=world.user_id("begleiter1"),
                               case_manager_id=world.user_id("fallmanager1"))
    companion = world.actor("begleiter1")
    with world.db.write() as session:
        session.execute(update(Case).where(Case.id == case_id).values(
            next_step="Hausbesuch", next_step_due=world.today - timedelta(days=2)))
        version = session.get(Case, case_id).version  # type: ignore[union-attr]
    record_activity(world.db, companion, case_id, ActivityKind.HOME_VISIT, step_done=True,
                    next_step="Bewerbung Musterbau besprechen",
                    next_step_due=world.today + timedelta(days=7), version=version)
    case = load_case(world.db, case_id)
    assert (case.next_step, case.next_step_due) == ("Bewerbung Musterbau besprechen",
                                                    world.today + timedelta(days=7))
    # Bad input changes nothing: neither the contact nor the step.
    with pytest.raises(ValidationError, match="beschreiben"):
        record_activity(world.db, companion, case_id, ActivityKind.PHONE, step_done=True,
                        next_step_due=world.today, version=case.version)
    with world.db.read() as session:
        kinds = list(session.scalars(select(Activity.kind).where(Activity.case_id == case_id)))
    assert ActivityKind.PHONE not in kinds
    assert load_case(world.db, case_id).next_step == "Bewerbung Musterbau besprechen"


# --- the referral -----------------------------------------------------------------------------


def test_barriers_given_with_the_referral_are_on_the_case(world: World) -> None:
    fm = world.actor("fallmanager1")
    case_id = refer_client(world.db, fm, client=new_client(),
                           barriers=[Barrier.NO_DRIVING_LICENCE, Barrier.DEBT, Barrier.NO_DRIVING_LICENCE])
    with world.db.read() as session:
        rows = session.execute(select(CaseBarrier.barrier, CaseBarrier.noted_on)
                               .where(CaseBarrier.case_id == case_id)).all()
    assert sorted(rows) == sorted([(Barrier.NO_DRIVING_LICENCE, world.today), (Barrier.DEBT, world.today)])


def test_a_referral_form_gets_every_problem_at_once(world: World) -> None:
    fm = world.actor("fallmanager1")
    bad = new_client(first_name=" ", town="", postcode="123", birth_year=1850)
    with pytest.raises(ValidationError) as refused:
        refer_client(world.db, fm, client=bad, referred_on=world.today + timedelta(days=1))
    message = refused.value.message
    for part in ("Vorname", "Wohnort", "Postleitzahl", "Geburtsjahr", "Zuweisungsdatum"):
        assert part in message


def test_a_known_client_number_offers_the_existing_case(world: World) -> None:
    fm = world.actor("fallmanager1")
    with world.db.read() as session:
        number, open_case = session.execute(select(Client.client_number, Case.id).join(Case)
                                            .where(Case.status == CaseStatus.ACTIVE).limit(1)).one()
    with pytest.raises(DuplicateClient) as known:
        refer_client(world.db, fm, client=new_client(client_number=number))
    assert known.value.match.open_case_id == open_case and "läuft bereits ein Fall" in known.value.message
