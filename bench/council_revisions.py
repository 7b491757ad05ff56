"""How much a correction hides beside its original: hidden cells per quarter, before and after.

    .venv/bin/python bench/council_revisions.py [--late 20] [--seed 7]

Builds the tests' released world in a throw-away SQLite file – the demo world, a programme
history through the service functions (tests/helpers.py), every final quarter released –
then enters `--late` contacts, barriers and office-hour visits dated back into released
quarters, releases a correction for every quarter that moved and then the annual release of
every year that is due (its quarters revised, "endgültig"). Prints, per new version, the hidden
cells of the version it replaces and of itself, and the cells it hides that the replaced one
printed, with the reason it records for each.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from db.actors import Actor
from db.casework.activities import LOGGABLE_KINDS, record_activity
from db.casework.barriers import add_barrier
from db.errors import DomainError
from db.programme.locations import record_office_hours
from db.vocabulary import Barrier
from db.demo.seed import seed_demo
from db.figures import releases
from db.store.database import Database
from db.store.migrate import upgrade
from db.store.models import Case, OfficeHourLocation, User
from tests.helpers import programme_through_services


def history_end(today: date) -> date:
    from db.figures.periods import ReportingPeriod

    period = ReportingPeriod.containing(today)
    while period.final_from > today:
        period = ReportingPeriod.containing(period.start - timedelta(days=1))
    return period.end


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--late", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    db = Database.from_url(f"sqlite:///{folder}/bench.sqlite3")
    upgrade(db.engine)
    today = date.today()  # the releases take today from db.clock
    seed_demo(db, today=today)
    with db.read() as session:
        actor = lambda name: Actor.of(session.scalars(select(User).where(User.username == name)).one())
        actors = {role: actor(name) for role, name in (
            ("companion", "begleiter1"), ("case_manager", "fallmanager1"), ("lead", "leitung"),
            ("council", "kreistag"))}
    programme_through_services(db, random.Random(4), 70, history_end(today) + timedelta(days=1), 8, actors=actors)
    lead = actors["lead"]
    for period in releases.final_periods(db):
        releases.release(db, lead, period.key, releases.prepare(db, lead, period.key).content_hash)
    rng = random.Random(args.seed)
    last = releases.final_periods(db)[-1].end
    with db.read() as session:
        started = session.execute(select(Case.id, Case.start_date).where(
            Case.start_date.is_not(None), Case.start_date <= last)).all()
    with db.read() as session:
        places = list(session.scalars(select(OfficeHourLocation.id)))
    first = releases.final_periods(db)[0].start
    for _ in range(args.late):  # contacts, barriers and office-hour visits, dated back
        case_id, start = rng.choice(started)
        day = start + timedelta(days=rng.randint(0, (last - start).days))
        kind = rng.choice(("contact", "contact", "barrier", "visit"))
        try:
            if kind == "contact":
                record_activity(db, actors["companion"], case_id, rng.choice(LOGGABLE_KINDS), occurred_on=day)
            elif kind == "barrier":
                add_barrier(db, actors["companion"], case_id, rng.choice(list(Barrier)), noted_on=day)
            else:
                record_office_hours(db, actors["companion"], rng.choice(places),
                                    first + timedelta(days=rng.randint(0, (last - first).days)), rng.randint(1, 4))
        except DomainError:
            pass  # e.g. the barrier is open already: that entry is not made
    for period in releases.final_periods(db):
        candidate = releases.prepare(db, lead, period.key)
        if not candidate.unchanged:
            releases.release(db, lead, period.key, candidate.content_hash)
    for year in releases.annual_periods(db):
        start = time.perf_counter()
        candidate = releases.prepare(db, lead, year.key)
        print(f"Jahresbericht {year.start.year}: Vorbereitung mit Prüfung {time.perf_counter() - start:.1f} s")
        releases.release(db, lead, year.key, candidate.content_hash)
    stored = {r.id: r for r in releases.releases(db, actors["council"])}
    print("Quartal   Stand       verdeckt vorher  verdeckt neu  vorher gedruckt, jetzt verdeckt")
    totals = [0, 0, 0]
    for r in sorted(stored.values(), key=lambda r: r.id):
        if not r.corrects_id:
            continue
        original = stored[r.corrects_id]
        old = {(t.slug, *cell) for t in original.briefing.tables for cell in t.table.hidden}
        new = {(t.slug, *cell) for t in r.briefing.tables for cell in t.table.hidden}
        shown_before = {(t.slug, row, col) for t in original.briefing.tables
                        for row in t.table.rows for col in t.table.columns} - old
        newly = sorted(new & shown_before)
        totals = [totals[0] + len(old), totals[1] + len(new), totals[2] + len(newly)]
        print(f"{r.period.key:9} {r.briefing.status:10} {len(old):15} {len(new):13} {len(newly):32}")
        why = {(t.slug, row, col): text for t in r.briefing.tables for row, col, text in t.withheld}
        for cell in newly:
            print(f"            {cell}: {why.get(cell, 'OHNE BEGRÜNDUNG')}")
    quarters = len({r.period for r in stored.values()})
    corrections = sum(1 for r in stored.values() if r.corrects_id)
    years = [r for r in stored.values() if r.period.is_year]
    print(f"{quarters} Zeiträume, {corrections} neue Fassungen; verdeckt: ersetzte Fassungen {totals[0]}, "
          f"neue Fassungen {totals[1]}, vorher gedruckt und jetzt verdeckt {totals[2]}; "
          + ", ".join(f"{y.period.label}: {sum(len(t.table.hidden) for t in y.briefing.tables)} verdeckt"
                      for y in years))
    db.dispose()


if __name__ == "__main__":
    main()
