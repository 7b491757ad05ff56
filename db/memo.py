"""Aggregates computed once per change of the data, shared by every session of the process.

The Lagebild and the council briefing aggregate over all cases; at a hundred thousand cases
that is tens of milliseconds per query, on every click. Their results only change when data
change, and every change writes an audit entry in the same transaction (db.audit) – so the
newest audit id of a changing action is a stamp that moves exactly when the figures may have
moved. It is read from the database, so a change made through another app server is seen too.
"""

from __future__ import annotations

import copy
import functools
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import func, select

from .actors import Actor
from .clock import today
from .database import Database
from .models import AuditEntry

# Audit actions that read or concern only the session: they change no figure.
READING_ACTIONS = ("view", "lookup", "export", "denied", "login", "login_failed", "login_refused",
                   "logout")
MAX_ENTRIES = 256

P = ParamSpec("P")
R = TypeVar("R")

_results: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def data_stamp(db: Database) -> int:
    """The id of the newest audit entry that changed data (0 for an empty database)."""
    with db.read() as session:
        return session.scalar(select(func.max(AuditEntry.id))
                              .where(AuditEntry.action.not_in(READING_ACTIONS))) or 0


def _token(db: Database) -> str:
    # Per Database object, never reused (an id() could be, by a later object at the same address).
    token = getattr(db, "_memo_token", None)
    if token is None:
        token = uuid.uuid4().hex
        db._memo_token = token  # type: ignore[attr-defined]
    return token


def until_data_change(fn: Callable[P, R]) -> Callable[P, R]:
    """Cache fn(db, actor, …) per actor, arguments, day and data stamp.

    The actor is part of the key: what a council member may see differs from the lead's view,
    and the permission check inside fn runs for each actor at least once. Callers get a copy,
    so changing a returned frame cannot change the cached one.
    """

    @functools.wraps(fn)
    def cached(db: Database, actor: Actor, *args: object, **kwargs: object) -> R:
        key = (fn.__qualname__, _token(db), data_stamp(db), today(), actor.id, actor.role, args,
               tuple(sorted(kwargs.items())))
        with _lock:
            if key in _results:
                _results.move_to_end(key)
                return copy.deepcopy(_results[key])  # type: ignore[return-value]
        result = fn(db, actor, *args, **kwargs)  # type: ignore[arg-type]
        with _lock:
            _results[key] = result
            while len(_results) > MAX_ENTRIES:
                _results.popitem(last=False)
        return copy.deepcopy(result)

    return cached  # type: ignore[return-value]


def forget_all() -> None:
    with _lock:
        _results.clear()
