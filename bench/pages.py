"""Page timings against the limit set by Streamlit itself and by the SQL each page needs.

    .venv/bin/python bench/pages.py --url DATABASE_URL [--runs 20]

Logs in as `leitung` through AppTest (a database from bench/generate.py, or the demo data) and
runs each page `runs` times after one warm-up. For each page it prints the median and p95, the
floor (an empty Streamlit script under AppTest), the raw SQL of the page (every SELECT the page
issued, captured with a SQLAlchemy event listener and run again directly on the driver), the
ratio page / (floor + raw SQL), the number of statements per run and the peak Python memory of
a run. "… (nach Änderung)" is the page as the first one to open it after a status change (every
figure cached until then is stale; the lead's figures show their last count at once). Then the
background recount of each lead page's figures after a change (db.store.recount): its time,
its raw SQL and statements, and beneath it each figure's own SQL – the target: ≤ 300 ms of SQL. Then the server-side latency of a status change, and the
target: every page ≤ 300 ms median at 100,000 cases. Writes nothing into the repository.

Beside every figure stands what an almost empty page of the app ("Mein Konto": the login check,
the menu, a form) cost at the same time – its runs alternate with the page's, so a busy machine
slows both alike – and the page as a multiple of it: figures from different machines compare.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from sqlalchemy import Engine, event, select  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from db.actors import Actor  # noqa: E402
from db.casework.cases import NewPlacement, change_status  # noqa: E402
from db.store import recount  # noqa: E402
from db.store.database import Database  # noqa: E402
from db.store.models import Case, Client, Employer, User  # noqa: E402
from tests.helpers import age_snapshots  # noqa: E402
from db.vocabulary import CaseStatus, JobKind  # noqa: E402

TARGET_MS = 300  # every page's median at 100,000 cases, on both databases (README, Betrieb)
EMPTY_PAGE, EMPTY_TITLE = "pages/account.py", "Mein Konto"  # the yardstick beside every figure

# Statements issued since the last reset: (sql, parameters), in order.
CAPTURED: list[tuple[str, object]] = []


@event.listens_for(Engine, "before_cursor_execute")
def _capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
    CAPTURED.append((statement, parameters))


def stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000


def floor_ms(runs: int) -> float:
    """An empty script: what AppTest and Streamlit cost before the page does anything."""
    script = Path(tempfile.mkdtemp()) / "empty.py"
    script.write_text("import streamlit as st\n")
    at = AppTest.from_file(str(script), default_timeout=60).run()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        timings.append(time.perf_counter() - start)
    return stats(timings)[0]


def raw_sql_ms(db: Database, statements: list[tuple[str, object]], runs: int = 5) -> float:
    """The page's SELECTs run again on the driver, without ORM or Streamlit (best of `runs`)."""
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    best = float("inf")
    for _ in range(runs):
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            start = time.perf_counter()
            for sql, params in selects:
                cursor.execute(sql, params)
                cursor.fetchall()
            best = min(best, time.perf_counter() - start)
        finally:
            connection.rollback()
            connection.close()
    return best * 1000


