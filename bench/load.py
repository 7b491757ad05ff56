"""Companions and team leads at once against one or two app servers: p50/p95 per action,
CPU per action and memory per server, checked against the capacity targets.

    .venv/bin/python bench/load.py [--sessions 50] [--servers 1] [--leads-share 0.1]
                                   [--rounds 10] [--cases 4000] [--think 5.0] [--login-spread 5]
                                   [--soak 0] [--variant ausgeliefert] [--postgres URL]

For each combination: a fresh PostgreSQL database (synthetic data from db/demo/synthetic.py with as
many companions as sessions need), `streamlit run app.py` with the shipped .streamlit/config.toml
on loopback ports, then N sessions at once. Each session is a websocket client speaking
Streamlit's own protocol – what the browser sends: a rerun with the page and the widget values.

1. **Login burst.** Every session logs in within `login-spread` seconds (random offsets): what
   the start of a working day looks like. "Anmelden" is the form's run plus the login run.
2. **Working.** `rounds` times, with `think` seconds (±50 %) before each action, as a person
   reading the page does:
   - a companion opens the case list, opens one of its cases and resumes that (paused) case
     with "Begleitung wieder aufnehmen" – a status change with its audit entry (while it has
     paused cases left; the synthetic data give each companion a few);
   - a team lead (`leads-share` of the sessions, all as `leitung`) opens the Lagebild, the
     Ergebnisse page and the case list. Every companion's change moves the data stamp, so the
     leads also see "first Lagebild after a change".
3. **Soak** (`--soak MINUTES`): the sessions go on reading (case list and case page; the leads
   their pages) until the time is up, while the servers' memory is sampled.

An action's time runs from the message sent to the end of the script run the server reports:
what a user waits for before the page is complete, without the browser's drawing. With two
servers the sessions alternate between them, as the proxy's sticky route spreads them. Each
server answers one login before the measured sessions start (its first runs import and cache).

`--variant` shows what each production setting changes: `ausgeliefert` (as shipped),
`mit-gc` (Streamlit's full garbage collection after every run switched back on),
`mit-dateiwaechter` (the module watcher back on), `streamlit-standard` (both); and what
pages/memory.py changes: `ohne-freeze` (no gc.freeze()), `ohne-schwelle` (Python's own
thresholds), `python-gc` (neither).
Prints a table, CPU seconds per action (logins apart), the servers' garbage collections during
the rounds (count and CPU seconds per generation, the longest since the start), each server's
memory (RSS) after the logins, after the rounds and at the end of the soak, every error, and
the targets met or missed.
Beside every figure stands the cost of an almost empty page ("Mein Konto", one session, before
the load: what Streamlit and the login check cost per click on this machine), so that figures
from different machines can be compared: each time also as a multiple of it.
Everything stays on 127.0.0.1; the databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from db.actors import Actor  # noqa: E402
from db.bootstrap import refresh_statistics  # noqa: E402
from db.casework.cases import change_status  # noqa: E402
from db.store.database import Database  # noqa: E402
from db.store.migrate import upgrade  # noqa: E402
from db.store.models import Case, User  # noqa: E402
from db.demo.synthetic import PASSWORD, generate  # noqa: E402
from db.vocabulary import CaseStatus, PauseReason, Role  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from tests.protocol import BrowserTab, Run, log_in, pressed  # noqa: E402
from tests.servers import PostgresServer, start_app, stop, wait_healthy  # noqa: E402

ACTIONS = ("Anmelden", "Fallliste", "Fallseite", "Statuswechsel", "Lagebild", "Ergebnisse")
RESUME = "Begleitung wieder aufnehmen"
# Streamlit's own defaults for the two settings .streamlit/config.toml changes for production,
# and Python's own garbage collection instead of pages/memory.py's (its calls made to do nothing
# in the server: GC_OFF, put into the server's sitecustomize).
VARIANTS = {
    "ausgeliefert": {},
    "mit-gc": {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"},
    "mit-dateiwaechter": {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "auto"},
    "streamlit-standard": {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true",
                           "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "auto"},
    "ohne-freeze": {"BENCH_GC_OFF": "freeze"},
    "ohne-schwelle": {"BENCH_GC_OFF": "set_threshold"},
    "python-gc": {"BENCH_GC_OFF": "freeze set_threshold"},
}
# Loaded into every app server (sitecustomize on PYTHONPATH): the time of its garbage
# collections per generation – count, CPU seconds, wall seconds, and each pause of 20 ms or more
# (when it ended, wall seconds) – written to BENCH_GC_LOG every second; and the gc functions
# BENCH_GC_OFF names made to do nothing.
GC_PROBE = """
import gc, json, os, threading, time
for _name in os.environ.get("BENCH_GC_OFF", "").split():
    setattr(gc, _name, lambda *args: None)
