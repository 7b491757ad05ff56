"""The leavers of closed months kept as counted (db.results.kept_months) against the plain count.

The fast path reads closed months from `leaver_months`; the plain count reads every case. Over
histories made through the service functions (and the import), on both databases, both must
give the same rows – also after late entries land in closed months: a result, a six-month
answer, a gender, an end date moved to another month, a deleted event, an erased person, each
written by the services or by a statement by hand (the triggers see every writer) – and on an
earlier day than the one the months were kept on. The next optimisation of monthly_leavers is
held to the same comparison.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import delete, func, insert, select, text, update

from db.results import kept_months
from db.results.indicators import COLUMNS, monthly_leavers
from db.store.models import Case, Client, ExitOutcome, LeaverMonth, LeaverMonthCounted, LeaverMonthMark
from db.vocabulary import CaseStatus, ExitResult, FollowUpResult, Gender

from .conftest import World
from .helpers import history_of_the_demo_team


def _sorted(rows: list[tuple]) -> list[tuple]:  # as monthly_leavers orders its rows
    return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row[:7]))


def plain(world: World, on: date, ended_from: date | None = None, ended_to: date | None = None) -> list[tuple]:
    conditions = []
    if ended_from is not None:
        conditions.append(Case.end_date >= ended_from)
    if ended_to is not None:
        conditions.append(Case.end_date <= ended_to)
    with world.db.read() as session:
        return _sorted(kept_months.leaver_rows(session, conditions, on))


def fast(world: World, ended_from: date | None = None, ended_to: date | None = None) -> list[tuple]:
    return _sorted(kept_months.all_leaver_rows(world.db, ended_from, ended_to))


def assert_same(world: World, on: date) -> None:
    assert fast(world) == plain(world, on)
    # A period of parts of months, and one inside the closed months only.
    assert fast(world, on - timedelta(days=400), on - timedelta(days=15)) == \
        plain(world, on, on - timedelta(days=400), on - timedelta(days=15))
    first = kept_months.closed_until(on) - timedelta(days=200)
    assert fast(world, first, kept_months.closed_until(on)) == plain(world, on, first, kept_months.closed_until(on))


def closed_leaver(world: World, rng: random.Random) -> Case:
    """A counted leaver whose month is closed (kept)."""
    with world.db.read() as session:
        ids = list(session.scalars(select(Case.id).where(
            Case.status == CaseStatus.CLOSED, Case.start_date.is_not(None), Case.entry_complete.is_(True),
            Case.end_date <= kept_months.closed_until(world.today)).order_by(Case.id)))
        assert ids, "the history has no leaver in a closed month"
        case = session.get(Case, rng.choice(ids))
        session.expunge(case)
        return case


@pytest.fixture
def history(world: World) -> World:
    return history_of_the_demo_team(world, seed=23, cases=70, imported=8)


def test_kept_months_give_the_plain_count_also_after_late_entries_in_closed_months(history: World) -> None:
    world, on, rng = history, history.today, random.Random(5)
    assert_same(world, on)
    with world.db.read() as session:  # the fast path did keep months (else it compared nothing)
        assert session.scalar(select(func.count()).select_from(LeaverMonthCounted)) > 0
        assert session.scalar(select(func.count()).select_from(LeaverMonth)) > 0
        # Marks of closed months are gone with their count (open months keep theirs).
        assert session.scalar(select(func.count()).select_from(LeaverMonthMark).where(
            LeaverMonthMark.month <= kept_months.closed_until(on))) == 0

    def marks() -> int:
        with world.db.read() as session:
            return session.scalar(select(func.count()).select_from(LeaverMonthMark)) or 0

    def late(change) -> None:  # type: ignore[no-untyped-def]
        before = marks()
        with world.db.write() as session:
            change(session)
        assert marks() > before  # the database marked the month itself
        assert fast(world) == plain(world, on)
        assert_same(world, on)

    case = closed_leaver(world, rng)
    # A result recorded late (newer than the one that counted), by hand.
    late(lambda s: s.execute(insert(ExitOutcome).values(
        case_id=case.id, result=ExitResult.SELF_EMPLOYED, occurred_on=case.end_date + timedelta(days=27))))
    # The six-month answer, and then corrected.
    case = closed_leaver(world, rng)
    late(lambda s: s.execute(update(Case).where(Case.id == case.id).values(follow_up_result=FollowUpResult.EMPLOYED)))
    late(lambda s: s.execute(update(Case).where(Case.id == case.id).values(follow_up_result=FollowUpResult.UNREACHABLE)))
    # The gender of the person (another table than the case).
    case = closed_leaver(world, rng)
    late(lambda s: s.execute(update(Client).where(Client.id == case.client_id).values(gender=Gender.DIVERSE)))
    # The end moved into another closed month, then out of the closed months.
    case = closed_leaver(world, rng)
    late(lambda s: s.execute(update(Case).where(Case.id == case.id).values(end_date=case.end_date - timedelta(days=40))))
    late(lambda s: s.execute(update(Case).where(Case.id == case.id).values(end_date=on - timedelta(days=3))))
    # A case reopened (no leaver any more), and core data found incomplete.
    case = closed_leaver(world, rng)
    late(lambda s: s.execute(update(Case).where(Case.id == case.id).values(status=CaseStatus.ACTIVE)))
    case = closed_leaver(world, rng)
    late(lambda s: s.execute(update(Case).where(Case.id == case.id).values(entry_complete=False)))
    # Every event of a leaver deleted: the result falls back to open.
    case = closed_leaver(world, rng)
    late(lambda s: s.execute(delete(ExitOutcome).where(ExitOutcome.case_id == case.id)))


def test_kept_months_follow_the_services_and_an_erasure(history: World) -> None:
    from db.casework.entry import EntryData, save_entry_data
    from db.casework.outcomes import record_follow_up
    from db.privacy.erasure import erase_person

    world, on, rng = history, history.today, random.Random(8)
    lead = world.actor("leitung")
    assert_same(world, on)
    case = closed_leaver(world, rng)
    record_follow_up(world.db, lead, case.id, case.version, FollowUpResult.EMPLOYED, on)
    assert_same(world, on)
    case = closed_leaver(world, rng)
    save_entry_data(world.db, lead, case.id, case.version, EntryData(gender=Gender.MALE))
    assert_same(world, on)
    case = closed_leaver(world, rng)
    with world.db.read() as session:
        number = session.scalar(select(Client.client_number).where(Client.id == case.client_id))
    erase_person(world.db, lead, number, "Antrag nach Art. 17 DSGVO")
    assert_same(world, on)
    # The page's figure: the plain rows, in the figure's one order.
    frame = monthly_leavers.__wrapped__(world.db, lead)  # type: ignore[attr-defined]
    expected = pd.DataFrame(plain(world, on), columns=COLUMNS)
    pd.testing.assert_frame_equal(frame, expected)


def test_months_kept_on_a_later_day_are_right_on_an_earlier_one(history: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept rows hold for every day on which their month is closed: a clock set back (the
    calendar tests do) counts the months closed later as open ones."""
    world, on = history, history.today
    monkeypatch.setattr(kept_months, "today", lambda: on + timedelta(days=200))
    assert fast(world) == plain(world, on + timedelta(days=200))
    for back in (0, 45, 120):
        monkeypatch.setattr(kept_months, "today", lambda back=back: on - timedelta(days=back))
        assert fast(world) == plain(world, on - timedelta(days=back))


