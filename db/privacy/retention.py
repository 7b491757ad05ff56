"""Retention: personal data of finished cases is removed after a period (default three years
after the last case of a person ended), while every count stays as it was.

What goes and what stays is db/privacy/erasure.py's rule (the same eraser serves a request under
Art. 17): the figures of the Lagebild and of the council for past periods are the same before
and after.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, select

from ..accounts.permissions import require_role
from ..actors import Actor
from ..casework.workflow import OPEN_STATUSES
from ..clock import today
from ..errors import ValidationError
from ..store.audit import audit
from ..store.database import Database
from ..store.models import Case, Client
from ..vocabulary import Role
from .erasure import erase_clients, flush_old_values

DEFAULT_YEARS = 3


def retention_years(environ: dict[str, str] | None = None) -> int:
    """RETENTION_YEARS from the environment, else three years."""
    raw = (environ if environ is not None else os.environ).get("RETENTION_YEARS", "").strip()
    if not raw:
        return DEFAULT_YEARS
    try:
        years = int(raw)
    except ValueError:
        raise ValidationError(f"RETENTION_YEARS muss eine ganze Zahl sein, nicht „{raw}“.") from None
    if not 1 <= years <= 30:
        raise ValidationError("RETENTION_YEARS muss zwischen 1 und 30 liegen.")
    return years


def cutoff(years: int, on: date | None = None) -> date:
    day = on or today()
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _due(limit: date):  # type: ignore[no-untyped-def]
    """Clients not yet anonymised with at least one case, none open, and the last ended before
    the limit."""
    still_relevant = exists().where(
        Case.client_id == Client.id,
        (Case.status.in_(OPEN_STATUSES)) | Case.end_date.is_(None) | (Case.end_date >= limit),
    )
    has_case = exists().where(Case.client_id == Client.id)
    return and_(Client.anonymised_on.is_(None), has_case, ~still_relevant)


@dataclass(frozen=True)
class RetentionResult:
    clients: int
    cases: int
    cutoff: date


def count_due(db: Database, actor: Actor, years: int | None = None) -> int:
    require_role(actor, Role.LEAD, Role.ADMIN)
    limit = cutoff(years if years is not None else retention_years())
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Client).where(_due(limit))) or 0


def anonymise_closed_cases(db: Database, actor: Actor, years: int | None = None) -> RetentionResult:
    """One transaction: remove the personal data of every client that is due; audited."""
    require_role(actor, Role.LEAD, Role.ADMIN)
    years = years if years is not None else retention_years()
    if not 1 <= years <= 30:
        raise ValidationError("Die Aufbewahrungsfrist muss zwischen 1 und 30 Jahren liegen.")
    limit = cutoff(years)
    with db.write() as session:
        client_ids = list(session.scalars(select(Client.id).where(_due(limit))))
        if not client_ids:
            return RetentionResult(0, 0, limit)
        case_ids = erase_clients(session, client_ids)
        for client_id in client_ids:
            audit(session, actor, "anonymise", "client", client_id, {"cutoff": limit})
        audit(session, actor, "anonymise", "retention", None,
              {"years": years, "cutoff": limit, "clients": len(client_ids), "cases": len(case_ids)})
    flush_old_values(db)
    return RetentionResult(len(client_ids), len(case_ids), limit)