_path = os.environ["BENCH_GC_LOG"]
_stats = {str(g): [0, 0.0, 0.0, []] for g in (0, 1, 2)}
_start = [0.0, 0.0]
def _probe(phase, info):
    if phase == "start":
        _start[0], _start[1] = time.thread_time(), time.perf_counter()
        return
    row = _stats[str(info["generation"])]
    wall = time.perf_counter() - _start[1]
    row[0] += 1
    row[1] += time.thread_time() - _start[0]
    row[2] += wall
    if wall >= 0.02:
        row[3].append([time.time(), wall])
gc.callbacks.append(_probe)
def _write():
    while True:
        time.sleep(1)
        with open(_path + ".tmp", "w") as out:
            json.dump(_stats, out)
        os.replace(_path + ".tmp", _path)
threading.Thread(target=_write, daemon=True).start()
"""
# The capacity targets (issue 27; README, Betrieb): (servers, sessions) → p95 limit per action.
ACTION_P95_TARGETS = {(1, 50): 0.5, (2, 100): 1.0}
LOGIN_BURST_P95 = 2.0  # 50 logins within 5 s on one server
CPU_PER_ACTION = 0.030  # CPU seconds per action, logins apart
# The yardstick: an almost empty page (its url path), opened this often per server before the load.
EMPTY_PAGE, EMPTY_TITLE, EMPTY_RUNS = "account", "Mein Konto", 50


@dataclass
class Person:
    username: str
    lead: bool
    paused_cases: list[int]


@dataclass
class Measured:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    worked: int = 0  # sessions that finished their rounds


class Session:
    def __init__(self, base_url: str, who: Person, think: float, measured: Measured) -> None:
        self.tab = BrowserTab(base_url)
        self.who, self.think, self.measured = who, think, measured
        self.failed = False

    async def timed(self, action: str, work) -> Run:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        shown = await work
        self.measured.timings[action].append(time.perf_counter() - start)
        if shown.exception:
            raise RuntimeError(f"{action}: {shown.exception}")
        return shown

    async def pause(self) -> None:
        await asyncio.sleep(self.think * random.uniform(0.5, 1.5))

    async def log_in(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.timed("Anmelden", log_in(self.tab, self.who.username, PASSWORD))

    async def page(self, action: str, page: str, expected: str, query: str = "") -> Run:
        await self.pause()
        shown = await self.timed(action, self.tab.run(page=page, query=query))
        if expected not in shown.widgets and not shown.shows(expected):
            raise RuntimeError(f"{action} ohne „{expected}“: {shown.summary()}")
        return shown

    async def lead_round(self) -> None:
        await self.page("Lagebild", "Lagebild", "Lagebild")
        await self.page("Ergebnisse", "results", "Ergebnisse")
        await self.page("Fallliste", "cases", "Fall auswählen")

    async def companion_round(self, case_id: int, change: bool) -> None:
        await self.page("Fallliste", "cases", "Fall auswählen")
        shown = await self.page("Fallseite", "case", RESUME if change else "Fall", query=f"id={case_id}")
        if change:
            await self.pause()
            # As the browser sends it: the run of the status control's fragment (pages/ui/forms.py),
            # which the write turns into a run of the whole page.
            shown = await self.timed("Statuswechsel", self.tab.run(
                page="case", query=f"id={case_id}", widgets=[pressed(shown.widgets[RESUME])],
                fragment=shown.fragments.get(RESUME, "")))
            if not shown.shows("geändert"):  # "Status von … geändert: In Begleitung" (escaped)
                raise RuntimeError(f"Fall {case_id}: keine Bestätigung: {shown.summary()}")

    async def work(self, rounds: int) -> None:
        for n in range(rounds):
            if self.who.lead:
                await self.lead_round()
            else:
                cases = self.who.paused_cases
                await self.companion_round(cases[n % len(cases)], change=n < len(cases))
        self.measured.worked += 1

    async def read_until(self, end: float) -> None:
        n = 0
        while time.perf_counter() < end:
            if self.who.lead:
                await self.lead_round()
            else:
                await self.companion_round(self.who.paused_cases[n % len(self.who.paused_cases)], change=False)
            n += 1

    async def guarded(self, work) -> None:  # type: ignore[no-untyped-def]
        try:
            await work
        except Exception as error:  # noqa: BLE001 - every error is listed under the table
            self.measured.errors.append(f"{self.who.username}: {error}")
            self.failed = True  # this session stops here


def prepare(url: str, cases: int, people: int, leads: int, rounds: int) -> list[Person]:
    """Synthetic data with a companion for every companion session; then, for each companion, up
    to `rounds` of its accompanied cases paused – the cases its sessions resume, one per round
    while there are some left (then the round opens a case without changing it)."""
    db = Database.from_url(url)
    upgrade(db.engine)
    generate(db, cases, companions=max(50, people - leads), progress=lambda _: None)
    refresh_statistics(db)
    persons = [Person("leitung", True, []) for _ in range(leads)]
    with db.read() as session:
        users = list(session.scalars(select(User).where(User.role == Role.COMPANION).order_by(User.id)
                                     .limit(people - leads)))
    for user in users:
        with db.read() as session:
            active = list(session.execute(select(Case.id, Case.version).where(
                Case.companion_id == user.id, Case.status == CaseStatus.ACTIVE).order_by(Case.id).limit(rounds)))
        if not active:
            sys.exit(f"{user.username} hat keinen Fall in Begleitung; bitte mehr --cases.")
        for case_id, version in active:
            change_status(db, Actor.of(user), case_id, version, CaseStatus.PAUSED,
                          pause_reason=PauseReason.ILLNESS, resume_on=date.today() + timedelta(days=90))
        persons.append(Person(user.username, False, [case_id for case_id, _ in active]))
    db.dispose()
    random.Random(1).shuffle(persons)  # leads spread over the servers like everybody else
    return persons


@contextmanager
def app_servers(url: str, count: int, variant: dict[str, str]
                ) -> Iterator[tuple[list[tuple[str, subprocess.Popen]], Path]]:
    logs = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (logs / "sitecustomize.py").write_text(GC_PROBE)
    # AUDIT_KEY as in production: the lead's figures as shared snapshots (db.store.recount).
    env = {**os.environ, "DATABASE_URL": url, "COOKIE_KEY": "b" * 48,
           "AUDIT_KEY": os.environ.get("AUDIT_KEY") or secrets.token_hex(32), **variant,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(logs), os.environ.get("PYTHONPATH")]))}
    env.pop("APP_ENV", None)
    env.pop("DEMO_DATA", None)
    servers = []
    try:
        for n in range(count):
            servers.append(start_app({**env, "BENCH_GC_LOG": str(gc_log(logs, n))}, logs / f"server{n}.log"))
        for n, (base, proc) in enumerate(servers):
            wait_healthy(base, proc, logs / f"server{n}.log")
        yield servers, logs
    finally:
        for _, proc in servers:
            stop(proc)


def gc_log(logs: Path, n: int) -> Path:
    return logs / f"server{n}-gc.json"


def gc_seconds(logs: Path, count: int) -> dict[str, list]:
    """The servers' garbage collections so far (GC_PROBE), summed by generation: count, CPU
    seconds, wall seconds, the pauses of 20 ms or more (when, wall seconds)."""
    time.sleep(1.5)  # the probe writes every second
    total: dict[str, list] = {g: [0, 0.0, 0.0, []] for g in ("0", "1", "2")}
    for n in range(count):
        for generation, row in json.loads(gc_log(logs, n).read_text()).items():
            kept = total[generation]
            total[generation] = [kept[0] + row[0], kept[1] + row[1], kept[2] + row[2], kept[3] + row[3]]
    return total


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident memory of a process (Linux /proc), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class EmptyPage:
    """What the almost empty page cost, one session and no load, over all servers: the median
    wall time of a run and the servers' CPU seconds per run."""
    wall: float
    cpu: float

    def times(self, seconds: float) -> str:
        return f"{seconds / self.wall:.1f}×" if self.wall else "–"

    def describe(self) -> str:
        return f"leere Seite „{EMPTY_TITLE}“ ohne Last {self.wall * 1000:.1f} ms, CPU {self.cpu * 1000:.1f} ms"


