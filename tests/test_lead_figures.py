"""The lead's figures shown at once from the last count, recounted off the request path
(db.store.recount): the stamp on the page, one's own change on one's own pages at once, a change
elsewhere within a minute (the clock driven by moving the count back, never by sleeping), no
figure for a revoked account, one recount for two app servers, and no name in any snapshot."""

from __future__ import annotations

import os
import pickle
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select, update

from db.casework.activities import record_activity
from db.casework.caseload import CaseFilter, case_detail, caseload
from db.casework.cases import NewPlacement, change_status
from db.clock import as_local
from db.figures.kpis import kpis
from db.figures.series import Period, contacts
from db.store import memo, recount
from db.store.database import Database
from db.store.models import Client, Employer, FigureSnapshot, User
from db.vocabulary import ActivityKind, CaseStatus, JobKind

from .conftest import World, load_demo, log_in
from .helpers import age_snapshots

# The lead's case list too: the line of figures over it counts every case (db/figures/kpis.case_list_figures).
LEAD_PAGES = ["pages/dashboard.py", "pages/results.py", "pages/team.py", "pages/cases.py"]


@contextmanager
def page_run(db: Database) -> Iterator[None]:
    """As app.py wraps a page run."""
    with memo.one_stamp(db), recount.figures_as_of():
        yield


