"""The lead's figures: shown at once from the last count, recounted off the request path.

Decided in issue 42: the lead's aggregated figures (Lagebild, Ergebnisse, Team & Stellen) may be
up to a minute old when the page says when they were counted ("Stand hh:mm:ss"). A figure
decorated with `lead_figure` is, for a team lead:
- read from `figure_snapshots`, the table every app server shares (one query per page run for
  all of them, `figures_as_of`), and shown at once, whatever its age;
- when the data changed since it was counted (db.store.memo's data stamp) and it was counted
  at least FRESH_FOR ago, recounted by this process's one background thread – only by the app
  server that wins the row's lease (a conditional UPDATE: atomic on SQLite and PostgreSQL), so
  the installation recounts each figure at most once a minute, and only while somebody looks.
- counted on the request path only the first time of the day (nothing to show yet).

Everybody else (companions, council), and every call outside a page run (the command line,
reports, other services), gets the exact figure as before (db.store.memo.until_data_change): what a person just changed shows on their own pages at once.

The table holds aggregates only. Figures with names (the lead's work list: clients; caseloads:
staff) stay exact per process: a stale list of persons would send the lead to a case already
dealt with, and names copied into a second table would outlive an erasure (Art. 17) there.
tests/test_recount.py reads every payload for names.

The payload is pickled and signed with a key derived from AUDIT_KEY (outside the database): a
row written by anybody but an app server is refused (and the figure counted anew), never
unpickled. Only an installation's own AUDIT_KEY signs: without one (quick start, demo) the key
would be the published development key, and whoever can write the database could have the app
server unpickle – run – anything; there the figures are simply counted exactly (`shared`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import logging
import os
import pickle
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..actors import Actor
from ..clock import today, utcnow
from ..settings import audit_key
from ..vocabulary import Role
from . import memo
from .database import Database
from .models import FigureSnapshot

P = ParamSpec("P")
R = TypeVar("R")

FRESH_FOR = timedelta(seconds=60)  # a figure is recounted at most this often (installation-wide)
LEASE = timedelta(minutes=5)  # a recount that died leaves its lease behind this long at most
MAX_LOCAL = 256

_log = logging.getLogger(__name__)
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass
class _Run:
    """What one page run knows: every snapshot's (stamp, counted_at) of the day, read once,
    and the oldest count it showed."""

    meta: dict[str, tuple[int, datetime]] | None = None
    oldest: datetime | None = None
    token: str = ""
    shown: list[str] = field(default_factory=list)


_run: ContextVar[_Run | None] = ContextVar("recount_run", default=None)
# True while a figure is being counted: a lead figure it reads in turn (kpis reads the leavers)
# is counted exactly with it, never taken from a snapshot older than the count.
_counting: ContextVar[bool] = ContextVar("recount_counting", default=False)
# Payloads this process already unpickled, by (database token, key): (counted_at, value).
_local: OrderedDict[tuple[str, str], tuple[datetime, object]] = OrderedDict()
_local_lock = threading.Lock()


@contextmanager
def figures_as_of() -> Iterator[None]:
    """Within: one read of the snapshots' ages for all figures of the page run, and the oldest
    count shown is kept for `shown_as_of`."""
    token = _run.set(_Run())
    try:
        yield
    finally:
        _run.reset(token)


def shown_as_of() -> datetime | None:
    """When the oldest lead figure shown in this page run was counted (None: none shown)."""
    run = _run.get()
    return run.oldest if run is not None else None


def shared() -> bool:
    """Snapshots are shared (and ever unpickled) only under an installation's own AUDIT_KEY."""
    return bool(os.environ.get("AUDIT_KEY", "").strip())


def _signing_key() -> bytes:
    return hmac.new(audit_key(os.environ), b"figure-snapshots", hashlib.sha256).digest()


def _sealed(value: object) -> bytes:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return hmac.new(_signing_key(), body, hashlib.sha256).digest() + body


