"""Aggregates computed once per change of the data, shared by every session of the process.

Three caches, one per kind of input:
- `until_data_change` for functions that read the database (keyed by the data stamp below);
- `until_change_of(entity)` for master data read on every page run (the employers of a contact
  form): keyed by the newest change of that kind of record only;
- `by_content` for pure functions of figures already read (charts, indicator tables): keyed by
  the content of their arguments, so a rerun with the same figures costs a hash, not the work.

The Lagebild and the council briefing aggregate over all cases; at a hundred thousand cases
that is tens of milliseconds per query, on every click. Their results only change when data
change, and every change writes an audit entry in the same transaction (db.store.audit) – so the
newest audit id of a changing action is a stamp that moves exactly when the figures may have
moved. It is read from the database, so a change made through another app server is seen too.

A page that shows many figures reads the stamp once for all of them (`one_stamp`): every query
costs a connection checkout and a round trip, a dozen of them a tenth of a Lagebild. A figure
computed inside is at least as new as the pinned stamp, never older; a change made in the same
page run (this thread) is seen at once, because the stamp is read anew after each of its writes.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import pickle
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..actors import Actor
from ..clock import today
from .database import Database
from .models import AuditEntry

# Audit actions that read or concern only the session: they change no figure.
READING_ACTIONS = ("view", "lookup", "export", "denied", "login", "login_failed", "login_refused",
                   "logout")
MAX_ENTRIES = 256

P = ParamSpec("P")
R = TypeVar("R")

_results: OrderedDict[object, object] = OrderedDict()
# until_change_of's results apart: under load every change of a case gives until_data_change new
# keys, a few hundred a minute, and in one shared store they pushed the kept master data out.
_kept: OrderedDict[object, object] = OrderedDict()
_lock = threading.Lock()
# (database token, its writes here when the stamp was read, the stamp) while a page runs.
_pinned: ContextVar[tuple[str, int, int | None] | None] = ContextVar("memo_pinned_stamp", default=None)
# While a page runs (one_stamp): the database token and, per audit entity, the change stamp a
# query of the run read ahead, with this thread's writes when it was read (until_change_of).
_read_ahead: ContextVar[tuple[str, dict[str, tuple[int, int]]] | None] = ContextVar("memo_read_ahead", default=None)


def data_stamp(db: Database) -> int:
    """The id of the newest audit entry that changed data (0 for an empty database)."""
    with db.read() as session:
        return read_stamp(session)


def read_stamp(session: Session) -> int:
    """data_stamp within a session already open (db.store.recount reads it with the figures'
    ages: one round trip)."""
    return session.scalar(select(func.max(AuditEntry.id))
                          .where(AuditEntry.action.not_in(READING_ACTIONS))) or 0


def stamp_wanted(db: Database) -> bool:
    """Within one_stamp(db): the stamp of this run is still to be read (none read, or this
    thread wrote since)."""
    pinned = _pinned.get()
    return pinned is not None and pinned[0] == _token(db) and (pinned[2] is None or pinned[1] != db.writes_here)


def pin_stamp(db: Database, writes_before: int, stamp: int) -> None:
    """Within one_stamp(db): take `stamp`, read by the caller after `writes_before` writes of
    this thread, as the run's stamp – unless the thread wrote since (then it is read anew)."""
    pinned = _pinned.get()
    if pinned is not None and pinned[0] == _token(db) and db.writes_here == writes_before:
        _pinned.set((pinned[0], writes_before, stamp))


def _stamp(db: Database) -> int:
    """Within one_stamp(db): the stamp read by the first figure, read anew (and kept) once this
    thread has written since. Otherwise the database's own, read now."""
    pinned = _pinned.get()
    if pinned is None or pinned[0] != _token(db):
        return data_stamp(db)
    if pinned[2] is None or pinned[1] != db.writes_here:
        pinned = (pinned[0], db.writes_here, data_stamp(db))
        _pinned.set(pinned)  # one_stamp's reset still restores what was before it
    return pinned[2]