async def warm_up(bases: list[str], pids: list[int]) -> EmptyPage:
    """One login and a Lagebild per server (their first runs import and cache), then the empty
    page EMPTY_RUNS times per server, before any other session is there."""
    walls: list[float] = []
    cpu = 0.0
    for base, pid in zip(bases, pids, strict=True):
        tab = BrowserTab(base)
        await log_in(tab, "leitung", PASSWORD)
        await tab.run(page="Lagebild")
        await tab.run(page=EMPTY_PAGE)
        before = cpu_seconds(pid)
        for _ in range(EMPTY_RUNS):
            start = time.perf_counter()
            shown = await tab.run(page=EMPTY_PAGE)
            walls.append(time.perf_counter() - start)
            if not shown.shows(EMPTY_TITLE):
                raise RuntimeError(f"{EMPTY_TITLE} ohne Titel: {shown.summary()}")
        cpu += cpu_seconds(pid) - before
        await tab.close()
    return EmptyPage(statistics.median(walls), cpu / (EMPTY_RUNS * len(bases)))


KIND_RUNS = 20


async def cpu_per_kind(bases: list[str], pids: list[int], persons: list[Person]) -> dict[str, float]:
    """Each kind of action alone, KIND_RUNS times on the first server without load: its CPU
    seconds per action (under load the servers' CPU cannot be told apart by action), each page by
    the role that uses it. The clicks inside a fragment (pages/ui/fragments.in_page) twice: as
    the browser sends them, the fragment's run alone ("Fragment"), and as the same click with a
    run of the whole page ("ganze Seite", what each click cost before issue 42) – the gain of
    the fragment. A click that writes reruns the whole page either way (its change shows at once)."""
    base, pid = bases[0], pids[0]
    companion = next(p for p in persons if not p.lead)
    lead_tab, companion_tab = BrowserTab(base), BrowserTab(base)
    await log_in(lead_tab, "leitung", PASSWORD)
    await log_in(companion_tab, companion.username, PASSWORD)
    case_id = companion.paused_cases[-1]
    kinds: dict[str, float] = {}

    async def measure(kind: str, action) -> None:  # type: ignore[no-untyped-def]
        await action(0)  # warm: the first run fills this session's caches
        before = cpu_seconds(pid)
        for n in range(KIND_RUNS):
            await action(n + 1)
        kinds[kind] = (cpu_seconds(pid) - before) / KIND_RUNS

    try:
        await measure(EMPTY_TITLE, lambda _: lead_tab.run(page=EMPTY_PAGE))
        await measure("Fallliste", lambda _: companion_tab.run(page="cases"))
        await measure("Fallseite", lambda _: companion_tab.run(page="case", query=f"id={case_id}"))
        # A full run may give a fragment a new id (a message above it moves it): each click
        # takes the ids of the last full run, as the browser does.
        case_page = {"page": "case", "query": f"id={case_id}"}
        last = {"full": await companion_tab.run(**case_page)}

        async def click(kind: str, alone: bool) -> Run:
            widgets, label, writes = FRAGMENT_CLICKS[kind](last["full"])
            fragment = last["full"].fragments.get(label)
            if fragment is None:
                raise RuntimeError(f"„{label}“ nicht in einem Fragment: {sorted(last['full'].fragments)}")
            shown = await asyncio.wait_for(companion_tab.run(**case_page, widgets=widgets,
                                                             fragment=fragment if alone else ""), 60)
            if shown.exception or (alone and shown.fragment_run == writes):  # a write: the whole page
                raise RuntimeError(f"{kind}: {'Fragment' if shown.fragment_run else 'ganze Seite'}, "
                                   f"{shown.summary()}")
            if not shown.fragment_run:
                last["full"] = shown
            return shown

        for kind in FRAGMENT_CLICKS:
            for how, alone in (("ganze Seite", False), ("Fragment", True)):
                await measure(f"{kind} ({how})", lambda _, kind=kind, alone=alone: click(kind, alone))
        await measure("Lagebild", lambda _: lead_tab.run(page="Lagebild"))
        await measure("Ergebnisse", lambda _: lead_tab.run(page="results"))
    finally:
        await lead_tab.close()
        await companion_tab.close()
    return kinds


