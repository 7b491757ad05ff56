"""Stichtag briefings (db.figures.briefings): the council's figures for a committee date.

The demo world ships the launch briefing (the article's 11 in accompaniment and 19 planned first
interviews); the lead releases a briefing for a day up to today that the calendar allows (none
within 28 days of another release's stocks, no correction of a released day), audited with every
release; stocks of one day or of days close together never show that one or two persons moved. The files
store numbers as numbers. Runs on both engines (`db` fixtures)."""

from __future__ import annotations

import io
import threading
import time
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.casework.cases import change_status
from db.clock import today
from db.demo.seed import next_on_or_after
from db.errors import PermissionDenied, ValidationError
from db.figures import briefings, releases
from db.figures.council import staff_on
from db.figures.disclosure import MARKS, SECONDARY_MARK, TOTAL, PublishedTable
from db.figures.feasibility import audit
from db.figures.stichtage import (NEIGHBOUR_DAYS, StockSet, day_key, day_of_key, is_day_key,
                                  premise_of, refuse_what_was_released_since, stock_differences)
from db.store.models import Case, CouncilRelease
from db.vocabulary import CaseStatus

from .conftest import World
from .helpers import audit_count

ACTIVE, EMPLOYED, PLANNED = "In Begleitung", "In Arbeit – Nachbetreuung", "Erstgespräche geplant"


def launch(world: World) -> briefings.DayRelease:
    stored = briefings.day_releases(world.db, world.actor("kreistag"))
    assert len(stored) == 1, stored
    return stored[0]


# --- the demo world ----------------------------------------------------------------------------

def test_the_demo_world_ships_the_launch_briefing_with_11_and_19(world: World) -> None:
    briefing = launch(world).briefing
    assert briefing.day == world.today
    assert briefing.table("stichtag").table.cell(ACTIVE, "Personen") == "11"
    assert briefing.table("geplant").table.cells == (("19",),)
    tiles = {t.label: t.value for t in briefing.stock_tiles}
    assert tiles[f"In Begleitung am {world.today:%d.%m.%Y}"] == "11"
    assert tiles[f"Erstgespräche geplant am {world.today:%d.%m.%Y}"] == "19"
    assert "11 Personen in Begleitung" in briefing.summary
    assert "19 Erstgespräche waren vereinbart" in briefing.summary
    # The team of that day: Bianca at work, Bruno starts in ten days, two positions from April.
    assert "Im Dienst ist 1 Integrationsbegleiter:in, 1 weitere Person beginnt in Kürze" in briefing.summary
    if next_on_or_after(world.today, 4, 1) != world.today:  # on 1 April their money starts today
        assert "Mittel für 2 weitere Stellen" in briefing.summary
    assert [place for place, _ in briefing.office_hours][:2] == [
        "Guben (Jobcenter, Geschäftsstelle Guben)", "Forst (Lausitz) (Jobcenter, Geschäftsstelle Forst)"]
    assert briefing.office_hours[0][1].startswith("seit ")
    assert briefing.office_hours[3][1] == "geplant, Beginn noch offen"
    # A quarter list stays a quarter list; the launch briefing is no quarter.
    assert releases.releases(world.db, world.actor("kreistag")) == []
    # Released through the service: audited, with its files.
    assert audit_count(world.db, action="release", entity="council_release") == 1


def test_the_launch_briefing_is_what_the_lead_would_release_today(world: World) -> None:
    """Nothing moved since: preparing the day again is the stored release, and releasing it twice
    is refused."""
    lead = world.actor("leitung")
    candidate = briefings.prepare_day(world.db, lead, world.today)
    assert candidate.unchanged and candidate.current is not None
    assert candidate.content_hash == launch(world).content_hash
    with pytest.raises(ValidationError, match="schon freigegeben"):
        briefings.release_day(world.db, lead, world.today, candidate.content_hash)


def test_the_excel_of_a_briefing_stores_numbers_as_numbers(world: World) -> None:
    stored = launch(world)
    data = releases.release_file(world.db, world.actor("kreistag"), stored.id, "xlsx")
    assert_numbers_are_numbers(data, stored.briefing.tables)


