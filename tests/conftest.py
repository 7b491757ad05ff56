"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

PostgreSQL tests use TEST_DATABASE_URL (a server with a maintenance database). They create their
own uniquely named database once per run and drop it at the end; between tests every table is
emptied. Without a reachable server they skip, unless REQUIRE_POSTGRES=1 (CI) turns that into
a failure.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The services' "today" is the day in Brandenburg (db.clock); tests compare it with date.today().
# Run them in that zone, or every test fails between midnight in Berlin and midnight UTC.
os.environ["TZ"] = "Europe/Berlin"
time.tzset()
# The audit chain's key as a deployment has one (production refuses to run without it); the
# attack tests re-chain with the published development key and must be caught.
os.environ.setdefault("AUDIT_KEY", "test-audit-key-" + "x" * 40)

from argon2 import PasswordHasher, Type  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from db.accounts import passwords as passwords_module
from db.actors import Actor
from db.store.database import Database
from db.demo.seed import seed_demo
from db.store.migrate import upgrade
from db.store.models import Base, User

from .servers import PostgresServer, first_run, start_app, stop, wait_healthy

if TYPE_CHECKING:
    import pandas as pd
    from streamlit.testing.v1 import AppTest

TEST_PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


# argon2id at the least cost it allows (8 KiB, one pass): the tests check behaviour, not hashing
# cost. Set for each test in this process only; app servers started by tests hash as shipped.
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords_module, "ARGON2", CHEAP_ARGON2)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(TEST_PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"PostgreSQL unter {TEST_PG_URL} nicht erreichbar: {exc.__class__.__name__}"


# --- the calendar ---------------------------------------------------------------------------------
# Tests whose expectations depend on the date: the demo world's plans and positions, forecasts,
# periods and quarters, releases, figures per month or week, due dates. tests/clock_sweep.py
# (CI, `make test-days`) runs them again on the days that break date assumptions. A file listed
# here is marked whole; any test using a released world is marked wherever it is; a single test
# elsewhere can say @pytest.mark.calendar.
CALENDAR_FILES = {
    "test_agenda", "test_briefings", "test_caseload", "test_chart_locale", "test_companion_day", "test_council",
    "test_demo", "test_export", "test_feasibility", "test_kpis", "test_office_hours", "test_pages",
    "test_recount", "test_results", "test_results_pages", "test_series", "test_team",
    "test_worklist",
}
CALENDAR_FIXTURES = {"released_world"}
BROWSER_FIXTURES = {"browser"}  # `page` (a browser tab) needs it; a parameter named "page" does not


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        fixtures = set(getattr(item, "fixturenames", ()))
        if module in CALENDAR_FILES or CALENDAR_FIXTURES & fixtures:
            item.add_marker(pytest.mark.calendar)
        if BROWSER_FIXTURES & fixtures:  # wherever a test drives Chromium, not only where it says so
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    problem = _postgres_reachable()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(problem + " (REQUIRE_POSTGRES=1)")
        pytest.skip(problem)
    server = PostgresServer(TEST_PG_URL)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_migrated(postgres_server: PostgresServer) -> str:
    url = postgres_server.create_database()
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_db(_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "app.sqlite3"
    shutil.copy(_sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def postgres_db(_postgres_migrated: str) -> Iterator[Database]:
    db = Database.from_url(_postgres_migrated)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    # The audit log and the council's releases refuse TRUNCATE: lifted for the reset only.
    guards = {"audit_log": "audit_log_no_truncate",
              **{t: f"{t}_no_truncate" for t in ("council_releases", "council_release_files")}}
    with db.engine.begin() as conn:
        for table, trigger in guards.items():
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table, trigger in guards.items():
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test runs against both engines."""
    return request.getfixturevalue(f"{request.param}_db")


@dataclass
class World:
    """The demo world of the article, with a handle on each demo account."""

    db: Database
    today: date

    def actor(self, username: str) -> Actor:
        with self.db.read() as session:
            user = session.query(User).filter_by(username=username).one()
            return Actor.of(user)

    def user_id(self, username: str) -> int:
        actor = self.actor(username)
        assert actor.id is not None
        return actor.id


# Worlds built once per test run, day and engine – a SQLite file, or the rows of every table for
# PostgreSQL – and copied into each test's empty database instead of built anew: the same build
# on the same day gives the same world, and building is most of a test's time (the demo world
# ~1.5 s on PostgreSQL, a released year ~25 s; a copy ~0.1 s). The workers of one run share them
# through files in the run's temporary folder: the first to need a world builds it (the others
# wait for it under a lock), so a run builds each world once, not once per worker – the clock
# sweep runs the calendar's tests eleven times, each run building the released year anew.
_SNAPSHOTS: dict[tuple[str, str, date], object] = {}
_SHARED: list[Path] = []  # the run's folder of built worlds (set by _shared_worlds)


@pytest.fixture(scope="session", autouse=True)
def _shared_worlds(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> None:
    """The folder all workers of this run share (the parent of the workers' own folders)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base if worker_id == "master" else base.parent) / "worlds"
    folder.mkdir(exist_ok=True)
    _SHARED[:] = [folder]


DERIVED_TABLES = {"leaver_months", "leaver_months_counted", "leaver_month_marks"}


@dataclass
class _Rows:
    rows: list[tuple[str, list[dict[str, object]]]]  # (table, its rows)
    sequences: list[tuple[str, str]]  # (sequence, table) to move past the copied ids


def _from_snapshot(db: Database, name: str, today: date, build: Callable[[], None]) -> None:
    """Fill db (empty, migrated) with the world `build` makes: built on first use in this run,
    copied after."""
    backend = db.engine.url.get_backend_name()
    key = (name, backend, today)
    built = False
    if key not in _SNAPSHOTS:
        file = _SHARED[0] / f"{name}-{backend}-{today.isoformat()}"
        with open(file.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
            if built := not file.exists():
                build()
                _save_world(db, file)
        _SNAPSHOTS[key] = file if backend == "sqlite" else _load_rows(file)
    if not built:  # the world built here is in db already
        _copy_world(db, _SNAPSHOTS[key])


def _save_world(db: Database, file: Path) -> None:
    """What db holds, to `file` (written whole, then renamed: never read half-written)."""
    import pickle
    import sqlite3

    partial = file.with_suffix(".partial")
    if db.engine.url.get_backend_name() == "sqlite":
        path = db.engine.url.database
        assert path
        with sqlite3.connect(path) as live, sqlite3.connect(partial) as target:
            live.backup(target)
    else:
        with db.engine.connect() as conn:
            # The kept leaver months are derived (db.results.kept_months): not copied – the
            # triggers mark every month again as the cases are copied in, and they are counted anew.
            rows = [(t.name, [dict(r) for r in conn.execute(t.select()).mappings()])
                    for t in Base.metadata.sorted_tables if t.name not in DERIVED_TABLES]
            sequences = [(seq, t.name) for t in Base.metadata.sorted_tables if "id" in t.c
                         and (seq := conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": t.name}))]
        partial.write_bytes(pickle.dumps(_Rows(rows, sequences)))
    partial.rename(file)


def _load_rows(file: Path) -> _Rows:
    import pickle

    rows = pickle.loads(file.read_bytes())
    assert isinstance(rows, _Rows)
    return rows


def _copy_world(db: Database, snapshot: object) -> None:
    import sqlite3

    if isinstance(snapshot, Path):
        path = db.engine.url.database
        assert path
        db.engine.dispose()
        with sqlite3.connect(str(snapshot)) as source, sqlite3.connect(path) as live:
            source.backup(live)
        return
    assert isinstance(snapshot, _Rows)
    with db.engine.begin() as conn:
        for table, rows in snapshot.rows:
            if rows:
                conn.execute(Base.metadata.tables[table].insert(), rows)
        for sequence, table in snapshot.sequences:
            conn.execute(text(f"SELECT setval('{sequence}', COALESCE((SELECT max(id) FROM \"{table}\"), 0) + 1, false)"))


def load_demo(db: Database) -> date:
    """The demo world of today into db (empty, migrated), from the run's snapshot; its day."""
    today = date.today()
    _from_snapshot(db, "demo", today, lambda: seed_demo(db, today=today))
    return today


@pytest.fixture
def world(db: Database) -> World:
    return World(db=db, today=load_demo(db))


def history_end(today: date) -> date:
    """The last day of the newest quarter that is final on `today`. A generated history that
    ends there falls into the same quarters, with the same events in each, on every day of the
    year: the released tables (and which of their cells are printed) do not depend on the date
    the tests run on."""
    from db.figures.periods import ReportingPeriod

    period = ReportingPeriod.containing(today)
    while period.final_from > today:
        period = ReportingPeriod.containing(period.start - timedelta(days=1))
    return period.end


def release_final_quarters(world: World, leave_last: bool = True) -> None:
    """A year of history (through the service functions) behind the demo world, and every final
    quarter released by the lead – all but the newest, unless `leave_last` is False."""
    from db.figures import releases

    from .helpers import programme_through_services

    actors = {role: world.actor(name) for role, name in (
        ("companion", "begleiter1"), ("case_manager", "fallmanager1"), ("lead", "leitung"),
        ("council", "kreistag"))}
    programme_through_services(world.db, random.Random(4), 70, history_end(world.today) + timedelta(days=1),
                               8, actors=actors)
    periods = releases.final_periods(world.db)
    for period in periods[:-1] if leave_last else periods:
        candidate = releases.prepare(world.db, actors["lead"], period.key)
        releases.release(world.db, actors["lead"], period.key, candidate.content_hash)


@pytest.fixture
def released_world(db: Database) -> World:
    """The demo world with a year of history behind it, every final quarter but the newest released."""
    world = World(db=db, today=date.today())

    def build() -> None:
        seed_demo(db, today=world.today)
        release_final_quarters(world)
    _from_snapshot(db, "released", world.today, build)
    return world


# --- the real app in a real browser ------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@dataclass
class RunningApp:
    url: str
    db_url: str


def app_env(db_url: str) -> dict[str, str]:
    """A test app server's environment: its own database, a test cookie key, demo data, never
    production. It runs in UTC, as most servers do: the programme's day is Brandenburg's through
    db/clock.py, and a reading of the server's own clock shows here (tests/test_clock_use.py)."""
    env = {**os.environ, "DATABASE_URL": db_url, "COOKIE_KEY": "t" * 48, "DEMO_DATA": "1", "TZ": "UTC"}
    env.pop("APP_ENV", None)
    return env


@pytest.fixture
def running_app(tmp_path: Path) -> Iterator[RunningApp]:
    """`streamlit run app.py` on a free port with its own SQLite file (demo data on start)."""
    db_url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    url, proc = start_app(app_env(db_url), tmp_path / "streamlit.log")
    try:
        wait_healthy(url, proc, tmp_path / "streamlit.log", seconds=60)
        first_run(url)
        yield RunningApp(url=url, db_url=db_url)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} fehlt (in CI installiert .ci/run das Paket chromium)")
        pytest.skip(f"{CHROMIUM} nicht installiert (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    # What the browser showed when the test gave up – taken here, right after the test body and
    # before any fixture is torn down. (Taken in the page fixture's teardown it came after the
    # app server had been stopped, and every such picture showed "CONNECTING": misleading.)
    report = yield
    page = item.funcargs.get("page") if report.when == "call" and report.failed else None
    if page is not None:
        FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(FAILURE_SHOTS / f"{item.name}.png"))
        (FAILURE_SHOTS / f"{item.name}.log").write_text("\n".join(page.journal) + "\n")
    return report


def _keep_journal(page) -> None:  # type: ignore[no-untyped-def]
    """What the page did, for the failure report: console lines (Streamlit's own log at INFO:
    its connection states), navigations, websockets opened and closed, requests that failed.
    Written next to the failure picture."""
    start = time.monotonic()
    journal: list[str] = []
    page.journal = journal
    note = lambda text: journal.append(f"{time.monotonic() - start:7.2f} {text}")  # noqa: E731
    # (Streamlit also logs objects, which arrive as a bare "e": left out.)
    page.on("console", lambda m: len(m.text) > 2 and note(f"console.{m.type}: {m.text}"))
    page.on("framenavigated", lambda f: f == page.main_frame and note(f"navigated {f.url}"))
    page.on("requestfailed", lambda r: note(f"request failed {r.url}: {r.failure}"))

    def websocket(ws) -> None:  # type: ignore[no-untyped-def]
        note(f"websocket open {ws.url}")
        ws.on("close", lambda _: note(f"websocket closed {ws.url}"))
        ws.on("socketerror", lambda e: note(f"websocket error {ws.url}: {e}"))
        ws.on("framesent", lambda payload: note(f"sent {_back_message(payload)}"))
        ws.on("framereceived", lambda payload: (text := _forward_message(payload)) and note(f"received {text}"))
    page.on("websocket", websocket)


def _back_message(payload: bytes | str) -> str:
    """A rerun request as the journal shows it: page, query and the widget values sent."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
    if message.WhichOneof("type") != "rerun_script":
        return str(message.WhichOneof("type"))
    state = message.rerun_script
    widgets = []
    for w in state.widget_states.widgets:
        kind, name = w.WhichOneof("value"), w.id.rsplit("-", 1)[-1]
        value = "***" if "password" in name else str(getattr(w, kind)).replace("\n", " ")[:30] if kind else ""
        widgets.append(f"{name}={value}")
    return f"rerun page={state.page_name!r} query={state.query_string!r} [{', '.join(widgets)}]"


def _forward_message(payload: bytes | str) -> str | None:
    """Only the messages that mark a script run's start and end."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
    kind = message.WhichOneof("type")
    if kind == "new_session":
        return "run started"
    if kind == "script_finished":
        return f"run finished ({ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)})"
    return None


# Counts, in the page, the script runs the app asked the server for and those answered: reruns
# sent (BackMsg.rerun_script, field 11) and runs that began (ForwardMsg.new_session, 4) and ended
# (script_finished, 6 – not "early for rerun", 2). A run answers every rerun asked for before it
# began. tests/test_browser.settled waits until all are answered: the page's own "running" mark
# appears only once the server has started the run, too late for a test that acts right after a
# click. Read from the websocket's bytes with a minimal protobuf reader (top-level fields only).
RUN_TRACKER = """
(() => {
  const runs = window.__runs = {asked: 0, started: 0, answered: 0};
  const varint = (b, i) => {
    let value = 0, shift = 0, byte;
    do { byte = b[i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, i];
  };
  const fields = (b) => {
    const found = new Map();
    let i = 0;
    while (i < b.length) {
      let tag, value = null;
      [tag, i] = varint(b, i);
      const wire = tag & 7;
      if (wire === 0) [value, i] = varint(b, i);
      else if (wire === 2) { let length; [length, i] = varint(b, i); i += length; value = true; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else break;
      found.set(Math.floor(tag / 8), value);
    }
    return found;
  };
  const bytes = (d) => d instanceof ArrayBuffer ? new Uint8Array(d)
    : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : null;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const b = bytes(data);
    if (b && fields(b).has(11)) runs.asked += 1;
    return send.call(this, data);
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const b = bytes(event.data);
        if (!b) return;
        const f = fields(b);
        if (f.has(4)) runs.started = runs.asked;
        if (f.has(6) && f.get(6) !== 2) runs.answered = runs.started;
      });
    }
  };
})();
"""


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    # Streamlit's frontend logs its connection states at INFO (loglevel keeps the level here).
    context.add_init_script("try { localStorage.setItem('loglevel', 'INFO') } catch (e) {}")
    context.add_init_script(RUN_TRACKER)
    page = context.new_page()
    page.set_default_timeout(20_000)
    _keep_journal(page)
    yield page
    context.close()


FAILURE_SHOTS = Path(__file__).resolve().parent.parent / "screenshots" / "failed"


@pytest.fixture
def apptest_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest route through app.py's st.navigation, as the running server does.

    AppTest forgets before every run that st.navigation is in use and then treats the files in
    pages/ as stand-alone pages again (the server forgets that only once, at start; see
    pages.ui.navigation.route_through_app). Widget ids would then change between runs.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init_without_pages_directory(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_pages_directory)


# --- pages through Streamlit's AppTest ---------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apptest_routing: None) -> str:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_DATA", "1")
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()  # a fresh engine (and credentials) for this test's database
    return url


@pytest.fixture
def app(db_url: str, _sqlite_template: Path) -> "AppTest":
    """app.py after its first run on the demo world. The world is copied in from the run's
    snapshot, as the `world` fixture's is: the first run finds it and loads nothing (the load on
    an empty database is what the browser tests' servers and tests/test_bootstrap.py run)."""
    from streamlit.testing.v1 import AppTest

    path = db_url.removeprefix("sqlite:///")
    shutil.copy(_sqlite_template, path)
    db = Database.from_url(db_url)
    load_demo(db)
    db.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    return at


def log_in(at: "AppTest", username: str, password: str = "demo-passwort") -> "AppTest":
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    return at.run()


def open_chart_numbers(at: "AppTest") -> "AppTest":
    """Open every "Daten zur Grafik" of the page, as a user clicking each: their tables are
    drawn only while open (pages/ui/charts.show_chart)."""
    for key in [k for k in at.session_state.keys() if str(k).endswith("-daten")]:
        at.session_state[key] = True
    return at.run()


def open_panels(at: "AppTest") -> "AppTest":
    """Open every folded panel of the page, as a user clicking each: their forms are drawn only
    while open (pages/ui/forms.folded)."""
    from pages.ui.forms import FOLDED

    for key in [k for k in at.session_state.keys() if str(k).startswith(FOLDED)]:
        at.session_state[key] = True
    return at.run()


def as_read(markdown: str) -> str:
    """A message as the user reads it: the escapes that keep typed text inert removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def table_as_read(frame: "pd.DataFrame") -> "pd.DataFrame":
    """An st.table as the user reads it: st.table renders Markdown, so the page escapes every
    header, index value and text cell (pages/ui/shown.shown_frame)."""
    read = lambda v: as_read(v) if isinstance(v, str) else v  # noqa: E731
    return frame.map(read).rename(columns=read, index=read)