def _contact(minutes: int) -> Callable[[Run], tuple[list[WidgetState], str, bool]]:
    def click(shown: Run) -> tuple[list[WidgetState], str, bool]:
        return ([WidgetState(id=shown.widgets["Dauer in Minuten (optional)"], int_value=minutes),
                 pressed(shown.widgets["Kontakt speichern"])], "Kontakt speichern", minutes > 0)
    return click


# The clicks inside the case page's fragments (a paused case), each from the page as last shown:
# (widget states, the label whose fragment it is, whether it writes). Opening the form of a
# status change; a contact refused (a negative duration: the German message beside the field);
# a contact saved (a write: the whole page follows).
FRAGMENT_CLICKS: dict[str, Callable[[Run], tuple[list[WidgetState], str, bool]]] = {
    "Statusformular öffnen": lambda shown: ([pressed(shown.widgets["Fall beenden"])], "Fall beenden", False),
    "Kontakt abgelehnt": _contact(-15),
    "Kontakt gespeichert": _contact(15),
}


AFTER_LOGINS, AFTER_ROUNDS, AFTER_SOAK, SOAK_PEAK = (
    "nach den Anmeldungen", "nach den Runden", "nach der Dauerlast", "höchster Wert der Dauerlast")


@dataclass
class Day:
    """What one combination measured: logins, rounds (with their CPU seconds over all servers
    and their duration), the soak if there was one, and each server's memory (MiB) by moment."""
    logins: Measured
    rounds: Measured
    soak: Measured | None
    memory: dict[str, list[float]]
    cpu: float
    elapsed: float
    collections: dict[str, list[float]]  # the rounds' garbage collections: count, CPU s, wall s, longest


