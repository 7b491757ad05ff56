"""Programme results (issue 14): entry data, Ruhend, the exit result at 28 days, the six-month
follow-up, the indicators built from them and the duplicate check – on both databases."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from db.actors import Actor
from db.casework.cases import (
    DuplicateClient,
    NewPlacement,
    assign_companion,
    change_status,
    refer_client,
    schedule_first_interview,
)
from db.store.database import Database
from db.privacy.erasure import erase_person
from db.errors import ValidationError
from db.figures.kpis import kpis
from db.store.models import Case, Client
from db.casework import results_tasks as result_tasks_module
from db.casework.entry import EntryData, age_band, not_counted, not_counted_total, save_entry_data
from db.reporting.registry import label
from db.results.indicators import by_gender, leaver_figures, monthly_leavers, quarterly_rates
from db.casework.outcomes import (
    follow_up_due,
    last_end_with_follow_up_due,
    record_exit_result,
    record_follow_up,
    suggested_result,
)
from db.casework.results_tasks import EXIT_RESULT, FOLLOW_UP, RESUME, result_tasks
from db.casework.team import companion_caseloads
from db.vocabulary import (
    Answer,
    CaseStatus,
    Education,
    EndReason,
    EntryEmployment,
    ExitResult,
    FollowUpResult,
    Gender,
    Household,
    JobKind,
    PauseReason,
)

from .conftest import World
from .helpers import any_employer, load_case, new_client

COMPLETE = EntryData(gender=Gender.FEMALE, birth_date=date(1980, 5, 17), postcode="03172",
                     employment=EntryEmployment.LONG_TERM_UNEMPLOYED, education=Education.ISCED_3_4,
                     household=Household.LONG_TERM_UNEMPLOYED, disability=Answer.NOT_STATED)


def participant(world: World, *, started: date, entry: EntryData | None = COMPLETE,
                gender: Gender = Gender.FEMALE) -> tuple[int, int]:
    """A case whose first interview was held on `started`, with entry data (complete by default)."""
    lead = world.actor("leitung")
    case_id = refer_client(world.db, lead, client=new_client(), referred_on=started - timedelta(days=5),
                           case_manager_id=world.user_id("fallmanager1"))
    version = assign_companion(world.db, lead, case_id, 1, world.user_id("begleiter1"),
                               over_capacity_confirmed=True)
    version = schedule_first_interview(world.db, lead, case_id, version,
                                       datetime.combine(started, time(10)),
                                       planned_on=started - timedelta(days=5))
    version = change_status(world.db, lead, case_id, version, CaseStatus.ACTIVE, on=started)
    if entry is not None:
        version = save_entry_data(world.db, lead, case_id, version,
                                  EntryData(**{**entry.__dict__, "gender": gender}))
    return case_id, version


def leaver(world: World, *, ended: date, result: ExitResult | None, started: date | None = None,
           entry: EntryData | None = COMPLETE, gender: Gender = Gender.FEMALE) -> int:
    case_id, version = participant(world, started=started or ended - timedelta(days=60),
                                   entry=entry, gender=gender)
    change_status(world.db, world.actor("leitung"), case_id, version, CaseStatus.CLOSED, on=ended,
                  end_reason=EndReason.OTHER, exit_result=result)
    return case_id


def figures(world: World):  # type: ignore[no-untyped-def]
    return leaver_figures(monthly_leavers(world.db, world.actor("leitung")))


# --- entry data ---------------------------------------------------------------------------------

def test_complete_entry_data_make_a_participant_count_and_gaps_are_listed(world: World) -> None:
    lead = world.actor("leitung")
    before, _ = not_counted(world.db, lead)
    assert len(before) == 2  # the demo's two incomplete participants
    gaps = EntryData(gender=Gender.MALE, birth_date=date(1990, 1, 2),
                     employment=EntryEmployment.UNEMPLOYED)
    case_id, version = participant(world, started=world.today - timedelta(days=3), entry=gaps)

    rows, total = not_counted(world.db, lead)
    mine = next(r for r in rows if r.case_id == case_id)
    assert total == 3 and mine.missing == ["Postleitzahl", "Bildung (ISCED)", "Haushalt"]
    assert kpis(world.db, lead).incomplete_participants == 3 == not_counted_total(world.db, lead)

    save_entry_data(world.db, lead, case_id, version, COMPLETE)
    case = load_case(world.db, case_id)
    assert case.entry_complete and case.entry_age_band == "30–54"
    assert case_id not in [r.case_id for r in not_counted(world.db, lead)[0]]


def test_bad_entry_data_are_refused_all_at_once_and_nothing_changes(world: World) -> None:
    case_id, version = participant(world, started=world.today - timedelta(days=3), entry=None)
    bad = EntryData(postcode="3172", household=Household.FAMILY, birth_date=world.today + timedelta(days=1))

    with pytest.raises(ValidationError) as err:
        save_entry_data(world.db, world.actor("leitung"), case_id, version, bad)

    assert "Postleitzahl" in err.value.message and "Zahl der Kinder" in err.value.message
    assert "Geburtsdatum" in err.value.message
    assert load_case(world.db, case_id).version == version


def test_a_family_household_needs_children_and_others_have_none(world: World) -> None:
    case_id, version = participant(world, started=world.today - timedelta(days=3), entry=None)
    with pytest.raises(ValidationError, match="nur bei einer Familienbedarfsgemeinschaft"):
        save_entry_data(world.db, world.actor("leitung"), case_id, version,
                        EntryData(**{**COMPLETE.__dict__, "children": 2}))
    family = EntryData(**{**COMPLETE.__dict__, "household": Household.FAMILY, "children": 2})
    save_entry_data(world.db, world.actor("leitung"), case_id, version, family)
    assert load_case(world.db, case_id).entry_children == 2


def test_age_band_is_the_age_on_the_day_of_entry() -> None:
    assert age_band(date(2000, 6, 2), None, date(2018, 6, 1)) == "unter 18"
    assert age_band(date(2000, 6, 2), None, date(2018, 6, 2)) == "18–29"
    assert age_band(None, 1971, date(2026, 1, 1)) == "55+"  # older records: the birth year
    assert age_band(None, None, date(2026, 1, 1)) is None


def test_case_manager_may_not_record_entry_data(world: World) -> None:
    case_id, version = participant(world, started=world.today - timedelta(days=3), entry=None)
    from db.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        save_entry_data(world.db, world.actor("fallmanager1"), case_id, version, COMPLETE)


def test_erasure_keeps_the_participant_counted(world: World) -> None:
    case_id = leaver(world, ended=world.today - timedelta(days=2), result=ExitResult.EMPLOYED)
    with world.db.read() as session:
        number = session.get_one(Case, case_id).client.client_number
    erase_person(world.db, Actor.system(), number, "Test")
    with world.db.read() as session:
        case = session.get_one(Case, case_id)
        assert (case.client.birth_date, case.client.postcode) == (None, None)
        assert case.entry_complete and case.entry_age_band == "30–54"
    assert figures(world).into_work_or_training == 1


# --- the exit result and the rate ----------------------------------------------------------------

def test_rate_counts_work_and_training_over_all_leavers_and_minijobs_apart(world: World) -> None:
    ended = world.today - timedelta(days=40)
    for result in (ExitResult.EMPLOYED, ExitResult.SELF_EMPLOYED, ExitResult.EDUCATION,
                   ExitResult.MINIJOB, ExitResult.JOB_SEEKING, ExitResult.QUALIFICATION, None):
        leaver(world, ended=ended, result=result)
    leaver(world, ended=ended, result=ExitResult.EMPLOYED, entry=None)  # not counted at all

    f = figures(world)
    # Ended 40 days ago without a result: no longer "noch offen", but unknown.
    assert (f.leavers, f.into_work_or_training, f.minijob, f.result_pending, f.result_unknown) == (7, 3, 1, 0, 1)
    assert f.rate == round(300 / 7, 1)
    assert kpis(world.db, world.actor("leitung")).incomplete_participants == 3


def test_the_last_event_within_28_days_counts(world: World) -> None:
    lead = world.actor("leitung")
    ended = world.today - timedelta(days=20)
    found_work = leaver(world, ended=ended, result=ExitResult.JOB_SEEKING)
    lost_work = leaver(world, ended=ended, result=ExitResult.EMPLOYED)
    record_exit_result(world.db, lead, found_work, load_case(world.db, found_work).version,
                       ExitResult.EMPLOYED, ended + timedelta(days=10))
    record_exit_result(world.db, lead, lost_work, load_case(world.db, lost_work).version,
                       ExitResult.JOB_SEEKING, ended + timedelta(days=5))

    f = figures(world)
    assert (f.leavers, f.into_work_or_training) == (2, 1)
    assert f.by_result == {ExitResult.EMPLOYED.value: 1, ExitResult.JOB_SEEKING.value: 1}


def test_results_outside_the_28_days_or_in_the_future_are_refused(world: World) -> None:
    lead = world.actor("leitung")
    ended = world.today - timedelta(days=40)
    case_id = leaver(world, ended=ended, result=None)
    version = load_case(world.db, case_id).version
    for on, message in ((ended + timedelta(days=29), "28 Tage"), (ended - timedelta(days=1), "nicht vor"),
                        (world.today + timedelta(days=1), "Zukunft")):
        with pytest.raises(ValidationError, match=message):
            record_exit_result(world.db, lead, case_id, version, ExitResult.EMPLOYED, on)
    assert (figures(world).result_pending, figures(world).result_unknown) == (0, 1)


def test_a_job_at_the_end_suggests_the_result(world: World) -> None:
    lead = world.actor("leitung")
    case_id, version = participant(world, started=world.today - timedelta(days=30))
    version = change_status(world.db, lead, case_id, version, CaseStatus.EMPLOYED,
                            placement=NewPlacement(any_employer(world.db), world.today,
                                                   job_kind=JobKind.MINI_JOB))
    with world.db.read() as session:
        assert suggested_result(session.get_one(Case, case_id)) == ExitResult.MINIJOB
    ended = world.today
    change_status(world.db, lead, case_id, version, CaseStatus.CLOSED, on=ended,
                  end_reason=EndReason.FOLLOW_UP_COMPLETED, exit_result=ExitResult.MINIJOB)
    assert figures(world).minijob == 1


def test_rate_by_gender_and_quarter_add_up(world: World) -> None:
    ended = world.today - timedelta(days=40)
    leaver(world, ended=ended, result=ExitResult.EMPLOYED, gender=Gender.MALE)
    leaver(world, ended=ended, result=ExitResult.JOB_SEEKING, gender=Gender.FEMALE)
    leaver(world, ended=ended, result=ExitResult.EDUCATION, gender=Gender.DIVERSE)
    frame = monthly_leavers(world.db, world.actor("leitung"))
    split = by_gender(frame)
    assert [split[g].leavers for g in ("weiblich", "männlich", "divers", "Gesamt")] == [1, 1, 1, 3]
    assert split["Gesamt"].rate == 66.7
    quarters = quarterly_rates(frame)
    assert quarters["leavers"].sum() == 3


# --- pausing --------------------------------------------------------------------------------------

def test_paused_cases_do_not_count_against_capacity_and_return_when_due(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lead = world.actor("leitung")
    bianca = world.user_id("begleiter1")

    def load() -> int:
        return next(c for c in companion_caseloads(world.db, lead) if c.id == bianca).accompanied

    case_id, version = participant(world, started=world.today - timedelta(days=10))
    before = load()
    with pytest.raises(ValidationError, match="Grund"):
        change_status(world.db, lead, case_id, version, CaseStatus.PAUSED, resume_on=world.today + timedelta(days=5))
    version = change_status(world.db, lead, case_id, version, CaseStatus.PAUSED,
                            pause_reason=PauseReason.ILLNESS, resume_on=world.today + timedelta(days=5))
    assert load() == before - 1
    assert kpis(world.db, lead).paused == 1
    assert result_tasks(world.db, lead)[1][RESUME] == 0

    monkeypatch.setattr(result_tasks_module, "today", lambda: world.today + timedelta(days=5))
    tasks, counts = result_tasks(world.db, lead)
    assert counts[RESUME] == 1 and [t.case_id for t in tasks if t.kind == RESUME] == [case_id]

    change_status(world.db, lead, case_id, version, CaseStatus.ACTIVE)
    case = load_case(world.db, case_id)
    assert (case.status, case.pause_reason, case.resume_on) == (CaseStatus.ACTIVE, None, None)
    assert result_tasks(world.db, lead)[1][RESUME] == 0


# --- tasks: 28 days and six months -----------------------------------------------------------------

def test_missing_result_is_a_task_until_recorded_or_28_days_passed(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lead = world.actor("leitung")
    ended = world.today - timedelta(days=3)
    case_id = leaver(world, ended=ended, result=None)
    tasks, counts = result_tasks(world.db, lead)
    assert counts[EXIT_RESULT] == 1
    assert next(t for t in tasks if t.kind == EXIT_RESULT).due == ended + timedelta(days=28)
    # the companion sees it on her own list, the other companion does not
    assert result_tasks(world.db, world.actor("begleiter1"))[1][EXIT_RESULT] == 1
    assert result_tasks(world.db, world.actor("begleiter2"))[1][EXIT_RESULT] == 0

    monkeypatch.setattr(result_tasks_module, "today", lambda: ended + timedelta(days=29))
    assert result_tasks(world.db, lead)[1][EXIT_RESULT] == 0
    monkeypatch.undo()

    record_exit_result(world.db, lead, case_id, load_case(world.db, case_id).version,
                       ExitResult.JOB_SEEKING, ended)
    assert result_tasks(world.db, lead)[1][EXIT_RESULT] == 0


def test_six_month_follow_up_appears_and_is_answered(world: World) -> None:
    lead = world.actor("leitung")
    ended = world.today - timedelta(days=200)
    case_id = leaver(world, ended=ended, result=ExitResult.EMPLOYED, started=ended - timedelta(days=90))
    recent = leaver(world, ended=world.today - timedelta(days=100), result=ExitResult.EMPLOYED)
    tasks, counts = result_tasks(world.db, lead)
    assert counts[FOLLOW_UP] == 1 and [t.case_id for t in tasks if t.kind == FOLLOW_UP] == [case_id]
    with pytest.raises(ValidationError, match="sechs Monaten"):
        record_follow_up(world.db, lead, recent, load_case(world.db, recent).version,
                         FollowUpResult.EMPLOYED)

    record_follow_up(world.db, lead, case_id, load_case(world.db, case_id).version,
                     FollowUpResult.UNREACHABLE)
    case = load_case(world.db, case_id)
    assert (case.follow_up_result, case.follow_up_on) == (FollowUpResult.UNREACHABLE, world.today)
    assert result_tasks(world.db, lead)[1][FOLLOW_UP] == 0
    f = figures(world)
    assert (f.six_months_passed, f.six_months_in_work, f.six_month_rate) == (1, 0, 0.0)


@pytest.mark.parametrize(("on", "latest"), [
    (date(2027, 2, 28), date(2026, 8, 31)),  # a month's last day: the rest of August is due
    (date(2027, 2, 27), date(2026, 8, 27)),
    (date(2026, 11, 30), date(2026, 5, 31)),
    (date(2026, 12, 15), date(2026, 6, 15)),
])
def test_six_months_are_calendar_months(on: date, latest: date) -> None:
    assert last_end_with_follow_up_due(on) == latest
    assert follow_up_due(latest) <= on < follow_up_due(latest + timedelta(days=1))


# --- duplicates -------------------------------------------------------------------------------------

def test_same_name_and_postcode_or_birth_date_is_the_same_person(world: World) -> None:
    fm = world.actor("fallmanager1")
    with world.db.read() as session:
        known = session.scalars(select(Client).where(Client.postcode.is_not(None)).order_by(Client.id)).first()
    for same in ({"postcode": known.postcode}, {"birth_date": known.birth_date}):
        with pytest.raises(DuplicateClient) as err:
            refer_client(world.db, fm, client=new_client(first_name=known.first_name.upper(),
                                                         last_name=known.last_name, **same))
        assert err.value.match.client_id == known.id and err.value.match.has_open_case
    # another postcode and birth date: a different person of the same name
    refer_client(world.db, fm, client=new_client(first_name=known.first_name, last_name=known.last_name,
                                                 postcode="01234", birth_date=date(1950, 1, 1)))


def test_duplicate_check_compares_umlauts_without_case(db: Database) -> None:
    from db.accounts.users import create_user
    from db.vocabulary import Role
    system = Actor.system()
    create_user(db, system, username="fm", display_name="FM", role=Role.CASE_MANAGER,
                password="ein-langes-passwort-123")
    refer_client(db, system, client=new_client(first_name="Özlem", last_name="Ärmel", postcode="03172"))
    with pytest.raises(DuplicateClient):
        refer_client(db, system, client=new_client(first_name="özlem", last_name="ärmel", postcode="03172"))


# --- the funder's report -----------------------------------------------------------------------------

def test_funder_report_has_one_row_per_participant_in_the_period_and_numbers_as_numbers(
        world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io as _io

    from openpyxl import load_workbook

    from db.results.report import export_funder_report

    lead = world.actor("leitung")
    left_before = leaver(world, ended=world.today - timedelta(days=100), result=ExitResult.EMPLOYED,
                         started=world.today - timedelta(days=200))
    left_inside = leaver(world, ended=world.today - timedelta(days=10), result=ExitResult.EDUCATION,
                         gender=Gender.MALE)
    start, end = world.today - timedelta(days=50), world.today
    book = load_workbook(_io.BytesIO(export_funder_report(world.db, lead, start, end, "xlsx")))

    assert book.sheetnames == ["Teilnehmende", "Indikatoren", "Hinweise"]
    rows = list(book["Teilnehmende"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    for column in ("Geschlecht", "Bildung (ISCED)", "Erwerbsstatus bei Eintritt", "Verbleib nach 28 Tagen"):
        assert column in header
    numbers = {r[0] for r in body}
    with world.db.read() as session:
        number = {i: session.get_one(Case, i).client.client_number for i in (left_inside, left_before)}
    assert number[left_inside] in numbers and number[left_before] not in numbers
    assert len(body) == 11 + 1  # the demo's 11 participants and the one who left inside
    inside = dict(zip(header, next(r for r in body if r[0] == number[left_inside])))
    assert inside["Verbleib nach 28 Tagen"] == ExitResult.EDUCATION.label and inside["Gezählt"] == "ja"

    indicators = {r[0]: r[1:] for r in book["Indikatoren"].iter_rows(values_only=True) if r[0]}
    assert indicators[label("persons_left")] == (0, 1, 0, 1)  # weiblich, männlich, divers, Gesamt
    assert indicators[f"{label('persons_rate')} (%)"] == (None, 100.0, None, 100.0)
    notes = {r[0]: r[1] for r in book["Hinweise"].iter_rows(values_only=True)}
    assert notes["Nicht gezählt"].startswith("2 Teilnehmende")


def test_funder_report_counts_a_person_referred_twice_once(world: World) -> None:
    """One row per person and project: a second referral of the same client, and a record of
    the same name and postcode under another client number, are the same participant."""
    from db.results.persons import identity_keys, same_persons
    from db.figures.flows import programme_start
    from db.results.report import LAND_DENOMINATOR, LAND_RATE, funder_report

    lead = world.actor("leitung")
    first = leaver(world, started=world.today - timedelta(days=120), ended=world.today - timedelta(days=90),
                   result=ExitResult.JOB_SEEKING)
    client_id = load_case(world.db, first).client_id
    again = refer_client(world.db, lead, client_id=client_id, referred_on=world.today - timedelta(days=60),
                         case_manager_id=world.user_id("fallmanager1"))
    version = assign_companion(world.db, lead, again, 1, world.user_id("begleiter1"), over_capacity_confirmed=True)
    version = schedule_first_interview(world.db, lead, again, version,
                                       datetime.combine(world.today - timedelta(days=55), time(10)),
                                       planned_on=world.today - timedelta(days=60))
    version = change_status(world.db, lead, again, version, CaseStatus.ACTIVE, on=world.today - timedelta(days=55))
    change_status(world.db, lead, again, version, CaseStatus.CLOSED, on=world.today - timedelta(days=20),
                  end_reason=EndReason.OTHER, exit_result=ExitResult.EMPLOYED)
    with world.db.read() as session:
        person = session.get_one(Client, client_id)
        number = person.client_number
        # The same name and postcode, and as in the referral form's duplicate check:
        assert identity_keys(person.first_name.upper(), person.last_name, person.postcode, None)[0] in \
            identity_keys(person.first_name, person.last_name, person.postcode, person.birth_date)
    report = funder_report(world.db, lead, world.today - timedelta(days=150), world.today)
    rows = report.participants[report.participants["Kundennummer"] == number]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["Fälle"] == 2 and row["Eintritt (Erstgespräch)"] == world.today - timedelta(days=120)
    assert row["Austritt"] == world.today - timedelta(days=20)
    assert row["Verbleib nach 28 Tagen"] == ExitResult.EMPLOYED.label  # the last event counts
    blocks = dict(report.indicators)
    leaving = blocks["Verbleib bei Austritt (innerhalb 28 Tagen)"]
    assert leaving.loc[label("persons_left"), "Gesamt"] == 1  # once, not twice
    assert leaving.loc["davon erwerbstätig, auch selbständig (ohne Minijob)", "Gesamt"] == 1
    assert leaving.loc[f"{label('persons_rate')} (%)", "Gesamt"] == 100.0
    # A period after the first entry: the Land's rate would divide its leavers by people who
    # mostly leave later – not the target's figure, so not shown.
    later = dict(funder_report(world.db, lead, world.today - timedelta(days=100), world.today).indicators)
    assert later["Verbleib bei Austritt (innerhalb 28 Tagen)"].loc[
        [LAND_DENOMINATOR, LAND_RATE], "Gesamt"].isna().all()
    whole = dict(funder_report(world.db, lead, programme_start(world.db), world.today).indicators)
    leaving = whole["Verbleib bei Austritt (innerhalb 28 Tagen)"]
    counted = whole["Teilnehmende (je Person)"].loc["Teilnehmende im Zeitraum (auch früher eingetreten)", "Gesamt"]
    in_work = sum(leaving.loc[r, "Gesamt"] for r in ("davon erwerbstätig, auch selbständig (ohne Minijob)",
                                                      "davon in schulischer oder beruflicher Bildung"))
    assert leaving.loc[LAND_DENOMINATOR, "Gesamt"] == counted  # beside its denominator
    assert leaving.loc[LAND_RATE, "Gesamt"] == round(100 * in_work / counted, 1)
    assert same_persons([1, 2, 3], lambda n: [n % 2]) == [[1, 3], [2]]


def test_six_month_results_include_an_improved_situation(world: World) -> None:
    from db.results.report import funder_report

    lead = world.actor("leitung")
    for answer in (FollowUpResult.EMPLOYED, FollowUpResult.IMPROVED, FollowUpResult.NOT_EMPLOYED):
        case_id = leaver(world, started=world.today - timedelta(days=400), ended=world.today - timedelta(days=250),
                         result=ExitResult.JOB_SEEKING)
        record_follow_up(world.db, lead, case_id, load_case(world.db, case_id).version, answer,
                         world.today - timedelta(days=10))
    six = dict(funder_report(world.db, lead, world.today - timedelta(days=300), world.today).indicators)[
        "Sechs Monate nach dem Austritt"]
    assert six.loc["Sechs Monate nach dem Austritt vergangen", "Gesamt"] == 3
    assert six.loc["davon mit verbesserter Lage am Arbeitsmarkt", "Gesamt"] == 1
    assert six.loc[f"{label('persons_six_month_rate')} (%)", "Gesamt"] == round(100 / 3, 1)
    assert six.loc["Anteil erwerbstätig oder mit verbesserter Lage (%)", "Gesamt"] == round(200 / 3, 1)
    assert six.loc["davon mit verbesserter Lage am Arbeitsmarkt", "weiblich"] == 1


def test_funder_report_cli_and_pdf(world: World, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from db.__main__ import main
    from db.results.report import export_funder_report

    monkeypatch.setenv("DATABASE_URL", world.db.engine.url.render_as_string(hide_password=False))
    out = tmp_path / "bericht.csv"
    assert main(["funder-report", "--from", f"{world.today - timedelta(days=60)}",
                 "--to", f"{world.today}", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Kundennummer;Nachname;Vorname;Geschlecht") and len(lines) == 12
    assert ";Fälle;Gezählt;" in lines[0]
    pdf = tmp_path / "indikatoren.pdf"
    pdf.write_bytes(export_funder_report(world.db, world.actor("leitung"), world.today - timedelta(days=60),
                                         world.today, "pdf"))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / "seite")], check=True)
    assert (tmp_path / "seite.png").stat().st_size > 5_000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Verbleib bei Austritt" in text and "Sechs Monate nach dem Austritt" in text and "Nicht gezählt" in text


def test_only_the_lead_makes_the_funder_report(world: World) -> None:
    from db.errors import PermissionDenied
    from db.results.report import funder_report

    for user in ("begleiter1", "kreistag", "fallmanager1"):
        with pytest.raises(PermissionDenied):
            funder_report(world.db, world.actor(user), world.today - timedelta(days=30), world.today)


def test_the_follow_up_task_stops_asking_after_its_window(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from db.casework.results_tasks import FOLLOW_UP_WINDOW_DAYS

    ended = world.today - timedelta(days=200)
    leaver(world, ended=ended, result=ExitResult.EMPLOYED, started=ended - timedelta(days=90))
    due = follow_up_due(ended)
    for on, expected in ((due - timedelta(days=1), 0), (due, 1),
                         (due + timedelta(days=FOLLOW_UP_WINDOW_DAYS), 1),
                         (due + timedelta(days=FOLLOW_UP_WINDOW_DAYS + 1), 0)):
        monkeypatch.setattr(result_tasks_module, "today", lambda on=on: on)
        assert result_tasks(world.db, world.actor("leitung"))[1][FOLLOW_UP] == expected, on
