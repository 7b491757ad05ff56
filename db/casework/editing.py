"""The edit transaction every change of a case runs in: load, check permission, check the
optimistic-lock version, let the caller change the case, stamp who changed it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.permissions import require_case
from ..actors import Actor
from ..errors import ConflictError, NotFound
from ..store.database import Database
from ..store.models import Case


def conflict_message(changed_by: str | None) -> str:
    who = changed_by or "einer anderen Person"
    return f"Dieser Fall wurde inzwischen von {who} geändert. Bitte laden Sie ihn neu."


@contextmanager
def editing(db: Database, actor: Actor, case_id: int, version: int) -> Iterator[tuple[Session, Case]]:
    """Load a case for change; refuse if somebody saved it since the caller loaded `version`."""
    try:
        with db.write() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound("Diesen Fall gibt es nicht.")
            require_case(actor, case, edit=True)
            if case.version != version:
                by = case.updated_by.display_name if case.updated_by else None
                raise ConflictError(conflict_message(by), changed_by=by)
            yield session, case
            case.updated_by_id = actor.id
            session.flush()
    except StaleDataError as exc:
        # Another transaction committed between our read and our write (PostgreSQL).
        raise ConflictError(conflict_message(None)) from exc