@contextmanager
def one_stamp(db: Database) -> Iterator[None]:
    """Within: cached figures of db are keyed by one data stamp, read by the first of them,
    instead of one read per figure (a page without figures reads none). After a write in this
    thread/task the next figure reads the stamp anew."""
    token = _pinned.set((_token(db), db.writes_here, None))
    ahead = _read_ahead.set((_token(db), {}))
    try:
        yield
    finally:
        _read_ahead.reset(ahead)
        _pinned.reset(token)


def _token(db: Database) -> str:
    # Per Database object, never reused (an id() could be, by a later object at the same address).
    token = getattr(db, "_memo_token", None)
    if token is None:
        token = uuid.uuid4().hex
        db._memo_token = token  # type: ignore[attr-defined]
    return token


def _remembered(key: object, compute: Callable[[], R], copier: Callable[[R], R] = copy.deepcopy,
                store: OrderedDict[object, object] = _results) -> R:
    """The cached result for key in `store` (a copy: changing it cannot change the cached one),
    computed once; the oldest entries go beyond MAX_ENTRIES."""
    with _lock:
        if key in store:
            store.move_to_end(key)
            return copier(store[key])  # type: ignore[arg-type]
    result = compute()
    with _lock:
        store[key] = result
        while len(store) > MAX_ENTRIES:
            store.popitem(last=False)
    return copier(result)


def until_data_change(fn: Callable[P, R]) -> Callable[P, R]:
    """Cache fn(db, actor, …) per actor, arguments, day and data stamp.

    The actor is part of the key: what a council member may see differs from the lead's view,
    and the permission check inside fn runs for each actor at least once. Callers get a copy,
    so changing a returned frame cannot change the cached one.
    """

    @functools.wraps(fn)
    def cached(db: Database, actor: Actor, *args: object, **kwargs: object) -> R:
        key = (fn.__qualname__, _token(db), _stamp(db), today(), actor.id, actor.role, args,
               tuple(sorted(kwargs.items())))
        return _remembered(key, lambda: fn(db, actor, *args, **kwargs))  # type: ignore[arg-type]

    return cached  # type: ignore[return-value]


def change_stamp(db: Database, entity: str) -> int:
    """The id of the newest audit entry that changed a record of this kind (0 if none did): the
    stamp of `until_change_of`. One row from the index on (entity, id) (migration 0020)."""
    with db.read() as session:
        return session.scalar(_newest_change(entity)) or 0


def change_stamp_column(entity: str):  # type: ignore[no-untyped-def]
    """change_stamp as a column for a query the page makes anyway (NULL: no change yet): the
    caller hands the value to pin_change_stamp and the run saves the stamp's round trip."""
    return _newest_change(entity).scalar_subquery().label(f"{entity}_changed")


def pin_change_stamp(db: Database, entity: str, stamp: int | None) -> None:
    """Within one_stamp(db): take `stamp`, read by change_stamp_column in a transaction this
    thread has ended (or is still in), as the entity's stamp of this run – until the thread
    writes again (then it is read anew)."""
    ahead = _read_ahead.get()
    if ahead is not None and ahead[0] == _token(db):
        ahead[1][entity] = (db.writes_here, stamp or 0)


def _change_stamp(db: Database, entity: str) -> int:
    ahead = _read_ahead.get()
    if ahead is not None and ahead[0] == _token(db):
        pinned = ahead[1].get(entity)
        if pinned is not None and pinned[0] == db.writes_here:
            return pinned[1]
    return change_stamp(db, entity)


@functools.cache
def _newest_change(entity: str):  # type: ignore[no-untyped-def]
    # Built once per kind: it is read on every run of the pages that use it.
    return (select(AuditEntry.id)
            .where(AuditEntry.entity == entity, AuditEntry.action.not_in(READING_ACTIONS))
            .order_by(AuditEntry.id.desc()).limit(1))