def test_a_truncate_forgets_every_kept_month(history: World) -> None:
    world = history
    assert_same(world, world.today)
    if world.db.is_sqlite:  # no TRUNCATE: a DELETE fires the row triggers
        with world.db.write() as session:
            session.execute(delete(ExitOutcome))
    else:
        with world.db.write() as session:
            session.execute(text("TRUNCATE exit_outcomes"))
        with world.db.read() as session:
            assert session.scalar(select(func.count()).select_from(LeaverMonthCounted)) == 0
    assert_same(world, world.today)


SQLITE = {"leaver_months_case_insert", "leaver_months_case_update", "leaver_months_case_delete",
          "leaver_months_outcome_insert", "leaver_months_outcome_update", "leaver_months_outcome_delete",
          "leaver_months_client_update"}
POSTGRES = {"leaver_months_case", "leaver_months_outcome", "leaver_months_client", "leaver_months_truncate_cases",
            "leaver_months_truncate_clients", "leaver_months_truncate_outcomes"}


def test_the_marking_triggers_are_there_at_the_head(db) -> None:  # type: ignore[no-untyped-def]
    """A later migration that rebuilds cases, clients or exit_outcomes (SQLite's batch mode)
    drops their triggers, and kept months would silently go stale: this finds it."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            names = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            assert SQLITE <= names
        else:
            names = set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
            assert POSTGRES <= names