async def day(bases: list[str], persons: list[Person], args: argparse.Namespace, pids: list[int],
              logs: Path) -> Day:
    """Logins, rounds and soak."""
    logins, rounds, soak = Measured(), Measured(), Measured() if args.soak else None
    memory: dict[str, list[float]] = {}
    sessions = [Session(bases[n % len(bases)], who, args.think, logins) for n, who in enumerate(persons)]
    try:
        await asyncio.gather(*(s.guarded(s.log_in(random.uniform(0, args.login_spread))) for s in sessions))
        memory[AFTER_LOGINS] = [rss_mib(pid) for pid in pids]
        working = [s for s in sessions if not s.failed]
        for s in working:
            s.measured = rounds
        gc_before, rounds_start = gc_seconds(logs, len(pids)), time.time()
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        start = time.perf_counter()
        with profiled(pids, args.profile):
            await asyncio.gather(*(s.guarded(s.work(args.rounds)) for s in working))
        elapsed = time.perf_counter() - start
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        gc_after = gc_seconds(logs, len(pids))
        collections = {g: [gc_after[g][0] - gc_before[g][0], gc_after[g][1] - gc_before[g][1],
                           gc_after[g][2] - gc_before[g][2],
                           max((wall for end, wall in gc_after[g][3] if end >= rounds_start), default=0.0)]
                       for g in gc_after}
        memory[AFTER_ROUNDS] = [rss_mib(pid) for pid in pids]
        if soak is not None:
            for s in working:
                s.measured = soak
            end = time.perf_counter() + args.soak * 60
            samples: list[list[float]] = []

            async def sample() -> None:
                while time.perf_counter() < end:
                    await asyncio.sleep(30)
                    samples.append([rss_mib(pid) for pid in pids])
            await asyncio.gather(sample(), *(s.guarded(s.read_until(end)) for s in working if not s.failed))
            memory[AFTER_SOAK] = [rss_mib(pid) for pid in pids]
            memory[SOAK_PEAK] = [max(column) for column in zip(*samples)] if samples else []
    finally:
        await asyncio.gather(*(s.tab.close() for s in sessions), return_exceptions=True)
    return Day(logins, rounds, soak, memory, cpu, elapsed, collections)