def until_change_of(entity: str, *, copier: Callable[[R], R] = copy.deepcopy) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache fn(db, actor, …) like until_data_change, but keyed by the newest change of one kind
    of record (the audit entity, e.g. "employer") instead of the newest change of anything.

    For master data read on every run of a busy page: under load the data stamp moves several
    times a second (every case change moves it), so a cache keyed by it would never hit. Only
    for functions whose result depends on nothing but records of that kind (and the actor's
    permission): every writer of such a record must audit it under this entity, in the same
    transaction – as db.store.audit.save_audited does. The stamp is read from the database on
    every call (one indexed row), so a change through another app server is seen at once –
    or once per page run, read ahead with a query of the page (change_stamp_column). `copier`
    hands out the copies: a flat dict of numbers and strings needs no deep copy.
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def cached(db: Database, actor: Actor, *args: object, **kwargs: object) -> R:
            # The stamp before the figures: a change committed in between is computed with an
            # older key (read anew next time), never stale under the newer one.
            key = (fn.__qualname__, _token(db), entity, _change_stamp(db, entity), today(), actor.id,
                   actor.role, args, tuple(sorted(kwargs.items())))
            return _remembered(key, lambda: fn(db, actor, *args, **kwargs), copier, _kept)  # type: ignore[arg-type]

        return cached  # type: ignore[return-value]

    return wrap


def _frame(columns: tuple[str, ...], dtypes: tuple[str, ...], content: object) -> None:
    """Stands for a DataFrame in a fingerprint (never called: fingerprints are not unpickled)."""


# A frame up to this many cells is fingerprinted by its values: pandas' hash costs about a
# millisecond however small the frame (column by column, with the index), its values a tenth of
# that for a chart's few dozen rows – the Lagebild's seven charts were fingerprinted every run.
VALUES_UP_TO_CELLS = 2_000


class _Fingerprinter(pickle.Pickler):
    """Pickles a DataFrame as its columns, dtypes and content: a small one as its index and
    values (pickled with their types: "1" and 1, "a*b" and Shown("a*b") differ), a larger one as
    pandas' 64-bit hash of every row (with the index), five times faster than pickling its object
    columns. Without pickle's memo (`fast`): the bytes depend on the values only, not on which of
    them are one object – a frame counted anew and its copy handed out give the same digest."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fast = True

    def reducer_override(self, obj: object) -> object:
        if isinstance(obj, pd.DataFrame):
            if obj.size <= VALUES_UP_TO_CELLS:
                content: object = _plain_pickle((obj.index.tolist(), obj.to_numpy(dtype=object).tolist()))
            else:
                content = pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes()
            return _frame, (tuple(map(str, obj.columns)), tuple(map(str, obj.dtypes)), content)
        return NotImplemented


def _plain_pickle(values: object) -> bytes:
    """A frame's values pickled by pickle's own C code, as one bytes object for the
    fingerprint: this pickler's reducer_override is a Python call for every object it pickles
    – for every cell of a chart's frame that was most of its fingerprint. Without the memo as
    above; the rows as object values keep each value's type (1, 1.0, "1", Shown("1"))."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(values)
    return out.getvalue()


def _fingerprint(name: str, args: tuple, kwargs: dict) -> bytes | None:
    """A digest of the arguments' content (frames, dataclasses, numbers). Equal digests mean
    equal content; equal content may give another digest (a frame's dtypes), which only costs a
    miss. None for arguments that cannot be pickled or hashed: then nothing is cached."""
    out = io.BytesIO()
    try:
        _Fingerprinter(out, protocol=pickle.HIGHEST_PROTOCOL).dump((name, args, sorted(kwargs.items())))
    except (pickle.PicklingError, TypeError, AttributeError, ValueError):  # ValueError: a cycle (fast)
        return None
    return hashlib.blake2b(out.getbuffer(), digest_size=20).digest()


def by_content(fn: Callable[P, R]) -> Callable[P, R]:
    """Cache a pure function by the content of its arguments (and, like until_data_change, hand
    out copies). For work done on figures already read: the same figures give the same result."""

    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def cached(*args: P.args, **kwargs: P.kwargs) -> R:
        key = _fingerprint(name, args, kwargs)
        if key is None:
            return fn(*args, **kwargs)
        return _remembered(key, lambda: fn(*args, **kwargs))

    return cached


def forget_all() -> None:
    with _lock:
        _results.clear()
        _kept.clear()
