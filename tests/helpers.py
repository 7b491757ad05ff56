"""Small builders for tests: a case in a given status in one call."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import count

from sqlalchemy import func, select

from db.actors import Actor
from db.cases import (
    NewClient,
    NewPlacement,
    assign_companion,
    change_status,
    refer_client,
    schedule_first_interview,
)
from db.database import Database
from db.models import AuditEntry, Case, Employer
from db.vocabulary import CaseStatus, EndReason, PauseReason

_numbers = count(1)

# The shortest path from a new referral to each status.
PATHS: dict[CaseStatus, list[CaseStatus]] = {
    CaseStatus.REFERRED: [],
    CaseStatus.INTERVIEW_PLANNED: [CaseStatus.INTERVIEW_PLANNED],
    CaseStatus.ACTIVE: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE],
    CaseStatus.NO_SHOW: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.NO_SHOW],
    CaseStatus.DECLINED: [CaseStatus.DECLINED],
    CaseStatus.EMPLOYED: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED],
    CaseStatus.CLOSED: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.CLOSED],
    CaseStatus.PAUSED: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.PAUSED],
}


def new_client(**overrides: object) -> NewClient:
    values: dict[str, object] = {
        "client_number": f"T-{next(_numbers):05d}",
        "first_name": "Erika",
        "last_name": "Mustermann",
        "town": "Guben",
        "birth_year": 1980,
    }
    values.update(overrides)
    return NewClient(**values)  # type: ignore[arg-type]


def any_employer(db: Database) -> int:
    with db.write() as session:
        employer = session.scalar(select(Employer).limit(1))
        if employer is None:
            employer = Employer(name="Testbetrieb GmbH")
            session.add(employer)
            session.flush()
        return employer.id


def move(db: Database, actor: Actor, case_id: int, version: int, target: CaseStatus) -> int:
    """Apply one transition with whatever extra input it needs."""
    if target == CaseStatus.INTERVIEW_PLANNED:
        # Today: held or missed, its outcome is then dated today (a later day cannot be entered yet).
        at = datetime.combine(date.today(), time(8))
        return schedule_first_interview(db, actor, case_id, version, at)
    extra: dict[str, object] = {}
    if target == CaseStatus.CLOSED:
        extra["end_reason"] = EndReason.OTHER
    if target == CaseStatus.PAUSED:
        extra["pause_reason"] = PauseReason.ILLNESS
        extra["resume_on"] = date.today() + timedelta(days=30)
    if target == CaseStatus.EMPLOYED:
        extra["placement"] = NewPlacement(employer_id=any_employer(db), start_date=date.today())
    return change_status(db, actor, case_id, version, target, **extra)


def case_in(
    db: Database,
    actor: Actor,
    status: CaseStatus,
    *,
    companion_id: int,
    case_manager_id: int,
    referred_on: date | None = None,
) -> tuple[int, int]:
    """A fresh case in `status`, referred on `referred_on` (default 30 days ago). (id, version)."""
    case_id = refer_client(
        db,
        actor,
        client=new_client(),
        case_manager_id=case_manager_id,
        referred_on=referred_on or date.today() - timedelta(days=30),
    )
    version = assign_companion(db, actor, case_id, 1, companion_id, over_capacity_confirmed=True)
    for step in PATHS[status]:
        version = move(db, actor, case_id, version, step)
    return case_id, version


def audit_count(db: Database, **where: object) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(AuditEntry).filter_by(**where)
        return session.scalar(query) or 0


def load_case(db: Database, case_id: int) -> Case:
    with db.read() as session:
        return session.get_one(Case, case_id)