def _opened(payload: bytes) -> tuple[bool, object]:
    """(True, value) for a payload an app server signed; (False, None) for anything else."""
    if not shared():  # the development key is published: nothing signed with it is trusted
        return False, None
    mac, body = payload[:32], payload[32:]
    if not hmac.compare_digest(mac, hmac.new(_signing_key(), body, hashlib.sha256).digest()):
        return False, None
    return True, pickle.loads(body)  # noqa: S301 - signed by an app server (see module doc)


def _meta(db: Database) -> dict[str, tuple[int, datetime]]:
    """Every snapshot of the day: (stamp, counted_at) by key – read once per page run."""
    run = _run.get()
    if run is not None and run.meta is not None and run.token == memo._token(db):
        return run.meta
    with db.read() as session:
        meta = _snapshot_meta(session)
    if run is not None:
        run.meta, run.token = meta, memo._token(db)
    return meta


def read_ahead(db: Database) -> None:
    """On a page of the lead's figures, before the first of them or of the memo's cached
    figures: the run's data stamp (db.store.memo) and the snapshots' ages read in one session,
    not in two (each a connection checked out, pinged and committed: a millisecond of a run)."""
    run = _run.get()
    if run is None or not memo.stamp_wanted(db):
        return
    writes = db.writes_here
    with db.read() as session:
        stamp = memo.read_stamp(session)
        meta = _snapshot_meta(session) if shared() and run.meta is None else None
    memo.pin_stamp(db, writes, stamp)
    if meta is not None:
        run.meta, run.token = meta, memo._token(db)


def _snapshot_meta(session: Session) -> dict[str, tuple[int, datetime]]:
    return {key: (stamp, counted_at) for key, stamp, counted_at in session.execute(
        select(FigureSnapshot.key, FigureSnapshot.stamp, FigureSnapshot.counted_at)
        .where(FigureSnapshot.day == today()))}


def _note_shown(key: str, counted_at: datetime) -> None:
    run = _run.get()
    if run is None:
        return
    run.shown.append(key)
    if run.oldest is None or counted_at < run.oldest:
        run.oldest = counted_at
    if run.meta is not None:
        run.meta.setdefault(key, (0, counted_at))


def _remember(db: Database, key: str, counted_at: datetime, value: object) -> None:
    with _local_lock:
        _local[(memo._token(db), key)] = (counted_at, value)
        _local.move_to_end((memo._token(db), key))
        while len(_local) > MAX_LOCAL:
            _local.popitem(last=False)


def _stored_value(db: Database, key: str, counted_at: datetime) -> tuple[bool, object]:
    """The figure counted at counted_at: from this process's memory, else from the table."""
    with _local_lock:
        known = _local.get((memo._token(db), key))
    if known is not None and known[0] == counted_at:
        return True, known[1]
    with db.read() as session:
        row = session.execute(select(FigureSnapshot.payload, FigureSnapshot.counted_at)
                              .where(FigureSnapshot.key == key)).first()
    if row is None:
        return False, None
    ok, value = _opened(row.payload)
    if ok:
        _remember(db, key, row.counted_at, value)
    return ok, value


def _count_now(db: Database, key: str, compute: Callable[[], R]) -> tuple[datetime, R]:
    """Count on the request path (nothing to show, or a payload refused) and store the result:
    the first server to store it wins, the others keep their own count for this run."""
    stamp = memo.data_stamp(db)  # read before counting: the figure is at least this new
    value = compute()
    now = utcnow()
    day = today()
    with db.write() as session:
        session.execute(delete(FigureSnapshot).where(FigureSnapshot.day < day))
        insert = _INSERT[db.engine.dialect.name](FigureSnapshot).values(
            key=key, day=day, stamp=stamp, counted_at=now, leased_until=None, payload=_sealed(value))
        session.execute(insert.on_conflict_do_update(
            index_elements=[FigureSnapshot.key],
            set_={"stamp": stamp, "counted_at": now, "leased_until": None, "payload": _sealed(value)}))
    _remember(db, key, now, value)
    return now, value


