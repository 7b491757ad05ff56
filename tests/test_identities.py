"""Identities between the council's printed cells, found by a machine instead of a list.

A reader who knows that two printed cells always obey an equation can compute a hidden one from
the other. The disclosure audit knows each table's own "Summe" and the identities declared in
db.figures.identities – and nothing else. So this test looks for every other equation:

1. it generates programmes through the service functions (random sizes, histories, imports and
   contacts entered late), each on its own SQLite database;
2. for every month of every programme it drafts every table the council can get
   (db.figures.council.counts, the one list the draft protects) – with every total – and beside
   them the stocks of the month before (a stock-flow equation would tie two releases);
3. the rows of a matrix are programme × month, its columns the cells; every integer vector c
   with M·c = 0 is an equation that held in all of them. Its null space comes from an SVD,
   each basis vector in reduced echelon form is turned into integers and checked exactly;
4. each equation must lie in the span of the known ones: the tables' sums and the declared
   identities. Anything else is reported, named by table, row and column.

One-month periods give many rows from few programmes (an equation between a period's tables
holds for any period); the generator must make every cell non-zero somewhere, or a cell that is
always 0 would look like an equation. A probe adds a redundant table and expects the report.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from fractions import Fraction
from math import lcm
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from db.actors import Actor
from db.figures import council, flows
from db.figures.disclosure import TOTAL, PublishedTable
from db.figures.feasibility import audit
from db.figures.identities import IDENTITIES, FIRST_INTERVIEW_CONTACTS, Identity, links
from db.figures.periods import ReportingPeriod
from db.reporting.registry import label
from db.store.database import Database

from .helpers import programme_through_services
from .test_council_attack import late_entries

Key = tuple[int, str, str, str]  # lag (0: the month, 1: the month before), table, row, column
PROGRAMMES = (11, 12, 13, 14, 15)  # seeds: sizes, histories and imports are drawn from them


def month_of(day: date) -> ReportingPeriod:
    start = day.replace(day=1)
    return ReportingPeriod(start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))


def observations(db: Database, actor: Actor, today: date) -> list[dict[Key, int]]:
    """Every cell of every council table for each month since the programme's start, with the
    stock tables of the month before (all 0 before the first month)."""
    rows: list[dict[Key, int]] = []
    month = month_of(flows.programme_start(db) or today)
    before: dict[Key, int] | None = None
    while month.start <= today:
        cells: dict[Key, int] = {}
        stocks: set[str] = set()
        for slug, table in council.counts(db, actor, month).items():
            grid = table.grid()
            if table.stock:
                stocks.add(slug)
            cells.update({(0, slug, str(r), str(c)): int(grid.loc[r, c])
                          for r in grid.index for c in grid.columns})
        if before is None:
            before = {(1, *k[1:]): 0 for k in cells if k[1] in stocks}
        rows.append({**cells, **before})
        before = {(1, *k[1:]): v for k, v in cells.items() if k[1] in stocks}
        month = month_of(month.end + timedelta(days=1))
    return rows


def known(columns: list[Key], sample: dict[Key, int],
          identities: tuple[Identity, ...]) -> np.ndarray:
    """The equations the audit knows, as rows over `columns`: every table's sums (as
    PublishedTable.lines gives them to the audit) and the declared identities (as
    db.figures.identities.links gives them), for the month and the month before."""
    tables: dict[tuple[int, str], PublishedTable] = {}
    for lag, slug in sorted({k[:2] for k in columns}):
        cells = {k[2:]: v for k, v in sample.items() if k[:2] == (lag, slug)}
        rows = list(dict.fromkeys(r for r, _ in cells))
        cols = list(dict.fromkeys(c for _, c in cells))
        tables[(lag, slug)] = PublishedTable(
            tuple(rows), tuple(cols), tuple(tuple(str(cells[(r, c)]) for c in cols) for r in rows),
            row_totals=TOTAL in cols, column_totals=TOTAL in rows)
    index = {k: i for i, k in enumerate(columns)}
    equations = []
    for (lag, slug), table in tables.items():
        for parts, total in table.lines():
            equations.append({(lag, slug, *total): -1, **{(lag, slug, *p): 1 for p in parts}})
    for link in links(tables, identities):
        (lag, slug), row, col = link.total
        equation = {(lag, slug, row, col): -1}
        for (plag, pslug), prow, pcol in link.parts:
            key = (plag, pslug, prow, pcol)
            equation[key] = equation.get(key, 0) + 1
        equations.append(equation)
    out = np.zeros((len(equations), len(columns)))
    for i, equation in enumerate(equations):
        for key, coef in equation.items():
            out[i, index[key]] = coef
    return out


def echelon(basis: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Reduced row echelon form of a basis (partial pivoting): each row has a 1 where the
    others have 0, so small rational entries come out – a readable equation per row."""
    a = basis.copy()
    pivot_row = 0
    for col in range(a.shape[1]):
        if pivot_row == a.shape[0]:
            break
        best = pivot_row + int(np.argmax(abs(a[pivot_row:, col])))
        if abs(a[best, col]) < tol:
            continue
        a[[pivot_row, best]] = a[[best, pivot_row]]
        a[pivot_row] /= a[pivot_row, col]
        for i in range(a.shape[0]):
            if i != pivot_row:
                a[i] -= a[i, col] * a[pivot_row]
        pivot_row += 1
    return a[:pivot_row]


