"""Time of a caseload import: read, check (the preview) and write, for a sheet of N rows.

    .venv/bin/python bench/import_cases.py [--rows 5000] [--url DATABASE_URL] [--format csv|xlsx]

Without --url a throw-away SQLite file is used; with a PostgreSQL URL, use a scratch database:
the imported cases stay there. Prints seconds per step and for a re-import of the same file.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.actors import Actor  # noqa: E402
from db.casework.caseload_io import COLUMNS, check_import, import_cases, read_upload  # noqa: E402
from db.store.database import Database  # noqa: E402
from db.demo.seed import has_data, seed_demo  # noqa: E402
from db.store.migrate import upgrade  # noqa: E402
from db.store.models import User  # noqa: E402

STATUSES = ["Zugewiesen", "Erstgespräch geplant", "In Begleitung"]


def sheet(rows: int, fmt: str, prefix: str) -> bytes:
    frame = pd.DataFrame([{
        COLUMNS["client_number"]: f"{prefix}{n:06d}", COLUMNS["first_name"]: f"Vorname{n}",
        COLUMNS["last_name"]: "Massenimport", COLUMNS["town"]: "Guben",
        COLUMNS["birth_year"]: str(1960 + n % 40), COLUMNS["status"]: STATUSES[n % 3],
        COLUMNS["companion"]: "" if n % 3 == 0 else "begleiter1",
        COLUMNS["case_manager"]: "fallmanager1", COLUMNS["referred_on"]: "01.10.2026",
        COLUMNS["first_interview_at"]: "" if n % 3 == 0 else "10.10.2026 10:00",
    } for n in range(rows)])
    if fmt == "csv":
        return frame.to_csv(sep=";", index=False).encode("utf-8-sig")
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


def timed(label: str, action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    print(f"{label:28} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--url")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    db = Database.from_url(args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    upgrade(db.engine)
    if not has_data(db):
        seed_demo(db)
    with db.read() as session:
        lead = Actor.of(session.query(User).filter_by(username="leitung").one())
    data = sheet(args.rows, args.format, prefix=f"B{int(time.time()) % 100000:05d}-")
    print(f"{db.engine.dialect.name}, {args.rows} rows, {args.format}, {len(data) / 1024:.0f} KiB")
    frame = timed("read file", lambda: read_upload(f"bench.{args.format}", data))
    check = timed("check (preview)", lambda: check_import(db, lead, frame))
    assert check.ok and len(check.rows) == args.rows, check.problems[:5]
    result = timed("import (check + write)", lambda: import_cases(db, lead, frame, "bench"))
    assert result.created == args.rows
    again = timed("re-import (all skipped)", lambda: import_cases(db, lead, frame, "bench"))
    assert again.created == 0 and again.skipped == args.rows


if __name__ == "__main__":
    main()
