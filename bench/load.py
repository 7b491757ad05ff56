"""Concurrent companions against one and against two app servers: median and p95 per action.

    .venv/bin/python bench/load.py [--sessions 5 20 50] [--servers 1 2] [--rounds 3]
                                   [--cases 2000] [--think 5.0] [--postgres URL]

For each combination: a fresh PostgreSQL database (synthetic data from db/synthetic.py: 50
companions and `cases` cases), `streamlit run app.py` on loopback ports, then N sessions at
once. Each session is a websocket client speaking Streamlit's own protocol – what the browser
sends: a rerun with the page and the widget values – logged in as its own companion. It does
`rounds` times: open the case list, open one of its cases, resume that (paused) case with
"Begleitung wieder aufnehmen" – a status change with its audit entry. Before the login and
between actions it waits `think` seconds (±50 %), as a person reading the page does.

An action's time runs from the message sent to the end of the script run the server reports:
what a user waits for before the page is complete, without the browser's drawing. With two
servers the sessions alternate between them, as the proxy's sticky route spreads them. Each
server answers one login before the measured sessions start (its first runs import and cache).
Prints a table, the app servers' CPU use and every error. Everything stays on 127.0.0.1; the
databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from db.actors import Actor  # noqa: E402
from db.bootstrap import refresh_statistics  # noqa: E402
from db.cases import change_status  # noqa: E402
from db.database import Database  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Case, User  # noqa: E402
from db.synthetic import PASSWORD, generate  # noqa: E402
from db.vocabulary import CaseStatus, PauseReason, Role  # noqa: E402
from tests.protocol import BrowserTab, Run, log_in, pressed  # noqa: E402
from tests.servers import PostgresServer, start_app, stop, wait_healthy  # noqa: E402

ACTIONS = ("Anmelden", "Fallliste", "Fallseite", "Statuswechsel")
RESUME = "Begleitung wieder aufnehmen"
MAX_SESSIONS = 50  # the synthetic data have 50 companions, one per session


@dataclass
class Companion:
    username: str
    paused_cases: list[int]


async def companion_day(base_url: str, who: Companion, think: float,
                        timings: dict[str, list[float]], errors: list[str]) -> None:
    tab = BrowserTab(base_url)

    async def timed(action: str, work) -> Run:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        shown = await work
        timings[action].append(time.perf_counter() - start)
        if shown.exception:
            raise RuntimeError(f"{action}: {shown.exception}")
        return shown

    async def pause() -> None:
        await asyncio.sleep(think * random.uniform(0.5, 1.5))

    try:
        await pause()  # people do not all press "Anmelden" in the same millisecond
        await timed("Anmelden", log_in(tab, who.username, PASSWORD))
        for case_id in who.paused_cases:
            await pause()
            shown = await timed("Fallliste", tab.run(page="cases"))
            if "Fall auswählen" not in shown.widgets:
                raise RuntimeError(f"Fallliste ohne Fälle: {shown.summary()}")
            await pause()
            shown = await timed("Fallseite", tab.run(page="case", query=f"id={case_id}"))
            if RESUME not in shown.widgets:
                raise RuntimeError(f"Fall {case_id} ohne „{RESUME}“: {shown.summary()}")
            await pause()
            shown = await timed("Statuswechsel", tab.run(page="case", query=f"id={case_id}",
                                                         widgets=[pressed(shown.widgets[RESUME])]))
            if not shown.shows("geändert"):  # "Status von … geändert: In Begleitung" (escaped)
                raise RuntimeError(f"Fall {case_id}: keine Bestätigung: {shown.summary()}")
    except Exception as error:  # noqa: BLE001 - every error is listed under the table
        errors.append(f"{who.username}: {error}")
    finally:
        await tab.close()


def prepare(url: str, cases: int, sessions: int, rounds: int) -> list[Companion]:
    """Synthetic data; then, for each companion, `rounds` of its accompanied cases paused – the
    cases the sessions resume."""
    db = Database.from_url(url)
    upgrade(db.engine)
    generate(db, cases, progress=lambda _: None)
    refresh_statistics(db)
    companions = []
    with db.read() as session:
        users = list(session.scalars(select(User).where(User.role == Role.COMPANION).order_by(User.id)
                                     .limit(sessions)))
    for user in users:
        with db.read() as session:
            active = list(session.execute(select(Case.id, Case.version).where(
                Case.companion_id == user.id, Case.status == CaseStatus.ACTIVE).order_by(Case.id).limit(rounds)))
        for case_id, version in active:
            change_status(db, Actor.of(user), case_id, version, CaseStatus.PAUSED,
                          pause_reason=PauseReason.ILLNESS, resume_on=date.today() + timedelta(days=90))
        companions.append(Companion(user.username, [case_id for case_id, _ in active]))
    db.dispose()
    return companions


@contextmanager
def app_servers(url: str, count: int) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    logs = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {**os.environ, "DATABASE_URL": url, "COOKIE_KEY": "b" * 48}
    env.pop("APP_ENV", None)
    env.pop("DEMO_DATA", None)
    servers = []
    try:
        for n in range(count):
            servers.append(start_app(env, logs / f"server{n}.log"))
        for n, (base, proc) in enumerate(servers):
            wait_healthy(base, proc, logs / f"server{n}.log")
        yield servers
    finally:
        for _, proc in servers:
            stop(proc)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def warm_up(bases: list[str]) -> None:
    for base in bases:
        tab = BrowserTab(base)
        await log_in(tab, "leitung", PASSWORD)
        await tab.close()


async def drive(bases: list[str], companions: list[Companion], think: float
                ) -> tuple[dict[str, list[float]], list[str]]:
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    await asyncio.gather(*(companion_day(bases[n % len(bases)], who, think, timings, errors)
                           for n, who in enumerate(companions)))
    return timings, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def fresh_database(owner_url: str) -> Iterator[str]:
    server = PostgresServer(owner_url, prefix="bench_load")
    try:
        yield server.create_database()
    finally:
        server.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    if max(args.sessions) > MAX_SESSIONS:
        sys.exit(f"Höchstens {MAX_SESSIONS} Sitzungen (so viele Begleiter hat der synthetische Bestand).")

    print(f"{args.cases} Fälle, {args.rounds} Runden je Sitzung, Denkzeit {args.think} s ± 50 %")
    print(f"{'Server':>6} {'Sitzungen':>9}  {'Aktion':14} {'Anzahl':>6} {'Median ms':>10} {'p95 ms':>8}")
    for servers in args.servers:
        for sessions in args.sessions:
            with fresh_database(args.postgres) as url:
                companions = prepare(url, args.cases, sessions, args.rounds)
                with app_servers(url, servers) as running:
                    bases = [base for base, _ in running]
                    asyncio.run(warm_up(bases))
                    cpu_before = [cpu_seconds(proc.pid) for _, proc in running]
                    start = time.perf_counter()
                    timings, errors = asyncio.run(drive(bases, companions, args.think))
                    elapsed = time.perf_counter() - start
                    cpu = [cpu_seconds(proc.pid) - before for (_, proc), before in zip(running, cpu_before)]
            for action in ACTIONS:
                values = timings.get(action, [])
                if values:
                    print(f"{servers:>6} {sessions:>9}  {action:14} {len(values):>6} "
                          f"{statistics.median(values) * 1000:>10.0f} {percentile(values, 0.95) * 1000:>8.0f}")
            load = ", ".join(f"{100 * c / elapsed:.0f} %" for c in cpu)
            print(f"{'':>17} {elapsed:.0f} s; CPU je App-Server (Anteil eines Kerns): {load}", flush=True)
            for error in errors:
                print(f"{'':>17} Fehler: {error}")


if __name__ == "__main__":
    main()