def integer_equations(matrix: np.ndarray) -> list[np.ndarray]:
    """Every integer vector c with matrix·c = 0, as a basis; each checked exactly on integers."""
    _, singular, vt = np.linalg.svd(matrix)
    tol = max(matrix.shape) * singular[0] * 1e-10
    rank = int((singular > tol).sum())
    found = []
    exact = matrix.astype(np.int64)
    for row in echelon(vt[rank:]):
        fractions = [Fraction(float(x)).limit_denominator(1000) for x in row]
        scale = lcm(*(f.denominator for f in fractions))
        vector = np.array([int(f * scale) for f in fractions], dtype=np.int64)
        assert not (exact @ vector).any(), f"no integer equation behind {row}"  # never rounded into being
        found.append(vector)
    return found


def unexplained(rows: list[dict[Key, int]],
                identities: tuple[Identity, ...] = IDENTITIES) -> list[str]:
    """The equations between cells that held in every row and that the audit does not know."""
    columns = sorted({k for r in rows for k in r})
    matrix = np.array([[r.get(k, 0) for k in columns] for r in rows], dtype=float)
    never = [columns[i] for i in np.flatnonzero(~matrix.any(axis=0))]
    assert not never, f"the generator never makes these cells non-zero, so they prove nothing: {never}"
    base = known(columns, rows[0], identities)
    rank = np.linalg.matrix_rank(base)
    report = []
    for vector in sorted(integer_equations(matrix), key=np.count_nonzero):  # shortest first
        # Each reported equation adds one dimension the audit does not know: as many lines as
        # unknown independent equations, none a mere combination of reported and known ones.
        wider = np.vstack([base, vector])
        if np.linalg.matrix_rank(wider) > rank:
            base, rank = wider, rank + 1
            report.append(" + ".join(f"{c}·{columns[i]}" for i, c in enumerate(vector) if c) + " = 0")
    return report


