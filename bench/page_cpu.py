"""CPU per script run of the companion's pages, and where it goes.

    .venv/bin/python bench/page_cpu.py --url DATABASE_URL [--user begleiter1|leitung] [--runs 15]
                                      [--profile cases|case|account|dashboard|results] [--top 60]

Logs in through AppTest (a database from bench/generate.py or db/demo/synthetic.py) and runs
"Mein Konto", the case list and the page of the user's first case in Begleitung in turn, `runs`
times each after two warm-up runs; as a team lead (`--user leitung`) "Mein Konto", the Lagebild
and Ergebnisse instead (their figures drawn from the kept counts, as on a server with
AUDIT_KEY: the warm-up runs wait for the first count). Prints the CPU time of the script thread per run (median and
least): what the page costs the server, without AppTest's own work on the main thread. Each
script is compiled once, as on a server (AppTest otherwise compiles it again for every run, a
third of a case list run). With `--profile PAGE` the runs of that page go through cProfile
instead; the statistics go to bench-PAGE.pstats in the working directory's temp folder and the
costliest calls (cumulative) are printed. Writes nothing into the repository or the database.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402
from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1.local_script_runner import LocalScriptRunner  # noqa: E402

from db.store.database import Database  # noqa: E402
from db.store.models import Case, User  # noqa: E402
from db.store.recount import settle  # noqa: E402
from db.vocabulary import CaseStatus, Role  # noqa: E402

_profiler: list[cProfile.Profile] = []  # while profiling: the one profiler of the script runs
_cpu: list[float] = []  # CPU seconds of the script thread, per run since the last clear
_sql = {"statements": 0, "checkouts": 0}  # database round trips of every thread, counted
_compiled: dict[str, object] = {}
_lock = threading.Lock()


def _patch() -> None:
    """AppTest as the server runs: st.navigation routing kept (tests/conftest.py
    apptest_routing), each script compiled once, and the script thread timed (and profiled)."""
    init = PagesManager.__init__

    def init_without_pages_directory(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init_without_pages_directory  # type: ignore[method-assign]
    get_bytecode = ScriptCache.get_bytecode

    def compiled_once(self, script_path):  # type: ignore[no-untyped-def]
        path = os.path.abspath(script_path)
        with _lock:
            if path not in _compiled:
                _compiled[path] = get_bytecode(self, path)
            return _compiled[path]

    ScriptCache.get_bytecode = compiled_once  # type: ignore[method-assign]
    run_thread = LocalScriptRunner._run_script_thread

    def timed(self):  # type: ignore[no-untyped-def]
        start = time.thread_time()
        for profiler in _profiler:
            profiler.enable()
        try:
            run_thread(self)
        finally:
            for profiler in _profiler:
                profiler.disable()
            _cpu.append(time.thread_time() - start)

    LocalScriptRunner._run_script_thread = timed  # type: ignore[method-assign]

    def statement(*_args: object) -> None:
        _sql["statements"] += 1

    def checkout(*_args: object) -> None:
        _sql["checkouts"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Pool, "checkout", checkout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--user", default="begleiter1")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", choices=["account", "cases", "case", "dashboard", "results"])
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    if not args.url:
        sys.exit("Bitte --url angeben (eine Datenbank aus bench/generate.py).")
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("COOKIE_KEY", "b" * 48)
    os.environ.setdefault("AUDIT_KEY", secrets.token_hex(32))  # as in production (bench/pages.py)
    os.environ.pop("DEMO_DATA", None)
    _patch()
    db = Database.from_url(args.url)
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == args.user)).one()
        case_id = session.scalar(select(Case.id).where(Case.companion_id == user.id,
                                                       Case.status == CaseStatus.ACTIVE).order_by(Case.id).limit(1))
    db.dispose()
    lead = user.role == Role.LEAD
    if case_id is None and not lead:
        sys.exit(f"{args.user} hat keinen Fall in Begleitung.")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.text_input(key="login_username").input(args.user)
    at.text_input(key="login_password").input("demo-passwort")
    at.button[0].click()
    at.run()
    assert not at.exception and "actor" in at.session_state, "Anmeldung fehlgeschlagen"

    def page(path: str, **query: str):  # type: ignore[no-untyped-def]
        def open_page() -> None:
            at.query_params.clear()
            at.query_params.update(query)
            at.switch_page(path)
        return open_page

    if lead:
        pages = {"account": page("pages/account.py"), "dashboard": page("pages/dashboard.py"),
                 "results": page("pages/results.py")}
    else:
        pages = {"account": page("pages/account.py"), "cases": page("pages/cases.py"),
                 "case": page("pages/case.py", id=str(case_id))}
    if args.profile not in (None, *pages):
        sys.exit(f"--profile {args.profile} ist keine Seite von {args.user}.")
    for open_page in pages.values():
        open_page()
        at.run()
        at.run()
        assert not at.exception, at.exception
    if lead:  # the first runs started the counts in the background: measure runs that draw them
        settle()
        for open_page in pages.values():
            open_page()
            at.run()
    if args.profile:
        profiler = cProfile.Profile()
        _profiler.append(profiler)
        for _ in range(args.runs):
            pages[args.profile]()
            at.run()
        _profiler.clear()
        out = Path(tempfile.gettempdir()) / f"bench-{args.profile}.pstats"
        profiler.dump_stats(out)
        print(f"{args.runs} Läufe von {args.profile}, Statistik in {out}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
        return
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    sql: dict[str, list[tuple[int, int]]] = {name: [] for name in pages}
    for _ in range(args.runs):
        for name, open_page in pages.items():  # in turn: a busy machine slows all alike
            open_page()
            _cpu.clear()
            before = dict(_sql)
            at.run()
            assert not at.exception, at.exception
            cpu[name].append(sum(_cpu))
            sql[name].append((_sql["statements"] - before["statements"], _sql["checkouts"] - before["checkouts"]))
    print(f"{args.user}, {'Leitung' if lead else f'Fall {case_id}'}, {args.runs} Läufe je Seite: CPU des "
          "Skript-Threads je Lauf; Anweisungen an die Datenbank und ausgeliehene Verbindungen je Lauf (Median)")
    for name, values in cpu.items():
        statements = statistics.median(s for s, _ in sql[name])
        checkouts = statistics.median(c for _, c in sql[name])
        print(f"  {name:9} Median {statistics.median(values) * 1000:6.1f} ms   geringste {min(values) * 1000:6.1f} ms"
              f"   SQL {statements:4.0f}   Verbindungen {checkouts:3.0f}")


if __name__ == "__main__":
    main()
