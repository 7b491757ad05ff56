"""Time of the council's disclosure audit: one new release against every earlier one.

    .venv/bin/python bench/council_audit.py --url DATABASE_URL [--earlier 24]

On a database from bench/generate.py (100,000 cases over five years), as `leitung`:

1. releases every final quarter in order, timing each `prepare` (monthly counts, the quarter's
   tables, the audit over all releases before it, further protection where the audit asks)
   and each `release` (storing, making PDF, Excel, CSV and PNGs);
2. then times the audit alone – the integer programs over every printed cell – for the newest
   quarter against `--earlier` earlier releases (the stored ones, repeated as further quarters
   once the data have no more, so that the count can exceed five years of quarters).

Writes into the database given (releases are append-only: use a throw-away copy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from db.actors import Actor
from db.store.database import Database
from db.figures import releases
from db.figures.periods import ReportingPeriod
from db.store.models import User


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"), required=not os.environ.get("DATABASE_URL"))
    parser.add_argument("--earlier", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = Database.from_url(args.url)
    with db.read() as session:
        lead = Actor.of(session.scalars(select(User).where(User.username == "leitung")).one())
    print("Quartal     prepare   release  verdeckt  zusätzlich")
    for period in releases.final_periods(db):
        start = time.perf_counter()
        candidate = releases.prepare(db, lead, period.key)
        prepared = time.perf_counter() - start
        if candidate.current is None:
            start = time.perf_counter()
            releases.release(db, lead, period.key, candidate.content_hash)
            stored = time.perf_counter() - start
        else:
            stored = float("nan")
        print(f"{period.key:9} {prepared:7.2f} s {stored:7.2f} s  {candidate.hidden:8}  {candidate.widened:10}")
    stored = releases.releases(db, lead)
    newest, earlier = stored[0], stored[1:]
    # More earlier releases than the data have quarters: the stored ones again, as older quarters.
    padded, quarter = list(earlier), ReportingPeriod.containing(earlier[-1].period.start if earlier else newest.period.start)
    while len(padded) < args.earlier:
        quarter = ReportingPeriod.containing(quarter.start - timedelta(days=1))
        source = stored[len(padded) % len(stored)]
        padded.append(replace(source, id=-len(padded), corrected_by=None,
                              briefing=replace(source.briefing, period=quarter)))
    tables = {t.slug: t.table for t in newest.briefing.tables}
    cells = sum(len(t.table.rows) * len(t.table.columns) for r in [newest, *padded[:args.earlier]]
                for t in r.briefing.tables)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        exposures = releases._check(padded[:args.earlier], tables, newest.period)
        times.append(time.perf_counter() - start)
    hidden = sum(len(t.table.hidden) for r in [newest, *padded[:args.earlier]] for t in r.briefing.tables)
    print(f"Prüfung einer neuen Freigabe gegen {args.earlier} frühere ({cells} Zellen, {hidden} verdeckt): "
          f"Median {statistics.median(times):.2f} s, höchstens {max(times):.2f} s; "
          f"Befunde: {len(exposures)}")


if __name__ == "__main__":
    main()