def assert_numbers_are_numbers(data: bytes, tables) -> None:  # type: ignore[no-untyped-def]
    """Every printed number is a numeric cell with the number; every mark stays text."""
    book = load_workbook(io.BytesIO(data))
    checked = 0
    for table in tables:
        sheet = next(s for s in book.worksheets if s["A1"].value == table.title)
        for r, (row, line) in enumerate(zip(table.table.rows, table.table.cells), start=6):
            assert sheet.cell(row=r, column=1).value == row
            for c, text in enumerate(line, start=2):
                cell = sheet.cell(row=r, column=c)
                if text in MARKS:
                    assert cell.data_type == "s" and cell.value == text, (table.title, row, text)
                else:
                    assert cell.data_type == "n" and isinstance(cell.value, int), (table.title, row, cell.value)
                    assert cell.value == int(text)
                    checked += 1
    assert checked, "no number was checked"


def test_the_excel_of_every_quarter_stores_numbers_as_numbers(released_world: World) -> None:
    council = released_world.actor("kreistag")
    stored = releases.releases(released_world.db, council)
    assert stored
    marks = 0
    for release in stored:
        assert_numbers_are_numbers(releases.release_file(released_world.db, council, release.id, "xlsx"),
                                   release.briefing.tables)
        marks += sum(len(t.table.hidden) for t in release.briefing.tables)
    assert marks, "no mark was checked: the released world hides nothing"


# --- releasing a Stichtag briefing --------------------------------------------------------------

def test_the_lead_releases_a_briefing_for_a_past_day_audited_and_frozen(released_world: World) -> None:
    db, lead, council = released_world.db, released_world.actor("leitung"), released_world.actor("kreistag")
    day = briefings.next_allowed(db, lead, released_world.today - timedelta(days=45))
    assert day is not None and day < released_world.today - timedelta(days=NEIGHBOUR_DAYS - 1)
    with pytest.raises(PermissionDenied):
        briefings.prepare_day(db, council, day)
    candidate = briefings.prepare_day(db, lead, day)
    assert candidate.current is None and not candidate.unchanged
    with pytest.raises(ValidationError, match="seit der Vorschau"):
        briefings.release_day(db, lead, day, "0" * 64)
    stored = briefings.release_day(db, lead, day, candidate.content_hash)
    assert stored.title == f"Lagebericht zum Stichtag {day:%d.%m.%Y}"
    with db.read() as session:
        row = session.get(CouncilRelease, stored.id)
        assert row is not None and row.period_key == day_key(day) and is_day_key(row.period_key)
    assert day_of_key(day_key(day)) == day
    # Everything printed together passes the audit a quarter release uses.
    every = {**{(r.id, t.slug): t.table for r in releases.releases(db, council) for t in r.briefing.tables},
             **{(d.id, t.slug): t.table for d in briefings.day_releases(db, council) for t in d.briefing.tables}}
    assert audit(every) == []
    assert {d.id for d in briefings.day_releases(db, council)} >= {stored.id}
    for name in ("pdf", "xlsx", "csv"):
        assert releases.release_file(db, council, stored.id, name)
    # The next quarter is audited with the briefing among the earlier releases.
    newest = releases.final_periods(db)[-1]
    again = releases.prepare(db, lead, newest.key)
    assert again.current is None


@pytest.mark.parametrize("offset, message", [(1, "in der Zukunft"), (None, "vor der ersten Zuweisung")])
def test_a_day_after_today_or_before_the_programme_is_refused(world: World, offset, message) -> None:  # type: ignore[no-untyped-def]
    lead = world.actor("leitung")
    day = today() + timedelta(days=offset) if offset else world.today - timedelta(days=400)
    with pytest.raises(ValidationError, match=message):
        briefings.prepare_day(world.db, lead, day)


