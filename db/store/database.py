"""Engine and transactions.

SQLite (a local file) is the default; `DATABASE_URL` selects PostgreSQL. Service functions open
their own transactions through `Database.read()` / `Database.write()`, so every write is exactly
one transaction and callers cannot forget to commit or roll back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import islice
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import PermissionDenied
from ..settings import ConfigurationError
from .private_files import create_private

T = TypeVar("T")

# The quick start's database lives in the checkout's own data/ folder (ignored by git, the
# systemd unit's one writable path), never inside the package next to shipped files. The
# checkout's root is found from this module's dotted name, so moving the module keeps the place.
PROJECT_ROOT = Path(__file__).resolve().parents[__name__.count(".")]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "begleiter.sqlite3"


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Accept the plain form hosting platforms hand out and use the psycopg 3 driver for it.
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def why_malformed(url: str) -> str | None:
    """Why a database address cannot be what was meant (None: it can). A password with an
    unencoded @, # or / is split at it: the rest becomes the host or the database name, and the
    connection then fails with the driver's English error – or SQLAlchemy's traceback for an
    address it cannot read at all. Says nothing of the address itself (it holds the password)."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return None
        parsed.get_dialect()
    except NoSuchModuleError:
        return "unbekannte Datenbankart vor „://“"
    except (ArgumentError, ValueError):
        return "nicht als Adresse lesbar"
    address = url.split("://", 1)[1].split("?", 1)[0]
    if "#" in address or address.count("@") > 1 or any(
            mark in (parsed.host or "") for mark in "@#/?% ") or "@" in (parsed.database or ""):
        return "ein @, # oder / im Passwort oder Namen, nicht URL-kodiert"
    return None


# SQLSTATE classes that pass with time: connection exception, insufficient resources (too many
# clients), operator intervention (starting up, shutting down), transaction rollback (deadlock).
_PASSING = ("08", "40", "53", "57")
CONNECT_TIMEOUT = 10  # seconds: a host that swallows packets answers "not yet", not after 2 minutes


def not_answering_yet(engine: Engine, error: BaseException | None = None) -> bool:
    """Whether the database server does not answer (yet) rather than answering and refusing
    this login or database, which no waiting mends. An error the server sent says it by its
    SQLSTATE; a failed connect carries none (psycopg), so libpq's PQping asks, as `pg_isready`
    does: nothing listens, or the server is starting up or shutting down. A connection option
    the driver cannot even use for the ping is a setting. SQLite: never (a file)."""
    if state := getattr(error, "sqlstate", None):
        return str(state)[:2] in _PASSING
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return False
    from psycopg import conninfo, pq

    try:
        args, params = engine.dialect.create_connect_args(engine.url)
        info = conninfo.make_conninfo(*args, **{"connect_timeout": CONNECT_TIMEOUT,
                                                **{k: v for k, v in params.items() if isinstance(v, (str, int))}})
        return pq.PGconn.ping(info.encode()) in (pq.Ping.REJECT, pq.Ping.NO_RESPONSE)
    except Exception:  # noqa: BLE001 - an option libpq refuses: the setting is wrong
        return False


def refuse_a_malformed_url(url: str) -> None:
    """One German line for every way in (each command, the start check, the app, readiness)."""
    if why := why_malformed(url):
        raise ConfigurationError(
            f"DATABASE_URL ist keine gültige Datenbankadresse ({why}). Sonderzeichen im Passwort "
            "gehören URL-kodiert hinein (@ als %40, # als %23, / als %2F): "
            "`python -m db database-url` baut die Adresse.")


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    refuse_a_malformed_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # READ COMMITTED whatever the server's default_transaction_isolation says: a writer that
    # first takes a lock (the audit chain, releases) must then read what was committed before it
    # got the lock – under REPEATABLE READ its snapshot would predate the wait.
    parsed = make_url(url)
    waits = {"connect_timeout": CONNECT_TIMEOUT} if (parsed.get_driver_name() == "psycopg"
                                                    and "connect_timeout" not in parsed.query) else {}
    return create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED", connect_args=waits)


def _sqlite_engine(url: str) -> Engine:
    # The driver's own transaction handling is switched off so that we can say BEGIN IMMEDIATE
    # for writes: a deferred transaction that later wants to write fails with "database is locked"
    # instead of waiting for the busy timeout.
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        # Social data: a new database file is 0600 whatever the umask, and SQLite gives its
        # -wal and -shm files the database file's mode.
        create_private(path)
    engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 10})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # REPLACE deletes the old row before inserting: only with recursive triggers does that
        # delete meet the audit log's delete guard (INSERT OR REPLACE could rewrite it otherwise).
        cur.execute("PRAGMA recursive_triggers=ON")
        # Deleted and overwritten content is zeroed in the file, not left in free pages (an
        # erased person's name must not be recoverable from the database file).
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()
        # SQLite's lower() knows only ASCII; PostgreSQL's knows "Ö". Names are compared in
        # lower case (duplicate check, search), so both engines must agree.
        dbapi_conn.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v,
                                   deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


class Database:
    """The app's handle on its database: one per process, shared by all sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # The transaction this thread/task is inside, so nested service calls join it (an
        # import or the demo loader runs many service functions as one all-or-nothing unit).
        self._current: ContextVar[Session | None] = ContextVar(f"tx_{id(self)}", default=None)
        # Write transactions this thread/task committed: a cache that pinned the data stamp for a
        # page run (db.store.memo.one_stamp) sees its own changes by this count moving.
        self._committed: ContextVar[int] = ContextVar(f"committed_{id(self)}", default=0)

    @classmethod
    def from_url(cls, url: str | None = None) -> Database:
        return cls(make_engine(url))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        try:
            with self._sessions() as session, session.begin():
                yield session
        except PermissionDenied as exc:
            self._audit_denial(exc)
            raise

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on any error.

        Inside another write() block it joins that transaction instead of starting its own.
        """
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        try:
            with self._open_for_write() as session:
                token = self._current.set(session)
                try:
                    with session.begin():
                        yield session
                finally:
                    self._current.reset(token)
                    self._committed.set(self._committed.get() + 1)  # rolled back counts too: harmless
        except PermissionDenied as exc:
            self._audit_denial(exc)
            raise

    @property
    def writes_here(self) -> int:
        """How many write transactions this thread/task has ended so far."""
        return self._committed.get()

    def _audit_denial(self, exc: PermissionDenied) -> None:
        """An attempt on somebody else's record is itself a fact to keep (Sozialgeheimnis): it is
        written in a transaction of its own, after the refused one was rolled back."""
        if exc.actor is None or exc.entity is None:
            return
        from .audit import audit  # audit imports the models, which import nothing from here

        with self.write() as session:
            audit(session, exc.actor, "denied", exc.entity, exc.entity_id,  # type: ignore[arg-type]
                  {"reason": exc.message})

    @contextmanager
    def _open_for_write(self) -> Iterator[Session]:
        if not self.is_sqlite:
            with self._sessions() as session:
                yield session
            return
        # SQLite: take the write lock up front (see _sqlite_engine).
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with self._sessions(bind=conn) as session:
                yield session

    def dispose(self) -> None:
        self.engine.dispose()


def batched(items: Iterable[T], size: int = 500) -> Iterator[list[T]]:
    """Lists of at most `size` items: for IN lists below SQLite's limit of bound parameters
    per statement, and for bulk inserts that should not hold everything in memory at once."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