@pytest.fixture(scope="module")
def programmes(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[list[tuple[Database, Actor]]]:
    folder = tmp_path_factory.mktemp("identities")
    made = []
    today = date.today()
    for seed in PROGRAMMES:
        path = folder / f"programme-{seed}.sqlite3"
        shutil.copy(_sqlite_template, path)
        db = Database.from_url(f"sqlite:///{path}")
        rng = random.Random(seed)
        actors = programme_through_services(db, rng, rng.randint(30, 80), today, rng.randint(0, 10))
        late_entries(db, actors, rng, today)
        made.append((db, actors["lead"]))
    yield made
    for db, _ in made:
        db.dispose()


def all_rows(programmes: list[tuple[Database, Actor]]) -> list[dict[Key, int]]:
    return [row for db, lead in programmes for row in observations(db, lead, date.today())]


def test_every_equation_between_council_cells_is_declared_to_the_audit(
        programmes: list[tuple[Database, Actor]]) -> None:
    rows = all_rows(programmes)
    columns = {k for r in rows for k in r}
    assert len(rows) > 1.3 * len(columns), "too few months for the null space to mean anything"
    assert unexplained(rows) == []


def redundant(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    """A table that repeats two figures printed elsewhere: referrals and all leavers."""
    events = council._events(data, towns, months)
    exits = council._exits(data, towns, months)
    return pd.DataFrame({"Anzahl": [int(events.loc[label("referrals"), "Anzahl"]),
                                    int(exits["Abgänge"].sum())]},
                        index=pd.Index(["Neu", "Gegangen"]))


def test_a_new_table_that_repeats_figures_is_reported_until_declared(
        programmes: list[tuple[Database, Actor]], monkeypatch: pytest.MonkeyPatch) -> None:
    probe = council._Spec("probe", "Zu- und Abgänge", "Probe", "Art", False, redundant)
    monkeypatch.setattr(council, "PERIOD_TABLES", (*council.PERIOD_TABLES, probe))
    rows = all_rows(programmes)
    found = unexplained(rows)
    assert len(found) == 2 and all("'probe'" in f for f in found), found
    declared = (
        Identity("Neu", ("probe", "Neu", "Anzahl"), (("zugaenge", label("referrals"), "Anzahl"),)),
        Identity("Gegangen", ("probe", "Gegangen", "Anzahl"), (("abgaenge", TOTAL, "Abgänge"),)),
    )
    assert unexplained(rows, (*IDENTITIES, *declared)) == []


def test_the_audit_uses_the_declared_identity_on_releases_that_print_it() -> None:
    """A release stored before the contacts table lost its "Erstgespräch" row prints the
    interviews twice: hidden in one table, printed in the other, the audit must see through it."""
    interviews = label("interviews_held")
    first = FIRST_INTERVIEW_CONTACTS.total[1]
    tables = {
        (7, "zugaenge"): PublishedTable((interviews,), ("Anzahl",), (("2",),), False, False),
        (7, "kontakte"): PublishedTable((first, "Hausbesuch", TOTAL), ("Kontakte",),
                                        (("< 3",), ("•",), ("9",)), False, True),
    }
    assert audit(tables) == []  # without the identity nothing is pinned down …
    found = audit(tables, links=links(tables))
    assert {e.cell for e in found} >= {((7, "kontakte"), first, "Kontakte")}, found


def test_new_drafts_print_interviews_once(programmes: list[tuple[Database, Actor]]) -> None:
    db, lead = programmes[0]
    tables = council.counts(db, lead, ReportingPeriod.containing(date.today()))
    assert FIRST_INTERVIEW_CONTACTS.total[1] not in tables["kontakte"].counts.index
    assert label("interviews_held") in tables["zugaenge"].counts.index



def _summed(tables: list[dict[str, council.Counts]], slug: str) -> pd.DataFrame:
    return sum((t[slug].counts for t in tables[1:]), tables[0][slug].counts)


@pytest.mark.parametrize(("seed", "cases"), [(298, 17), (5, 6), (21, 30)])
def test_a_year_is_the_sum_of_the_quarters_the_calendar_gives_it(db: Database, seed: int, cases: int) -> None:
    """The audit is told "year = Σ its quarters" (db.figures.revisions.year_links) for the
    quarters the calendar releases: those from the programme's first quarter on. Anything
    counted in a year before that quarter – office hours held before the first referral – broke
    the identity (the attacker's model had no solution, seed 298). Each year of generated
    programmes, with an office hour before everything else, against its quarters."""
    from db.programme.locations import record_office_hours
    from db.store.models import OfficeHourLocation

    rng, today = random.Random(seed), date.today()
    actors = programme_through_services(db, rng, cases, today)
    first = flows.programme_start(db)
    with db.read() as session:
        place = session.query(OfficeHourLocation).first().id
    record_office_hours(db, actors["companion"], place, date(first.year, 1, 1), 4)  # before the first referral
    start = flows.programme_start(db)
    lead = actors["lead"]
    for year in range(start.year, today.year + 1):
        period = ReportingPeriod.year(year)
        quarters = [q for q in period.quarters()
                    if ReportingPeriod.containing(start) <= q and q.start <= today]
        whole = council.counts(db, lead, period)
        parts = [council.counts(db, lead, q) for q in quarters]
        for slug, table in whole.items():
            expected = (parts[-1][slug].counts if slug in ("stichtag", "geplant") and quarters[-1] == period.quarters()[-1]
                        else _summed(parts, slug) if slug not in ("stichtag", "geplant") else None)
            if expected is None:
                continue  # a stock of a year not over yet
            pd.testing.assert_frame_equal(table.counts, expected, check_dtype=False, obj=f"{year} {slug}")
