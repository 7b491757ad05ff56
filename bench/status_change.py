"""Server-side latency of the companion's most frequent writes on the demo data.

    .venv/bin/python bench/status_change.py [--rounds 200] [--url DATABASE_URL]

Without --url a throw-away SQLite file is used. Prints median and p95 per operation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.actors import Actor  # noqa: E402
from db.casework.activities import record_activity  # noqa: E402
from db.casework.caseload import CaseFilter, caseload  # noqa: E402
from db.casework.cases import set_next_step  # noqa: E402
from db.store.database import Database  # noqa: E402
from db.demo.seed import has_data, seed_demo  # noqa: E402
from db.store.migrate import upgrade  # noqa: E402
from db.store.models import User  # noqa: E402
from db.vocabulary import ActivityKind, CaseStatus  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--url")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    db = Database.from_url(url)
    upgrade(db.engine)
    if not has_data(db):
        seed_demo(db)
    with db.read() as session:
        companion = Actor.of(session.query(User).filter_by(username="begleiter1").one())
    row = caseload(db, companion, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]

    timings: dict[str, list[float]] = {"set_next_step": [], "record_activity": []}
    version = row.version
    for i in range(args.rounds):
        start = time.perf_counter()
        version = set_next_step(db, companion, row.case_id, version, f"Schritt {i}", None)
        timings["set_next_step"].append(time.perf_counter() - start)
        start = time.perf_counter()
        record_activity(db, companion, row.case_id, ActivityKind.PHONE, duration_minutes=10)
        timings["record_activity"].append(time.perf_counter() - start)

    print(f"{db.engine.dialect.name}, {args.rounds} rounds")
    print(f"{'operation':20} {'median ms':>10} {'p95 ms':>10}")
    for name, values in timings.items():
        print(f"{name:20} {statistics.median(values) * 1000:10.2f} {percentile(values, 0.95) * 1000:10.2f}")
    db.dispose()


if __name__ == "__main__":
    main()