def test_a_released_briefing_is_not_corrected(world: World) -> None:
    """One planned interview held today: the same day's stock moves by one. A second version of
    the launch briefing would show one person began today – whether its cell were printed or
    hidden by the difference rule ("•" exactly when it moved by 1 or 2). Refused, beside the
    date field, naming the nearest day allowed; nothing is stored."""
    db, lead = world.db, world.actor("leitung")
    with db.read() as session:
        case = session.scalars(select(Case).where(Case.status == CaseStatus.INTERVIEW_PLANNED)
                               .order_by(Case.id)).first()
        assert case is not None
        case_id, version = case.id, case.version
    change_status(db, world.actor("begleiter1"), case_id, version, CaseStatus.ACTIVE, on=world.today)
    with pytest.raises(ValidationError, match="wird nicht berichtigt") as refused:
        briefings.prepare_day(db, lead, world.today)
    assert refused.value.field == briefings.FIELD
    nearest = briefings.next_allowed(db, lead, world.today)
    assert nearest is not None and nearest <= world.today - timedelta(days=NEIGHBOUR_DAYS)
    assert f"Nächster möglicher Stichtag: {nearest:%d.%m.%Y}" in refused.value.message
    assert [d.id for d in briefings.day_releases(db, world.actor("kreistag"))] == [launch_id(world)]


def stored_ids(db) -> list[int]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return list(session.scalars(select(CouncilRelease.id).order_by(CouncilRelease.id)))


@pytest.mark.parametrize("storing, meanwhile", [("quarter", "day"), ("day", "quarter"), ("quarter", "quarter"),
                                               ("day", "day")])