def an_active_case(world: World) -> tuple[int, int]:
    row = caseload(world.db, world.actor("leitung"), CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    return row.case_id, row.version


@pytest.fixture(autouse=True)
def _fresh_process_memory() -> None:
    recount.settle()
    recount.forget_local()
    memo.forget_all()


def test_a_lead_sees_the_last_count_until_a_minute_passed_then_the_recount(world: World) -> None:
    lead = world.actor("leitung")
    case_id, _ = an_active_case(world)
    with page_run(world.db):
        before = contacts(world.db, lead, Period())["count"].sum()
        first_count = recount.shown_as_of()
    assert first_count is not None
    record_activity(world.db, lead, case_id, ActivityKind.PHONE)

    with page_run(world.db):  # within the minute: the last count, nothing recounted
        assert contacts(world.db, lead, Period())["count"].sum() == before
        assert recount.shown_as_of() == first_count
    recount.settle()
    with page_run(world.db):
        assert contacts(world.db, lead, Period())["count"].sum() == before

    age_snapshots(world.db)
    with page_run(world.db):  # a minute later: still the last count at once, the recount asked for
        assert contacts(world.db, lead, Period())["count"].sum() == before
    recount.settle()
    with page_run(world.db):
        assert contacts(world.db, lead, Period())["count"].sum() == before + 1
        assert recount.shown_as_of() > first_count - timedelta(seconds=61)
    # Outside a page run (reports, the command line) and for a companion: always exact.
    assert contacts(world.db, lead, Period())["count"].sum() == before + 1


def test_nothing_is_recounted_while_nobody_looks(world: World) -> None:
    lead = world.actor("leitung")
    case_id, _ = an_active_case(world)
    with page_run(world.db):
        kpis(world.db, lead)
    record_activity(world.db, lead, case_id, ActivityKind.PHONE)
    age_snapshots(world.db)
    with world.db.read() as session:
        before = set(session.execute(select(FigureSnapshot.key, FigureSnapshot.counted_at)).all())
    recount.settle()
    with world.db.read() as session:
        assert set(session.execute(select(FigureSnapshot.key, FigureSnapshot.counted_at)).all()) == before


def test_ones_own_change_shows_at_once_on_the_own_pages(world: World) -> None:
    """The case list and the case page are exact for everybody, in a page run too; only the
    lead's aggregates may lag (and say when they were counted)."""
    lead = world.actor("leitung")
    companion = world.actor("begleiter1")
    rows = caseload(world.db, companion, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows
    case_id, version = rows[0].case_id, rows[0].version
    with world.db.read() as session:
        employer_id = session.scalar(select(Employer.id).limit(1))
    with page_run(world.db):
        lead_before = kpis(world.db, lead)
        caseload(world.db, companion, CaseFilter(), limit=500)
        case_detail(world.db, companion, case_id)
    change_status(world.db, companion, case_id, version, CaseStatus.EMPLOYED,
                  placement=NewPlacement(employer_id=employer_id, start_date=None, job_kind=JobKind.FULL_TIME))
    with page_run(world.db):
        listed = caseload(world.db, companion, CaseFilter(), limit=500).rows
        assert next(r for r in listed if r.case_id == case_id).status == CaseStatus.EMPLOYED
        assert case_detail(world.db, companion, case_id).status == CaseStatus.EMPLOYED
        assert kpis(world.db, lead) == lead_before  # the lead's aggregates: up to a minute old
        assert recount.shown_as_of() is not None
    assert kpis(world.db, lead) != lead_before  # exact outside a page run: the change counted


def test_the_payload_is_refused_unless_an_app_server_signed_it(world: World) -> None:
    lead = world.actor("leitung")
    with page_run(world.db):
        exact = contacts(world.db, lead, Period())
    forged = bytes(32) + pickle.dumps(pd.DataFrame({"week": [], "kind": [], "count": []}))
    with world.db.write() as session:
        session.execute(update(FigureSnapshot).values(payload=forged))
    recount.forget_local()
    with page_run(world.db):
        shown = contacts(world.db, lead, Period())
    pd.testing.assert_frame_equal(shown, exact)


def test_without_an_own_audit_key_nothing_is_shared_or_unpickled(
        world: World, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The development key is published: a payload signed with it by whoever can write the
    database would run code when unpickled. Without AUDIT_KEY the figures are exact, no
    snapshot is written, and a planted one is never opened."""
    import hashlib
    import hmac

    from db.settings import DEVELOPMENT_AUDIT_KEY

    class Planted:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (open, (str(tmp_path / "ran"), "w"))

    monkeypatch.delenv("AUDIT_KEY", raising=False)
    lead = world.actor("leitung")
    with page_run(world.db):
        exact = contacts(world.db, lead, Period())
        assert recount.shown_as_of() is None  # counted exactly: no "Stand"
    with world.db.read() as session:
        assert session.scalars(select(FigureSnapshot)).all() == []
    key = hmac.new(DEVELOPMENT_AUDIT_KEY.encode(), b"figure-snapshots", hashlib.sha256).digest()
    body = pickle.dumps(Planted())
    assert recount._opened(hmac.new(key, body, hashlib.sha256).digest() + body) == (False, None)
    assert not (tmp_path / "ran").exists()
    with page_run(world.db):
        pd.testing.assert_frame_equal(contacts(world.db, lead, Period()), exact)


def _strings(value: object, seen: set[int] | None = None) -> set[str]:
    """Every text inside a figure: frames (cells, columns, index), dataclasses, containers."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return set()
    seen.add(id(value))
    if isinstance(value, str):
        return {value}
    if isinstance(value, pd.DataFrame):
        out = {str(c) for c in value.columns} | {str(i) for i in value.index}
        for column in value.columns:
            out |= {v for v in value[column].tolist() if isinstance(v, str)}
        return out
    if isinstance(value, pd.Series):
        return {v for v in value.tolist() if isinstance(v, str)} | {str(i) for i in value.index}
    if is_dataclass(value):
        return set().union(*(_strings(getattr(value, f.name), seen) for f in fields(value)))
    if isinstance(value, dict):
        return set().union(*(_strings(k, seen) | _strings(v, seen) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return set().union(*(_strings(v, seen) for v in value))
    return set()


def read_app_database(read):  # type: ignore[no-untyped-def]
    """read(session) on the database of the app under AppTest (DATABASE_URL, set by db_url)."""
    db = Database.from_url(os.environ["DATABASE_URL"])
    try:
        with db.read() as session:
            return read(session)
    finally:
        db.dispose()


def test_no_snapshot_holds_a_name(app) -> None:  # type: ignore[no-untyped-def]
    """Every page of the lead opened: what the shared table holds are aggregates, no client's
    and no staff member's name (those lists stay exact, never copied into figure_snapshots)."""
    at = log_in(app, "leitung")
    for path in LEAD_PAGES:
        at.switch_page(path).run()
        assert not at.exception, at.exception
    payloads, names = read_app_database(lambda session: (
        session.scalars(select(FigureSnapshot.payload)).all(),
        {n for row in session.execute(select(Client.first_name, Client.last_name)) for n in row}
        | set(session.scalars(select(User.display_name)))))
    assert payloads and names
    texts: set[str] = set()
    for payload in payloads:
        texts |= _strings(pickle.loads(payload[32:]))
    assert {t for t in texts for n in names if n and n in t} == set()


@pytest.mark.parametrize("path", LEAD_PAGES)
def test_each_lead_page_says_when_its_figures_were_counted(app, path: str) -> None:  # type: ignore[no-untyped-def]
    at = log_in(app, "leitung")
    at.switch_page(path).run()
    assert not at.exception, at.exception
    counts = read_app_database(lambda session: session.scalars(select(FigureSnapshot.counted_at)).all())
    stands = [c.value for c in at.caption if c.value.startswith("Stand ")]
    assert len(stands) == 1, [c.value for c in at.caption]
    shown = re.match(r"Stand (\d\d:\d\d:\d\d) \(Ortszeit\)", stands[0])
    assert shown and shown.group(1) in {f"{as_local(c):%H:%M:%S}" for c in counts}
    assert [b for b in at.button if b.label == "Aktualisieren"]


def test_a_page_without_lead_figures_shows_no_stamp(app) -> None:  # type: ignore[no-untyped-def]
    at = log_in(app, "begleiter1")
    at.switch_page("pages/cases.py").run()
    assert not [c for c in at.caption if c.value.startswith("Stand ")]


def test_a_revoked_account_sees_no_figure(app) -> None:  # type: ignore[no-untyped-def]
    at = log_in(app, "leitung")
    assert at.title[0].value == "Lagebild" and at.metric
    db = Database.from_url(os.environ["DATABASE_URL"])
    try:
        with db.write() as session:
            session.execute(update(User).where(User.username == "leitung").values(active=False))
    finally:
        db.dispose()
    at.run()
    assert not at.metric
    assert not [c for c in at.caption if c.value.startswith("Stand ")]
    assert [t for t in at.text_input if t.key == "login_username"]


def test_two_app_servers_share_one_recount(postgres_db: Database) -> None:
    """Two Database objects on one PostgreSQL database, as two app servers: both want the same
    stale figure recounted at the same moment; one counts, the other shows its result."""
    world = World(db=postgres_db, today=load_demo(postgres_db))
    other = Database.from_url(postgres_db.engine.url.render_as_string(hide_password=False))
    try:
        lead = world.actor("leitung")
        case_id, _ = an_active_case(world)
        with page_run(postgres_db):
            before = contacts(postgres_db, lead, Period())["count"].sum()
        record_activity(postgres_db, lead, case_id, ActivityKind.PHONE)
        age_snapshots(postgres_db)
        with postgres_db.read() as session:
            key = session.scalar(select(FigureSnapshot.key))
        counted: list[str] = []
        start = threading.Barrier(2)
        won: dict[str, bool] = {}

        def server(name: str, db: Database) -> None:
            def compute() -> object:
                counted.append(name)
                return contacts.exact(db, lead, Period())  # type: ignore[attr-defined]
            start.wait()
            won[name] = recount.recount(db, key, compute)

        threads = [threading.Thread(target=server, args=(n, d)) for n, d in (("a", postgres_db), ("b", other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(won.values()) == [False, True] and len(counted) == 1
        recount.forget_local()  # the other server has not unpickled anything yet
        with page_run(other):
            assert contacts(other, lead, Period())["count"].sum() == before + 1
        # Within the minute after that recount neither server recounts again.
        assert not recount.recount(other, key, lambda: pytest.fail("counted twice"))
        assert not recount.recount(postgres_db, key, lambda: pytest.fail("counted twice"))
    finally:
        other.dispose()


def test_read_ahead_takes_the_stamp_and_the_ages_in_one_connection_and_a_write_reads_anew(world: World) -> None:
    """db.store.recount.read_ahead: the figures drawn from it are the ones read without it, the
    run's stamp and the snapshots' ages come from one checked-out connection, and a change made
    in the run after it is seen (the stamp read anew)."""
    from sqlalchemy import event

    from db.casework.worklist import needs_action

    lead = world.actor("leitung")
    case_id, _ = an_active_case(world)
    with page_run(world.db):
        expected = kpis(world.db, lead), needs_action(world.db, lead)
    checkouts: list[object] = []

    def checked_out(*connection: object) -> None:
        checkouts.append(connection)

    event.listen(world.db.engine, "checkout", checked_out)
    try:
        with page_run(world.db):
            recount.read_ahead(world.db)
            assert len(checkouts) == 1
            assert (kpis(world.db, lead), needs_action(world.db, lead)) == expected
            assert len(checkouts) == 1  # both from what read_ahead read, and the kept values
            record_activity(world.db, lead, case_id, ActivityKind.PHONE)  # a write in this run
            stamp = memo._stamp(world.db)
            recount.read_ahead(world.db)  # nothing left to read ahead: the stamp is this write's
            assert memo._stamp(world.db) == stamp == memo.data_stamp(world.db)
    finally:
        event.remove(world.db.engine, "checkout", checked_out)


def test_the_summarised_leavers_are_the_summary_of_the_leavers(world: World) -> None:
    from db.results.indicators import leaver_summary, monthly_leavers, summarised_leavers

    lead = world.actor("leitung")
    start = world.today - timedelta(days=400)
    for args, kwargs in (((), {}), ((None, None), {"ended_from": start, "ended_to": world.today})):
        with page_run(world.db):
            kept = summarised_leavers(world.db, lead, *args, **kwargs)
            assert recount.shown_as_of() is not None  # a lead figure: kept, with its age
        exact = leaver_summary(monthly_leavers(world.db, lead, *args, **kwargs))
        assert kept.figures == exact.figures and kept.by_gender == exact.by_gender
        pd.testing.assert_frame_equal(kept.quarters, exact.quarters)