# --- the background recount -----------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    db: Database
    key: str
    compute: Callable[[], object]
    name: str = ""  # the figure's function, for the log and the bench (the key is a digest)


class _Worker:
    """One thread per process: recounts in the order asked, each figure once while queued."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.queued: set[tuple[str, str]] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def ask(self, job: _Job) -> None:
        ident = (memo._token(job.db), job.key)
        with self.lock:
            if ident in self.queued:
                return
            self.queued.add(ident)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="lead-figures-recount", daemon=True)
                self.thread.start()
        self.jobs.put(job)

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                recount(job.db, job.key, job.compute)
            except Exception:  # noqa: BLE001 - a failed recount leaves the last figure shown
                _log.exception("Neuzählung von %s (%s) fehlgeschlagen", job.name, job.key)
            finally:
                with self.lock:
                    self.queued.discard((memo._token(job.db), job.key))
                self.jobs.task_done()


_worker = _Worker()


def settle() -> None:
    """Wait until every recount asked for has ended (tests, the bench)."""
    _worker.jobs.join()


def recount(db: Database, key: str, compute: Callable[[], object]) -> bool:
    """Recount one figure if this process wins its lease: counted at least FRESH_FOR ago, and
    no other server recounting it. True if it was recounted here."""
    now = utcnow()
    with db.write() as session:
        won = session.execute(
            update(FigureSnapshot)
            .where(FigureSnapshot.key == key, FigureSnapshot.counted_at <= now - FRESH_FOR,
                   or_(FigureSnapshot.leased_until.is_(None), FigureSnapshot.leased_until < now))
            .values(leased_until=now + LEASE)
            .execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        return False
    try:
        stamp = memo.data_stamp(db)
        value = compute()
    except BaseException:
        with db.write() as session:
            session.execute(update(FigureSnapshot).where(FigureSnapshot.key == key)
                            .values(leased_until=None).execution_options(synchronize_session=False))
        raise
    counted_at = utcnow()
    with db.write() as session:
        session.execute(update(FigureSnapshot).where(FigureSnapshot.key == key)
                        .values(stamp=stamp, counted_at=counted_at, leased_until=None, payload=_sealed(value))
                        .execution_options(synchronize_session=False))
    _remember(db, key, counted_at, value)
    return True


# --- the decorator --------------------------------------------------------------------------


def lead_figure(fn: Callable[P, R]) -> Callable[P, R]:
    """fn(db, actor, …) for a team lead: the last count at once, recounted in the background
    when the data changed (see module doc); for every other actor exact, as until_data_change.

    Only for aggregates: never a function whose result names a person."""

    exact = memo.until_data_change(fn)
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def shown(db: Database, actor: Actor, *args: object, **kwargs: object) -> R:
        if not shared() or _run.get() is None or actor.is_system or actor.role != Role.LEAD or _counting.get():
            return exact(db, actor, *args, **kwargs)  # type: ignore[arg-type]
        digest = memo._fingerprint(name, (today(), *args), kwargs)
        if digest is None:
            return exact(db, actor, *args, **kwargs)  # type: ignore[arg-type]
        key = digest.hex()

        def compute() -> R:
            token = _counting.set(True)
            try:
                return fn(db, actor, *args, **kwargs)  # type: ignore[arg-type]
            finally:
                _counting.reset(token)

        known = _meta(db).get(key)
        value: object = None
        ok = False
        if known is not None:
            stamp, counted_at = known
            ok, value = _stored_value(db, key, counted_at)
        if not ok:
            counted_at, value = _count_now(db, key, compute)
        elif stamp != memo._stamp(db) and utcnow() - counted_at >= FRESH_FOR:
            _worker.ask(_Job(db, key, compute, name))
        _note_shown(key, counted_at)
        return copy.deepcopy(value)  # type: ignore[return-value]

    shown.exact = exact  # type: ignore[attr-defined]
    return shown  # type: ignore[return-value]


def forget_local() -> None:
    """Drop this process's unpickled copies (tests: as if another app server)."""
    with _local_lock:
        _local.clear()