@contextmanager
def profiled(pids: list[int], folder: Path | None) -> Iterator[None]:
    """With --profile: py-spy samples each server during the rounds (collapsed stacks, one file
    per server; `pip install py-spy`, as root or with ptrace allowed). Only the thread holding
    the GIL is sampled – the Python code's CPU: without `--gil`, threads waiting for the GIL, the
    database or the event loop look busy, and on a loaded machine that wait hides the work."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    spy_command = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    spies = [subprocess.Popen([spy_command, "record", "--pid", str(pid), "--rate", "100", "--format", "raw", "--gil",
                               "--output", str(folder / f"server{n}.txt"), "--nonblocking"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
             for n, pid in enumerate(pids)]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            spy.wait(timeout=60)


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


def verdict(met: bool) -> str:
    return "erfüllt" if met else "VERFEHLT"


TABLE_HEAD = (f"{'Server':>6} {'Sitzungen':>9}  {'Aktion':26} {'Anzahl':>6} {'Median ms':>10} {'p95 ms':>8}"
              f" {'leer ms':>8} {'Median÷leer':>11} {'p95÷leer':>8}")


def row(servers: int, sessions: int, action: str, values: list[float], empty: EmptyPage) -> None:
    median, p95 = statistics.median(values), percentile(values, 0.95)
    print(f"{servers:>6} {sessions:>9}  {action:26} {len(values):>6} {median * 1000:>10.0f} {p95 * 1000:>8.0f}"
          f" {empty.wall * 1000:>8.1f} {empty.times(median):>11} {empty.times(p95):>8}")


def report(servers: int, sessions: int, measured: Day, args: argparse.Namespace, shipped: bool,
           empty: EmptyPage) -> list[str]:
    """Print the table of one combination; returns the targets' verdict lines."""
    logins, rounds, memory = measured.logins, measured.rounds, measured.memory
    for action in ACTIONS:
        for part, suffix in ((logins, ""), (rounds, ""), (measured.soak, " (Dauerlast)")):
            if part is not None and part.timings.get(action):
                row(servers, sessions, action + suffix, part.timings[action], empty)
    done = sum(len(v) for v in rounds.timings.values())
    per_action = measured.cpu / done if done else float("nan")
    cpu_times = f"{per_action / empty.cpu:.1f}×" if empty.cpu else "–"
    print(f"{'':>17} Runden: {measured.elapsed:.0f} s, {done} Aktionen; CPU aller App-Server {measured.cpu:.1f} s "
          f"= {per_action * 1000:.1f} ms je Aktion ({cpu_times} der leeren Seite: {empty.cpu * 1000:.1f} ms); "
          f"{100 * measured.cpu / measured.elapsed / servers:.0f} % eines Kerns je Server")
    print(f"{'':>17} Maßstab: {empty.describe()}")
    print(f"{'':>17} Speicherbereinigung in den Runden: " + "; ".join(
        f"Generation {g}: {int(n)}×, CPU {cpu:.2f} s, längste {longest * 1000:.0f} ms"
        for g, (n, cpu, _, longest) in measured.collections.items()))
    for moment, values in memory.items():
        if values:
            print(f"{'':>17} Speicher (RSS) {moment}: " + ", ".join(f"{v:.0f} MiB" for v in values))
    errors = logins.errors + rounds.errors + (measured.soak.errors if measured.soak else [])
    for error in errors:
        print(f"{'':>17} Fehler: {error}")
    if not shipped:
        return []
    verdicts = []
    limit = ACTION_P95_TARGETS.get((servers, sessions))
    if limit is not None:
        worst = max((percentile(v, 0.95), a) for a, v in rounds.timings.items() if v)
        verdicts.append(f"{sessions} Sitzungen auf {servers} Server(n): jede Aktion p95 ≤ {limit * 1000:.0f} ms "
                        f"(höchster: {worst[1]} {worst[0] * 1000:.0f} ms = {empty.times(worst[0])} leer): "
                        f"{verdict(worst[0] <= limit and not rounds.errors)}")
    if servers == 1 and sessions >= 50 and logins.timings.get("Anmelden"):
        p95 = percentile(logins.timings["Anmelden"], 0.95)
        verdicts.append(f"{sessions} Anmeldungen in {args.login_spread:g} s auf einem Server: p95 {p95 * 1000:.0f} ms "
                        f"({empty.times(p95)} leer) ≤ {LOGIN_BURST_P95 * 1000:.0f} ms: "
                        f"{verdict(p95 <= LOGIN_BURST_P95 and not logins.errors)}")
    verdicts.append(f"{sessions} Sitzungen auf {servers} Server(n): CPU je Aktion {per_action * 1000:.1f} ms "
                    f"({cpu_times} leer) ≤ {CPU_PER_ACTION * 1000:.0f} ms: {verdict(per_action <= CPU_PER_ACTION)}")
    if AFTER_SOAK in memory:
        pairs = list(zip(memory[AFTER_ROUNDS], memory[AFTER_SOAK], strict=True))
        growth = max(end - begin for begin, end in pairs)
        verdicts.append(f"Speicher während {args.soak:g} min Dauerlast: +{growth:.0f} MiB je Server "
                        f"(flach heißt ≤ 10 %): {verdict(all(end <= 1.1 * begin for begin, end in pairs))}")
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description="Lasttest: Begleiter:innen und Teamleitungen gleichzeitig.")
    parser.add_argument("--sessions", type=int, nargs="+", default=[50])
    parser.add_argument("--servers", type=int, nargs="+", default=[1])
    parser.add_argument("--leads-share", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--cases", type=int, default=4000)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--login-spread", type=float, default=5.0)
    parser.add_argument("--soak", type=float, default=0.0, help="Minuten Dauerlast nach den Runden")
    parser.add_argument("--profile", type=Path, default=None,
                        help="Ordner: py-spy zeichnet jeden Server während der Runden auf")
    parser.add_argument("--variant", choices=list(VARIANTS), nargs="+", default=["ausgeliefert"])
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    print(f"{args.cases} Fälle, {args.rounds} Runden je Sitzung (3 Aktionen), Denkzeit {args.think} s ± 50 %, "
          f"Anmeldungen binnen {args.login_spread} s, Anteil Teamleitungen {args.leads_share:.0%}"
          + (f", danach {args.soak:g} min Dauerlast" if args.soak else ""))
    verdicts: list[str] = []
    for variant in args.variant:
        print(f"\nEinstellungen: {variant} {VARIANTS[variant] or '(.streamlit/config.toml)'}")
        print(TABLE_HEAD)
        for servers in args.servers:
            for sessions in args.sessions:
                leads = max(1, round(sessions * args.leads_share)) if args.leads_share else 0
                with fresh_database(args.postgres) as url:
                    persons = prepare(url, args.cases, sessions, leads, args.rounds)
                    with app_servers(url, servers, VARIANTS[variant]) as (running, logs):
                        bases, pids = [b for b, _ in running], [p.pid for _, p in running]
                        empty = asyncio.run(warm_up(bases, pids))
                        kinds = asyncio.run(cpu_per_kind(bases, pids, persons))
                        measured = asyncio.run(day(bases, persons, args, pids, logs))
                verdicts += report(servers, sessions, measured, args, variant == "ausgeliefert", empty)
                print(f"{'':>17} CPU je Aktion nach Art (einzeln, ohne Last, {KIND_RUNS} Läufe): " + ", ".join(
                    f"{kind} {cpu * 1000:.1f} ms" for kind, cpu in kinds.items()))
    if verdicts:
        print("\nZiele (ausgelieferte Einstellungen):")
        for line in verdicts:
            print(f"  {line}")


if __name__ == "__main__":
    main()
