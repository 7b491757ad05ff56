"""The app as the data grow: statements per page stay bounded (no N+1, no full loads), and
aggregates are computed once per change of the data."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select
from streamlit.testing.v1 import AppTest

from db.store import memo
from db.figures import series as indicators
from db.casework.activities import record_activity
from db.casework.caseload import CaseFilter, caseload
from db.store.database import Database
from db.errors import PermissionDenied
from db.figures.series import Period
from db.store.migrate import upgrade
from db.store.models import Case
from db.demo.synthetic import generate
from db.vocabulary import ActivityKind, CaseStatus

from .conftest import ROOT, World, log_in

PAGES = ["pages/cases.py", "pages/case.py", "pages/referrals.py", "pages/agenda.py",
         "pages/dashboard.py", "pages/council.py", "pages/team.py", "pages/employers.py",
         "pages/office_hours.py"]


class Counter:
    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, *args: object) -> None:
        self.statements += 1


def statements_per_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cases: int) -> dict[str, int]:
    url = f"sqlite:///{tmp_path / f'scale{cases}.sqlite3'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    generate(db, cases, progress=lambda _: None)
    with db.read() as session:
        case_id = session.scalar(select(Case.id).where(Case.status == CaseStatus.ACTIVE).limit(1))
    db.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    import streamlit as st

    st.cache_resource.clear()
    memo.forget_all()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    log_in(at, "leitung")
    assert at.title[0].value == "Lagebild"
    counter = Counter()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        counts = {}
        for page in PAGES:
            at.query_params["id"] = str(case_id)
            at.switch_page(page).run()  # the first run of the page
            counter.statements = 0
            at.run()  # and a second one, as on any click
            assert not at.exception, (page, at.exception)
            counts[page] = counter.statements
        return counts
    finally:
        event.remove(Engine, "before_cursor_execute", counter)


def test_statements_per_page_run_do_not_grow_with_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          apptest_routing: None) -> None:
    monkeypatch.setenv("COOKIE_KEY", "s" * 48)
    monkeypatch.chdir(ROOT)
    small = statements_per_page(tmp_path, monkeypatch, 100)
    large = statements_per_page(tmp_path, monkeypatch, 2000)
    assert large == small, {p: (small[p], large[p]) for p in PAGES if small[p] != large[p]}
    assert all(n < 60 for n in large.values()), large


def test_aggregates_are_reused_until_the_data_change(world: World) -> None:
    lead = world.actor("leitung")
    period = Period()
    first = indicators.contacts(world.db, lead, period)
    counter = Counter()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        memo.data_stamp(world.db)
        stamp_only = counter.statements  # the stamp's SELECT (and SQLite's BEGIN)
        counter.statements = 0
        again = indicators.contacts(world.db, lead, period)
        assert counter.statements == stamp_only
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    assert again.equals(first)

    case = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    record_activity(world.db, lead, case.case_id, ActivityKind.PHONE)
    after = indicators.contacts(world.db, lead, period)
    assert after["count"].sum() == first["count"].sum() + 1


def test_a_cached_result_is_not_handed_to_an_actor_who_may_not_see_it(world: World) -> None:
    indicators.intake(world.db, world.actor("leitung"), Period())
    with pytest.raises(PermissionDenied):
        indicators.intake(world.db, world.actor("begleiter1"), Period())


def test_changing_a_returned_frame_does_not_change_the_cache(world: World) -> None:
    lead = world.actor("leitung")
    frame = indicators.barriers(world.db, lead, Period())
    frame.loc[:, "total"] = -1
    assert (indicators.barriers(world.db, lead, Period())["total"] >= 0).all()
    with world.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) > 0


def test_a_page_run_reads_the_data_stamp_once_for_all_its_figures(world: World) -> None:
    lead = world.actor("leitung")
    period = Period()
    indicators.contacts(world.db, lead, period)
    indicators.barriers(world.db, lead, period)
    counter = Counter()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        memo.data_stamp(world.db)
        stamp_only = counter.statements
        counter.statements = 0
        with memo.one_stamp(world.db):
            for _ in range(3):
                indicators.contacts(world.db, lead, period)
                indicators.barriers(world.db, lead, period)
        assert counter.statements == stamp_only  # six cached figures, one stamp
    finally:
        event.remove(Engine, "before_cursor_execute", counter)


def test_a_change_made_in_the_page_run_is_seen_by_its_next_figure(world: World) -> None:
    lead = world.actor("leitung")
    case = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    with memo.one_stamp(world.db):
        before = indicators.contacts(world.db, lead, Period())["count"].sum()
        record_activity(world.db, lead, case.case_id, ActivityKind.PHONE)
        assert indicators.contacts(world.db, lead, Period())["count"].sum() == before + 1
        record_activity(world.db, lead, case.case_id, ActivityKind.PHONE)  # pinned anew, and again
        assert indicators.contacts(world.db, lead, Period())["count"].sum() == before + 2


def test_a_change_from_elsewhere_is_seen_by_the_next_page_run(world: World) -> None:
    """Another session (here: another thread) changes data while a page run holds its stamp;
    the next page run shows it – the pin lasts one run, never longer."""
    lead = world.actor("leitung")
    case = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    with memo.one_stamp(world.db):
        before = indicators.contacts(world.db, lead, Period())["count"].sum()
        other = threading.Thread(target=record_activity, args=(world.db, lead, case.case_id, ActivityKind.PHONE))
        other.start()
        other.join()
    with memo.one_stamp(world.db):
        assert indicators.contacts(world.db, lead, Period())["count"].sum() == before + 1
