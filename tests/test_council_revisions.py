"""Revisions that do not hide more (db.figures.revisions, README "Revisionen").

Over the released world with late entries of every kind the cockpit takes back-dated (contacts,
barriers, office-hour visits), drawn from several seeds: every correction and every quarter of
the annual release

- keeps hidden what the version it replaces hid (unless now zero: zeros are printed);
- hides a cell the replaced version printed only with a reason stored beside the table – and
  the reason is checked here from the true counts: the cell is small now, or printing it (its
  true value, everything else as released) lets the audit over all earlier releases pin
  something down;
- says "vorläufig" before the annual release and "endgültig" in it, on the page data and in
  every file.
"""

from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from db.casework.activities import LOGGABLE_KINDS, record_activity
from db.casework.barriers import add_barrier
from db.errors import DomainError, ValidationError
from db.figures import council, releases
from db.figures.council import FINAL, PROVISIONAL
from db.figures.disclosure import MARKS, PublishedTable, is_small, with_totals
from db.figures.revisions import SMALL_NOW, Version, check
from db.programme.locations import record_office_hours
from db.store.models import Case, OfficeHourLocation
from db.vocabulary import Barrier

from .conftest import World


def late_entries(world: World, rng: random.Random, n: int) -> None:
    """Contacts, barriers and office-hour visits entered today, dated back into released quarters."""
    companion = world.actor("begleiter1")
    periods = releases.final_periods(world.db)
    first, last = periods[0].start, periods[-1].end
    with world.db.read() as session:
        started = session.execute(select(Case.id, Case.start_date).where(
            Case.start_date.is_not(None), Case.start_date <= last).order_by(Case.id)).all()
        places = list(session.scalars(select(OfficeHourLocation.id).order_by(OfficeHourLocation.id)))
    for _ in range(n):
        case_id, start = rng.choice(started)
        day = start + timedelta(days=rng.randint(0, (last - start).days))
        kind = rng.choice(("contact", "contact", "barrier", "visit"))
        try:
            if kind == "contact":
                record_activity(world.db, companion, case_id, rng.choice(LOGGABLE_KINDS), occurred_on=day)
            elif kind == "barrier":
                add_barrier(world.db, companion, case_id, rng.choice(list(Barrier)), noted_on=day)
            else:
                record_office_hours(world.db, companion, rng.choice(places),
                                    first + timedelta(days=rng.randint(0, (last - first).days)), rng.randint(1, 4))
        except DomainError:
            pass  # a barrier already open: that entry is not made


def true_grid(world: World, period, slug: str):  # type: ignore[no-untyped-def]
    t = council.counts(world.db, world.actor("leitung"), period)[slug]
    return with_totals(t.counts, row_totals=t.row_totals, column_totals=t.column_totals)


def printed_with(table: PublishedTable, cell: tuple[str, str], value: int) -> PublishedTable:
    r, c = table.rows.index(cell[0]), table.columns.index(cell[1])
    cells = [list(line) for line in table.cells]
    cells[r][c] = str(value)
    return replace(table, cells=tuple(tuple(line) for line in cells))


def misread(table: PublishedTable, grid) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The cells whose true value the reader's reading of the printed table rules out."""
    return [(r, c) for r, line in zip(table.rows, table.known_ranges()) for c, (low, high) in zip(table.columns, line)
            if not low <= int(grid.loc[r, c]) <= high]


def assert_revisions_keep_what_was_printed(world: World, stored: list[releases.Release]) -> int:
    """Every new version against the one it replaces; returns how many withheld cells were checked."""
    by_id = {r.id: r for r in stored}
    checked = 0
    for new in sorted(stored, key=lambda r: r.id):
        if not new.corrects_id:
            continue
        old = by_id[new.corrects_id]
        earlier = [r for r in stored if r.id < new.id]
        for table in new.briefing.tables:
            before = old.briefing.table(table.slug).table
            grid = true_grid(world, new.period, table.slug)
            hidden_before, hidden_now = before.hidden, table.table.hidden
            why = {(row, col): text for row, col, text in table.withheld}
            for cell in hidden_before:  # what the council never saw stays unseen
                if cell[0] in table.table.rows and cell[1] in table.table.columns:
                    assert cell in hidden_now or int(grid.loc[cell]) == 0, (new.period.key, table.slug, cell)
            newly = {c for c in hidden_now if c[0] in before.rows and c[1] in before.columns
                     and c not in hidden_before}
            assert set(why) == newly, (new.period.key, table.slug, newly, why)
            for cell in newly:
                value = int(grid.loc[cell])
                if why[cell] == SMALL_NOW:
                    assert is_small(value), (cell, value)
                    continue
                # The stated proof: printed with its true value, the audit finds something – or
                # the table would print a count beside a "•" on a small count, which a reader
                # takes for at least 3 (PublishedTable.known_ranges): the mark would mislead.
                tables = {t.slug: t.table for t in new.briefing.tables}
                tables[table.slug] = printed_with(table.table, cell, value)
                if misread(tables[table.slug], grid):
                    checked += 1
                    continue
                versions = [Version(r.id, r.period, {t.slug: t.table for t in r.briefing.tables}) for r in earlier]
                assert check(versions, {new.period: tables}), (new.period.key, table.slug, cell, why[cell])
                checked += 1
    return checked


