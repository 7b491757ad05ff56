"""Eight people saving at once on the same few cases: each save succeeds or gets a conflict,
nothing is lost, duplicated or half-written, and no "database is locked" escapes."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import date

from sqlalchemy import func, select

from db.casework.activities import record_activity
from db.casework.caseload import CaseFilter, caseload
from db.casework.cases import NewPlacement, change_status, set_next_step
from db.errors import ConflictError
from db.store.models import AuditEntry, Case, StatusChange
from db.vocabulary import ActivityKind, CaseStatus, JobKind

from .conftest import World
from .helpers import any_employer

THREADS = 8
ATTEMPTS = 200


def test_concurrent_writers_on_overlapping_cases(world: World) -> None:
    db = world.db
    lead = world.actor("leitung")
    employer_id = any_employer(db)
    cases = [r.case_id for r in caseload(db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=4).rows]
    with db.read() as session:
        first_audit = session.scalar(select(func.max(AuditEntry.id))) or 0
        changes_before = session.scalar(select(func.count()).select_from(StatusChange)) or 0
    outcomes: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for _ in range(ATTEMPTS):
            case_id = rng.choice(cases)
            with db.read() as session:  # what the person's screen showed a moment ago
                case = session.get_one(Case, case_id)
                version, status = case.version, case.status
            op = rng.choice(["status", "status", "contact", "next_step"])
            try:
                if op == "status":
                    target = CaseStatus.EMPLOYED if status == CaseStatus.ACTIVE else CaseStatus.ACTIVE
                    job = NewPlacement(employer_id, date.today(), JobKind.FULL_TIME) if target == CaseStatus.EMPLOYED else None
                    change_status(db, lead, case_id, version, target, placement=job)
                elif op == "contact":
                    record_activity(db, lead, case_id, ActivityKind.PHONE, note=f"Thread {seed}")
                else:
                    set_next_step(db, lead, case_id, version, f"Schritt von {seed}", None)
                result = op
            except ConflictError:
                result = "conflict"
            except BaseException as exc:  # noqa: BLE001 - anything else is the failure we look for
                with lock:
                    unexpected.append(exc)
                continue
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == [], unexpected[:3]  # no "database is locked", no deadlock, no crash
    successes = outcomes["status"] + outcomes["contact"] + outcomes["next_step"]
    assert successes + outcomes["conflict"] == THREADS * ATTEMPTS
    assert outcomes["status"] > 0 and outcomes["conflict"] > 0  # the cases really overlapped
    with db.read() as session:
        audits = session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.id > first_audit)) or 0
        changes = session.scalar(select(func.count()).select_from(StatusChange)) or 0
        assert audits == successes
        assert changes - changes_before == outcomes["status"]
        for case_id in cases:  # each case's history is one unbroken chain ending in its status
            history = session.scalars(select(StatusChange).where(StatusChange.case_id == case_id)
                                      .order_by(StatusChange.id)).all()
            for before, after in zip(history, history[1:], strict=False):
                assert after.from_status == before.to_status
            assert history[-1].to_status == session.get_one(Case, case_id).status
