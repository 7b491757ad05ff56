"""Fill a database with synthetic data: N cases over five years, ~10 contacts each.

    .venv/bin/python bench/generate.py --cases 100000 [--url DATABASE_URL]

Without --url: DATABASE_URL, else a new SQLite file in a temporary folder (its path is printed).
The database must be empty (a fresh file, or a fresh PostgreSQL database); it is migrated first.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.store.database import Database  # noqa: E402
from db.bootstrap import refresh_statistics  # noqa: E402
from db.demo.seed import has_data  # noqa: E402
from db.store.migrate import upgrade  # noqa: E402
from db.demo.synthetic import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/synthetic.sqlite3"
    db = Database.from_url(url)
    upgrade(db.engine)
    if has_data(db):
        sys.exit("Die Datenbank enthält schon Daten; bitte eine leere nehmen.")
    start = time.perf_counter()
    counts = generate(db, args.cases, seed=args.seed,
                      progress=lambda m: print(f"{time.perf_counter() - start:6.1f} s  {m}", flush=True))
    refresh_statistics(db)  # as the app does on start
    print(f"{time.perf_counter() - start:6.1f} s  fertig: {url}")
    for table, n in counts.items():
        print(f"  {table:24} {n:>10,}")


if __name__ == "__main__":
    main()