def route_through_app() -> None:
    """As tests/conftest.py's apptest_routing: AppTest forgets before every run that
    st.navigation is in use; without this, widget ids change between runs and clicks are lost."""
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init_without_pages_directory(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init_without_pages_directory  # type: ignore[method-assign]


def log_in(at: AppTest) -> AppTest:
    at.run()
    at.text_input(key="login_username").input("leitung")
    at.text_input(key="login_password").input("demo-passwort")
    at.button[0].click()
    return at.run()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--recount-only", action="store_true",
                        help="nur die Neuzählung der Leitungszahlen nach einer Änderung")
    args = parser.parse_args()
    if not args.url:
        sys.exit("Bitte --url angeben (eine Datenbank aus bench/generate.py).")
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("COOKIE_KEY", "b" * 48)
    # As in production: the lead's figures are shared snapshots, recounted in the background,
    # only under an installation's own AUDIT_KEY (db.store.recount.shared). Without one every
    # view counts anew and the recount measured below would be nothing.
    os.environ.setdefault("AUDIT_KEY", secrets.token_hex(32))
    db = Database.from_url(args.url)
    with db.read() as session:
        lead = Actor.of(session.scalars(select(User).where(User.username == "leitung")).one())
        cases = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0
        some_name = session.scalar(select(Client.last_name).order_by(Client.id.desc()).limit(1))
    # The case page shows the oldest active case; the status changes below toggle the newest one,
    # so the page measured does not grow by this script's own changes from one run to the next.
    with db.read() as session:
        active = Case.status == CaseStatus.ACTIVE
        case_id = session.scalar(select(Case.id).where(active).order_by(Case.id).limit(1))
        row = session.execute(select(Case.id, Case.version).where(active).order_by(Case.id.desc()).limit(1)).one()

    route_through_app()
    at = log_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120))
    assert not at.exception, at.exception
    assert at.title and at.title[0].value == "Lagebild", "Anmeldung als leitung fehlgeschlagen"

    def page(path: str, **query: str) -> Callable[[], None]:
        def open_page() -> None:
            at.query_params.clear()
            at.query_params.update(query)
            at.switch_page(path)
            at.session_state["cases_search"] = ""
        return open_page

    def search() -> None:
        page("pages/cases.py")()
        at.session_state["cases_search"] = some_name

    # A real status change, back and forth: In Begleitung -> In Arbeit (with its placement) -> back.
    with db.read() as session:
        employer_id = session.scalar(select(Employer.id).limit(1))
    toggle = {"version": row.version, "employed": False}

    def change() -> float:
        """One status change of the toggle case; returns its time in seconds."""
        target = CaseStatus.ACTIVE if toggle["employed"] else CaseStatus.EMPLOYED
        job = NewPlacement(employer_id=employer_id, start_date=None, job_kind=JobKind.FULL_TIME) \
            if target == CaseStatus.EMPLOYED else None
        start = time.perf_counter()
        toggle["version"] = change_status(db, lead, row.id, toggle["version"], target, placement=job)
        toggle["employed"] = not toggle["employed"]
        return time.perf_counter() - start

    def after_change(path: str) -> Callable[[], None]:
        """The page as the first one to open it after somebody changed data: every figure
        cached until then is stale (db.store.memo)."""
        def open_page() -> None:
            page(path)()
            change()
        return open_page

    pages: list[tuple[str, Callable[[], None]]] = [
        ("Fälle", page("pages/cases.py")),
        ("Fälle (Suche)", search),
        ("Fall", page("pages/case.py", id=str(case_id))),
        ("Zuweisungen", page("pages/referrals.py")),
        ("Termine", page("pages/agenda.py")),
        ("Lagebild", page("pages/dashboard.py")),
        ("Lagebild (nach Änderung)", after_change("pages/dashboard.py")),
        ("Ergebnisse", page("pages/results.py")),
        ("Ergebnisse (n. Änd.)", after_change("pages/results.py")),
        ("Kreistag", page("pages/council.py")),
    ]
    empty = page(EMPTY_PAGE)
    empty()
    at.run()
    assert at.title and at.title[0].value == EMPTY_TITLE, [t.value for t in at.title]

    def timed_run() -> float:
        start = time.perf_counter()
        at.run()
        return time.perf_counter() - start

    floor = floor_ms(args.runs)
    print(f"{db.engine.dialect.name}, {cases:,} Fälle, {args.runs} Läufe je Seite; Boden (leeres Skript) "
          f"{floor:.1f} ms")
    print(f"{'Seite':24} {'Median ms':>10} {'p95 ms':>8} {'SQL ms':>8} {'Verhältnis':>10} "
          f"{'Anweisungen':>11} {'Speicher MiB':>12} {EMPTY_TITLE + ' ms':>14} {'÷ ' + EMPTY_TITLE:>12}")
    over: list[tuple[str, float]] = []
    yardsticks: list[float] = []
    for name, prepare in pages if not args.recount_only else []:
        prepare()
        at.run()  # warm-up (and the caches' first fill)
        assert not at.exception and not at.error, (name, at.exception, [e.value for e in at.error])
        timings, beside = [], []
        for _ in range(args.runs):
            empty()
            beside.append(timed_run())
            prepare()
            CAPTURED.clear()
            timings.append(timed_run())
        statements = list(CAPTURED)
        prepare()
        tracemalloc.start()
        at.run()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        median, p95 = stats(timings)
        yardstick = stats(beside)[0]
        yardsticks.append(yardstick)
        if median > TARGET_MS:
            over.append((name, median))
        raw = raw_sql_ms(db, statements)
        print(f"{name:24} {median:10.1f} {p95:8.1f} {raw:8.1f} {median / (floor + raw):10.2f} "
              f"{len(statements):11d} {peak:12.1f} {yardstick:14.1f} {median / yardstick:11.1f}×")

    # The lead's figures after a change: the page shows the last count at once (above); the
    # recount runs in the background (db.store.recount) – its time and SQL, the clock driven by
    # moving every count a minute back instead of waiting.
    asked: list = []
    recount._worker.ask = asked.append  # type: ignore[method-assign] # measured here, not beside the page
    print(f"{'Neuzählung nach Änderung':24} {'Median ms':>10} {'p95 ms':>8} {'SQL ms':>8} {'Anweisungen':>11}")
    for name, path in (("Lagebild", "pages/dashboard.py"), ("Ergebnisse", "pages/results.py"),
                       ("Team & Stellen", "pages/team.py")):
        page(path)()
        at.run()
        asked.clear()
        timings, statements = [], []
        per_figure: dict[str, list[tuple[str, object]]] = {}
        for _ in range(max(3, args.runs // 4)):
            change()
            age_snapshots(db, recount.FRESH_FOR.total_seconds())
            page(path)()
            at.run()  # shows the last count, asks for the recount (kept in `asked`)
            CAPTURED.clear()
            per_figure.clear()
            start = time.perf_counter()
            for job in asked:  # the recount on its own, as the background thread does it
                mark = len(CAPTURED)
                recount.recount(job.db, job.key, job.compute)
                per_figure.setdefault(job.name.rsplit(".", 1)[-1], []).extend(CAPTURED[mark:])
            timings.append(time.perf_counter() - start)
            statements = list(CAPTURED)
            asked.clear()
        if not statements:  # a recount that issued nothing measured nothing: no figure printed
            sys.exit(f"Neuzählung {name}: keine Anweisung – die Zahlen wurden nicht im Hintergrund "
                     "gezählt (AUDIT_KEY?)")
        median, p95 = stats(timings)
        raw = raw_sql_ms(db, statements)
        if raw > TARGET_MS:
            over.append((f"Neuzählung {name} (SQL)", raw))
        print(f"{name:24} {median:10.1f} {p95:8.1f} {raw:8.1f} {len(statements):11d}")
        # Which figure costs what (the last recount's statements, each figure's SELECTs alone).
        costs = sorted(((raw_sql_ms(db, issued), figure, len(issued)) for figure, issued in per_figure.items()),
                       reverse=True)
        for cost, figure, count in costs:
            print(f"  {figure:22} {'':10} {'':8} {cost:8.1f} {count:11d}")

    saves = [change() for _ in range(50)]
    median, p95 = stats(saves)
    if not yardsticks:  # --recount-only: the yardstick measured on its own
        for _ in range(args.runs):
            empty()
            yardsticks.append(timed_run())
        yardsticks = [stats(yardsticks)[0]]
    overall = statistics.median(yardsticks)
    print(f"Statuswechsel speichern (change_status): Median {median:.1f} ms, p95 {p95:.1f} ms "
          f"({median / overall:.1f}× {EMPTY_TITLE})")
    print(f"Maßstab: {EMPTY_TITLE} {overall:.1f} ms im Median über alle Seiten "
          f"({min(yardsticks):.1f}–{max(yardsticks):.1f} ms neben den einzelnen Seiten)")
    print(f"Ziel: jede Seite ≤ {TARGET_MS} ms im Median: " + (
        "erfüllt" if not over else "VERFEHLT (" + ", ".join(
            f"{n} {m:.0f} ms = {m / overall:.0f}× {EMPTY_TITLE}" for n, m in over) + ")"))


if __name__ == "__main__":
    main()