@pytest.mark.parametrize("seed", [3])  # a second seed doubled the sweep (10 days); test_council_notes draws more
def test_no_revision_hides_what_its_original_printed_without_the_audits_reason(
        released_world: World, seed: int) -> None:
    world, lead = released_world, released_world.actor("leitung")
    council_actor = world.actor("kreistag")
    first = releases.releases(world.db, council_actor)
    assert first and all(r.briefing.status == PROVISIONAL and "(vorläufig)" in r.title for r in first)
    late_entries(world, random.Random(seed), 25)
    corrected = 0
    for period in releases.releasable(world.db, lead):
        if period.is_year:
            continue
        candidate = releases.prepare(world.db, lead, period.key)
        if candidate.current is not None and not candidate.unchanged:
            releases.release(world.db, lead, period.key, candidate.content_hash)
            corrected += 1
    assert corrected, "the late entries should move a released quarter"
    years = [p for p in releases.releasable(world.db, lead) if p.is_year]
    assert years, "some year's annual release is due on every day (README: from 29 April)"
    for year in years:
        candidate = releases.prepare(world.db, lead, year.key)
        releases.release(world.db, lead, year.key, candidate.content_hash)
    stored = releases.releases(world.db, council_actor)
    assert_revisions_keep_what_was_printed(world, stored)
    # Annual release: the year and its quarters "endgültig", and no further change to them.
    for year in years:
        final = [r for r in stored if r.corrected_by is None and r.period.start.year == year.start.year]
        assert {r.period for r in final} == {year, *[q for q in releases.final_periods(world.db)
                                                      if q.start.year == year.start.year]}
        assert all(r.briefing.status == FINAL and r.title.endswith("(endgültig)") for r in final)
        for r in final:
            frame = pd.read_csv(io.BytesIO(releases.release_file(world.db, council_actor, r.id, "csv")),
                                sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
            assert set(frame["Stand"]) == {FINAL}
            sheet = load_workbook(io.BytesIO(releases.release_file(world.db, council_actor, r.id, "xlsx"))).worksheets[0]
            assert "Endgültig" in sheet["A2"].value
            pdf = PdfReader(io.BytesIO(releases.release_file(world.db, council_actor, r.id, "pdf")))
            assert "Endgültig" in pdf.pages[0].extract_text()
        year_release = next(r for r in final if r.period == year)
        q4 = next(r for r in final if r.period == year.quarters()[-1])
        assert year_release.briefing.table("stichtag").table.cells == q4.briefing.table("stichtag").table.cells
        for period in {r.period for r in final}:
            with pytest.raises(ValidationError, match="endgültig"):
                releases.prepare(world.db, lead, period.key)
    # The year's printed flows add up to its quarters' wherever all are printed.
    for year in years:
        final = {r.period: r for r in stored if r.corrected_by is None and r.period.start.year == year.start.year}
        for table in final[year].briefing.tables:
            if table.slug in ("stichtag", "geplant"):
                continue
            for row in table.table.rows:
                for col in table.table.columns:
                    parts = [final[q].briefing.table(table.slug).table.cell(row, col)
                             for q in year.quarters() if q in final]
                    total = table.table.cell(row, col)
                    if not any(p in MARKS for p in [*parts, total]):
                        assert int(total) == sum(map(int, parts)), (table.slug, row, col)
    # Still provisional: the first releases the annual release did not reach.
    later = [r for r in stored if r.corrected_by is None and r.period.start.year not in {y.start.year for y in years}]
    assert all(r.briefing.status == PROVISIONAL for r in later)