def test_a_release_stored_meanwhile_refuses_the_one_being_stored(released_world: World, storing: str,
                                                                  meanwhile: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A release's audit, its calendar and what it corrects hold for the releases stored when
    it was prepared. Another release stored between that and the write – by another lead, on
    another server, of any kind – was in none of them: the write refuses, whatever either holds,
    and stores nothing (db.figures.stichtage.refuse_what_was_released_since)."""
    db, lead = released_world.db, released_world.actor("leitung")
    newest = releases.final_periods(db)[-1]
    day = briefings.next_allowed(db, lead, released_world.today - timedelta(days=45))
    assert day is not None
    other_day = briefings.next_allowed(db, lead, day - timedelta(days=2 * NEIGHBOUR_DAYS))
    assert other_day is not None and other_day < day - timedelta(days=NEIGHBOUR_DAYS)

    def release_meanwhile() -> None:
        if meanwhile == "quarter":
            releases.release(db, lead, newest.key, releases.prepare(db, lead, newest.key).content_hash)
        else:
            briefings.release_day(db, lead, other_day, briefings.prepare_day(db, lead, other_day).content_hash)

    module, name = (releases, "prepare") if storing == "quarter" else (briefings, "prepare_day")
    prepared = getattr(module, name)
    preview = prepared(db, lead, newest.key if storing == "quarter" else day)

    def prepared_then_released_elsewhere(*args, **kwargs):  # type: ignore[no-untyped-def]
        candidate = prepared(*args, **kwargs)
        monkeypatch.setattr(module, name, prepared)  # once: the release meanwhile prepares itself
        release_meanwhile()
        return candidate

    monkeypatch.setattr(module, name, prepared_then_released_elsewhere)
    before = stored_ids(db)
    with pytest.raises(ValidationError, match="Seit der Vorschau wurde eine Freigabe gespeichert"):
        if storing == "quarter":
            releases.release(db, lead, newest.key, preview.content_hash)
        else:
            briefings.release_day(db, lead, day, preview.content_hash)
    assert len(stored_ids(db)) == len(before) + 1  # the release meanwhile, and nothing of this one


def test_a_premise_missing_any_release_is_refused_even_with_the_newest(released_world: World) -> None:
    """The audit's lists come from two reads (quarters, Stichtage): a quarter stored between
    them and a briefing after it leave the audit without the quarter but with the newest id.
    Every set of releases short of all of them is refused, the full set passes."""
    db = released_world.db

    class Stored:
        def __init__(self, id: int) -> None:  # noqa: A002 - the attribute premise_of reads
            self.id = id

    ids = stored_ids(db)
    assert len(ids) >= 3
    for missing in ids[:-1]:
        with pytest.raises(ValidationError, match="Seit der Vorschau"):
            with db.write() as session:
                refuse_what_was_released_since(session, premise_of([Stored(i) for i in ids if i != missing]))
    with db.write() as session:
        refuse_what_was_released_since(session, premise_of([Stored(i) for i in ids]))


def test_two_writes_of_one_premise_are_stored_one_after_the_other(world: World) -> None:
    """Two leads store at the same moment, each audited against the same releases: the second
    waits until the first has committed and is then refused. Without the lock both checked
    before either committed, and both were stored (the first holds its transaction open until
    the second is done, or 3 s – a second that waits for the lock is not done)."""
    db, lead = world.db, world.actor("leitung")
    with db.read() as session:
        count, newest = session.execute(select(func.count(), func.max(CouncilRelease.id))).one()
    premise = (count, newest or 0)
    checked, second_done = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def first() -> None:
        with db.write() as session:
            refuse_what_was_released_since(session, premise)
            session.add(CouncilRelease(period_key=day_key(date(2000, 1, 3)), released_by_id=lead.id,
                                       content={}, content_hash="0" * 64))
            session.flush()
            checked.set()
            # Polled, not Event.wait(3): under faketime (the clock sweep) a timed wait takes its
            # deadline from the faked clock and never ends. A sleep is relative.
            for _ in range(60):
                if second_done.is_set():
                    break
                time.sleep(0.05)
        outcome["first"] = "stored"

    def second() -> None:
        for _ in range(600):  # polled, as above
            if checked.is_set():
                break
            time.sleep(0.05)
        try:
            with db.write() as session:
                refuse_what_was_released_since(session, premise)
            outcome["second"] = "passed"
        except ValidationError:
            outcome["second"] = "refused"
        finally:
            second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcome == {"first": "stored", "second": "refused"}


@pytest.mark.parametrize("before", [1, 5, NEIGHBOUR_DAYS - 1])
def test_a_day_close_to_a_released_briefing_is_refused_by_the_calendar(world: World, before: int) -> None:
    """Whatever the stocks hold: the refusal depends on the dates only, and names the nearest
    day allowed – which is allowed."""
    db, lead = world.db, world.actor("leitung")
    day = world.today - timedelta(days=before)
    with pytest.raises(ValidationError, match="weniger als 28 Tage") as refused:
        briefings.prepare_day(db, lead, day)
    message = refused.value.message
    assert refused.value.field == briefings.FIELD and f"Stichtag {world.today:%d.%m.%Y}" in message
    nearest = briefings.next_allowed(db, lead, day)
    assert nearest == world.today - timedelta(days=NEIGHBOUR_DAYS), nearest  # the demo began 40 days ago
    assert f"Nächster möglicher Stichtag: {nearest:%d.%m.%Y}" in message
    assert briefings.prepare_day(db, lead, nearest).current is None


def test_a_day_close_to_a_released_quarter_end_is_refused(released_world: World) -> None:
    db, lead = released_world.db, released_world.actor("leitung")
    newest = max(r.period for r in releases.releases(db, lead))
    for day in (newest.end, newest.end + timedelta(days=3), newest.end - timedelta(days=NEIGHBOUR_DAYS - 1)):
        with pytest.raises(ValidationError, match=f"Bestände am {newest.end:%d.%m.%Y}"):
            briefings.prepare_day(db, lead, day)
    assert briefings.next_allowed(db, lead, newest.end) not in (None, newest.end)


def test_a_quarter_beside_a_close_briefing_hides_its_stocks_whatever_they_hold(released_world: World) -> None:
    """A briefing a few days before a quarter's end, released before the quarter: the quarter's
    stock tables are wholly "•" with the same note whatever they hold – not the cells that moved
    by 1 or 2 (which the old rule hid)."""
    from db.figures.stichtage import STOCK_SLUGS

    db, lead = released_world.db, released_world.actor("leitung")
    newest = releases.final_periods(db)[-1]
    assert newest not in {r.period for r in releases.releases(db, lead)}, "the newest final quarter is not released"
    day = newest.end - timedelta(days=5)  # the calendar allows it: that quarter is not released yet
    candidate = briefings.prepare_day(db, lead, day)
    briefing = briefings.release_day(db, lead, day, candidate.content_hash)
    quarter = releases.prepare(db, lead, newest.key)
    for table in quarter.briefing.tables:
        if table.slug in STOCK_SLUGS:
            assert all(c == SECONDARY_MARK for line in table.table.cells for c in line), table.table.cells
            assert releases.WHATEVER_THEY_HOLD in table.explanation
            assert f"Freigabe Nr. {briefing.id}" in table.explanation
        else:
            assert releases.WHATEVER_THEY_HOLD not in table.explanation
    stored = releases.release(db, lead, newest.key, quarter.content_hash)
    assert stored.briefing.tables == quarter.briefing.tables


def launch_id(world: World) -> int:
    return min(d.id for d in briefings.day_releases(world.db, world.actor("kreistag")))


# --- the pairing rule, on tables as printed -------------------------------------------------------

def stock(active: str, employed: str, total: str) -> PublishedTable:
    return PublishedTable((ACTIVE, EMPLOYED, TOTAL), ("Personen",), ((active,), (employed,), (total,)), False, True)


@pytest.mark.parametrize("apart, exposed", [(0, True), (5, True), (NEIGHBOUR_DAYS - 1, True),
                                            (NEIGHBOUR_DAYS, False), (91, False)])
def test_stocks_of_close_days_may_not_differ_by_one_or_two(apart: int, exposed: bool) -> None:
    first, second = stock("11", "0", "11"), stock("12", "0", "12")
    day = date(2026, 12, 6)
    sets = [StockSet(1, day, False, {"stichtag": first}), StockSet(2, day + timedelta(days=apart), False,
                                                                   {"stichtag": second})]
    tables = {(1, "stichtag"): first, (2, "stichtag"): second}
    found = audit(tables, differences=stock_differences(sets))
    assert bool(found) is exposed, found
    # Hidden behind "•" with its sum hidden too, the same pair says nothing.
    safe = stock(SECONDARY_MARK, "0", SECONDARY_MARK)
    sets[1] = StockSet(2, sets[1].day, False, {"stichtag": safe})
    assert audit({(1, "stichtag"): first, (2, "stichtag"): safe}, differences=stock_differences(sets)) == []


def test_two_quarter_releases_are_left_to_the_quarter_rule() -> None:
    day = date(2026, 9, 30)
    sets = [StockSet(1, day, True, {"stichtag": stock("11", "0", "11")}),
            StockSet(2, day, True, {"stichtag": stock("12", "0", "12")}),
            StockSet(3, day, False, {"stichtag": stock("12", "0", "12")})]
    pairs = stock_differences(sets)
    assert {(a[0][0], b[0][0]) for a, b in pairs} == {(3, 1), (3, 2)}


# --- the team as of the Stichtag ----------------------------------------------------------------

def test_the_team_is_counted_as_of_the_stichtag(world: World) -> None:
    today = world.today
    now = staff_on(world.db, today)
    # Two positions funded since 90 days, two more from the next 1 April (today, on 1 April).
    april = 2 if next_on_or_after(today, 4, 1) == today else 0
    assert (now.working, now.starting, now.positions_total, now.positions_open) == (1, 1, 2 + april, april)
    later = staff_on(world.db, today + timedelta(days=10))  # Bruno has begun
    assert (later.working, later.starting) == (2, 0)
    before = staff_on(world.db, today - timedelta(days=100))  # before anyone was hired or funded
    assert (before.working, before.starting, before.positions_total) == (0, 0, 0)


def test_a_quarter_release_shows_the_team_of_its_last_day(released_world: World) -> None:
    for release in releases.releases(released_world.db, released_world.actor("kreistag")):
        assert f"Team am {release.period.end:%d.%m.%Y}:" in release.briefing.summary
