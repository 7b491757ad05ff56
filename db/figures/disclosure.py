"""Statistical disclosure control for every table the council (Kreistag) receives.

A published table is a grid of counts with, optionally, a "Summe" column (row totals) and a
"Summe" row (column totals). Protection works in two steps, as official statistics do:

1. **Primary suppression**: every count of 1 or 2 (interior cell or total) is hidden and marked
   ``< 3``.
2. **Secondary suppression**: further cells are hidden (marked ``•``) until no hidden cell can be
   worked out from what is published. "Worked out" includes more than one linear combination of
   the margins: the marks themselves say something (``< 3`` means 1 or 2, ``•`` means at least 3,
   because zeros are never hidden), so a hidden cell counts as protected only if some *other*
   value of it is consistent with every published number and every mark.

Why the test below is exact: with margins, each cell lies on at most one row line and one column
line, and every line says "cells − total = 0". Writing margins with a minus sign turns that into
"every line sums to zero", i.e. the hidden cells form a bipartite graph (row lines × column lines)
and any change of hidden values that keeps all published sums is a circulation on it. A hidden
cell can take another value exactly when a unit circulation through it exists that keeps every
hidden cell inside the range its mark allows – a path search in the residual graph, no solver.
Because that constraint matrix is totally unimodular, "no real alternative" and "no integer
alternative" coincide, so the search is complete.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import Enum

import pandas as pd

SMALL_LIMIT = 3  # counts 1 … SMALL_LIMIT-1 about persons are never published
TOTAL = "Summe"
SMALL_MARK = f"< {SMALL_LIMIT}"
SECONDARY_MARK = "•"
MARKS_EXPLAINED = (
    f"„{SMALL_MARK}“: kleine Fallzahl (1 oder 2), zum Schutz der betroffenen Personen nicht "
    f"ausgewiesen. „{SECONDARY_MARK}“: Wert geheim gehalten, damit sich eine kleine Fallzahl "
    "nicht aus Summen oder anderen Zeiträumen zurückrechnen lässt. „0“: nichts vorhanden."
)

MARKS = (SMALL_MARK, SECONDARY_MARK)
INF = 10**12  # no upper bound


class Hidden(Enum):
    SMALL = "small"  # primary: the count itself is 1 or 2
    SECONDARY = "secondary"  # hidden to protect another cell


Cell = tuple[Hashable, Hashable]


def is_small(n: int) -> bool:
    return 0 < n < SMALL_LIMIT


@dataclass(frozen=True)
class ProtectedTable:
    """A table of counts with its totals and which cells may not be published."""

    values: pd.DataFrame  # ints, totals included
    hidden: dict[Cell, Hidden]
    row_totals: bool
    column_totals: bool

    def shown(self) -> pd.DataFrame:
        """As printed: numbers as text, hidden cells as their mark."""
        out = self.values.astype(object).copy()
        for (row, col), why in self.hidden.items():
            out.loc[row, col] = SMALL_MARK if why is Hidden.SMALL else SECONDARY_MARK
        return out.map(str)

    def interior(self) -> tuple[list[Hashable], list[Hashable]]:
        return _interior(list(self.values.index), list(self.values.columns), self.row_totals, self.column_totals)

    def small_behind_secondary(self) -> list[Cell]:
        """The "•" on a small count, if the table prints a count: a reader takes them for at
        least 3 (PublishedTable.known_ranges), so none may be published. The protection makes
        none (it turns "< 3" into "•" only when no count is left printed); printing a cell again
        beside them would (revisions._withhold asks first)."""
        if not prints_a_count(self.shown().to_numpy().ravel()):
            return []
        return [cell for cell, why in self.hidden.items()
                if why is Hidden.SECONDARY and is_small(int(self.values.loc[cell]))]

    def as_published(self) -> PublishedTable:
        """What leaves the cockpit: the printed cells only, never a hidden value.

        A reader knows the rules and reads a "•" in a table that prints a count as "at least 3"
        (PublishedTable.known_ranges); the audit reads it so too. That holds because the
        protection puts "•" on a small count only when no printed count is left to hide – checked
        here, so that no release can leave with a mark that says more than the audit read."""
        if small := self.small_behind_secondary():
            raise AssertionError(f"„{SECONDARY_MARK}“ on a small count beside a printed count: {small}")
        shown = self.shown()
        return PublishedTable(tuple(map(str, shown.index)), tuple(map(str, shown.columns)),
                              tuple(tuple(shown.loc[r].tolist()) for r in shown.index),
                              self.row_totals, self.column_totals)


@dataclass(frozen=True)
class PublishedTable:
    """A table as released: row and column names and the printed cells ("7", "< 3", "•").

    This is all a reader – and the stored release – has. Charts, files and the disclosure audit
    (db.figures.feasibility) work from it alone, so they cannot use a value that was hidden.
    """

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    row_totals: bool
    column_totals: bool

    def shown(self) -> pd.DataFrame:
        return pd.DataFrame([list(r) for r in self.cells], index=pd.Index(self.rows),
                            columns=list(self.columns), dtype=object)

    def cell(self, row: Hashable, col: Hashable) -> str:
        return self.cells[self.rows.index(row)][self.columns.index(col)]

    @property
    def hidden(self) -> dict[Cell, str]:
        return {(r, c): text for r, line in zip(self.rows, self.cells)
                for c, text in zip(self.columns, line) if text in MARKS}

    def known_ranges(self) -> tuple[tuple[tuple[int, float], ...], ...]:
        """What a reader who knows the rules knows of each cell, row by row: a number exactly;
        "< 3" is 1 or 2 (small counts are always printed so); "•" is at least 3 in a table that
        prints a count other than 0 – a small count there would read "< 3" (the protection
        puts "•" on a small count only when no printed count is left to hide; as_published
        checks it) – and at least 1 elsewhere (zeros are printed)."""
        secondary = (SMALL_LIMIT if prints_a_count(t for line in self.cells for t in line) else 1, float("inf"))
        return tuple(tuple(secondary if text == SECONDARY_MARK else known_range(text) for text in line)
                     for line in self.cells)

    def published(self) -> pd.DataFrame:
        """Numbers where published, None where hidden (for charts and spreadsheets)."""
        return pd.DataFrame([[None if text in MARKS else int(text) for text in line] for line in self.cells],
                            index=pd.Index(self.rows), columns=list(self.columns), dtype=object)

    def mark(self, row: Hashable, col: Hashable) -> str | None:
        text = self.cell(row, col)
        return text if text in MARKS else None

    def interior(self) -> tuple[list[str], list[str]]:
        return _interior(list(self.rows), list(self.columns), self.row_totals, self.column_totals)

    def lines(self) -> list[tuple[list[Cell], Cell]]:
        """Every published sum: (the cells it adds up, its total cell)."""
        rows, cols = self.interior()
        sums: list[tuple[list[Cell], Cell]] = []
        if self.column_totals:
            sums += [([(r, c) for r in rows], (TOTAL, c)) for c in self.columns]
        if self.row_totals:
            sums += [([(r, c) for c in cols], (r, TOTAL)) for r in self.rows]
        return sums

    def to_json(self) -> dict[str, object]:
        return {"rows": list(self.rows), "columns": list(self.columns),
                "cells": [list(r) for r in self.cells], "row_totals": self.row_totals,
                "column_totals": self.column_totals}

    @classmethod
    def from_json(cls, data: dict) -> PublishedTable:  # type: ignore[type-arg]
        return cls(tuple(data["rows"]), tuple(data["columns"]),
                   tuple(tuple(r) for r in data["cells"]), bool(data["row_totals"]),
                   bool(data["column_totals"]))


def _interior(rows: list, cols: list, row_totals: bool, column_totals: bool) -> tuple[list, list]:  # type: ignore[type-arg]
    """The rows and columns that are not totals."""
    return ([r for r in rows if not (column_totals and r == TOTAL)],
            [c for c in cols if not (row_totals and c == TOTAL)])


def prints_a_count(texts: Iterable[str]) -> bool:
    """Whether printed cells show a count other than 0: then a "•" among them reads "at least 3"."""
    return any(text not in MARKS and text != "0" for text in texts)


def known_range(text: str) -> tuple[int, float]:
    """What a printed cell says on its own: a number exactly; "< 3" is 1 or 2; "•" is at least 1
    (zeros are always printed). In its table a "•" says more: PublishedTable.known_ranges."""
    if text == SMALL_MARK:
        return 1, SMALL_LIMIT - 1
    if text == SECONDARY_MARK:
        return 1, float("inf")
    return int(text), int(text)


def with_totals(counts: pd.DataFrame, *, row_totals: bool, column_totals: bool) -> pd.DataFrame:
    grid = counts.astype(int).copy()
    if row_totals:
        grid[TOTAL] = grid.sum(axis=1)
    if column_totals:
        grid.loc[TOTAL] = grid.sum(axis=0)
    return grid


def protect(
    counts: pd.DataFrame,
    *,
    row_totals: bool = False,
    column_totals: bool = True,
    keep_hidden: frozenset[Cell] = frozenset(),
    costly: frozenset[Cell] = frozenset(),
) -> ProtectedTable:
    """Suppress counts (rows × columns of non-negative ints) for publication: each table on its
    own. Whether a set of tables is safe together is the disclosure audit's question
    (db.figures.feasibility).

    For a revision of a released table (db.figures.releases): `keep_hidden` are the cells the
    earlier version hid – they stay hidden (unless now zero), so the revision does not print
    what the earlier version kept back; `costly` are the cells it printed – secondary
    suppression takes them only where no other cell protects."""
    grid = with_totals(counts, row_totals=row_totals, column_totals=column_totals)
    hidden: dict[Cell, Hidden] = {}
    for row in grid.index:
        for col in grid.columns:
            value = int(grid.loc[row, col])
            if is_small(value):
                hidden[(row, col)] = Hidden.SMALL
            elif (row, col) in keep_hidden and value > 0:
                hidden[(row, col)] = Hidden.SECONDARY
    lines = _Lines(grid, row_totals, column_totals)
    while True:
        exposed = next((c for c in hidden if not lines.can_move(c, hidden)), None)
        if exposed is None:
            break
        _hide_one_more(grid, lines, hidden, exposed, costly)
    return ProtectedTable(grid, hidden, row_totals, column_totals)


def hidden_whole(table: ProtectedTable) -> ProtectedTable:
    """Every cell "•", whatever it holds – a small count too: a mark set by the calendar
    (db.figures.stichtage), not by the values, tells nothing about them."""
    return ProtectedTable(table.values, {(r, c): Hidden.SECONDARY for r in table.values.index
                                         for c in table.values.columns}, table.row_totals, table.column_totals)


def widened(table: ProtectedTable, exposed: Cell, costly: frozenset[Cell] = frozenset()) -> ProtectedTable | None:
    """The table with one more protection for a cell the disclosure audit found exposed, or None
    when nothing is left to hide.

    A printed exposed cell (a difference to an earlier version that shows one or two persons'
    changed records) is hidden itself: hiding its neighbours would not change what it shows.
    Otherwise the cheapest published non-zero cell on one of the exposed cell's lines (cells
    not in `costly` first – those an earlier version printed; then smallest value, interior
    before totals), then any published non-zero cell; only then a "< 3" becomes the weaker "•"
    (totals first): "< 3" tells the reader "1 or 2", and three such marks on one line can fix
    each other (1 + 1 = "< 3" means 1 and 1).
    """
    lines = _Lines(table.values, table.row_totals, table.column_totals)
    grid = table.values
    published = [(r, c) for r in grid.index for c in grid.columns
                 if (r, c) not in table.hidden and int(grid.loc[r, c]) > 0]
    published.sort(key=lambda c: (c != exposed, c in costly, not lines.share_line(c, exposed),
                                  int(grid.loc[c]), _is_total(c)))
    small = [c for c, why in table.hidden.items() if why is Hidden.SMALL]
    small.sort(key=lambda c: (c != exposed and not lines.share_line(c, exposed), not _is_total(c)))
    candidates = [*published, *small]
    if not candidates:
        return None
    return ProtectedTable(table.values, {**table.hidden, candidates[0]: Hidden.SECONDARY},
                          table.row_totals, table.column_totals)


def unprotected_cells(table: ProtectedTable) -> list[Cell]:
    """Hidden cells whose value follows from what is published (empty for a safe table)."""
    lines = _Lines(table.values, table.row_totals, table.column_totals)
    return [c for c in table.hidden if not lines.can_move(c, table.hidden)]


def _hide_one_more(grid: pd.DataFrame, lines: _Lines, hidden: dict[Cell, Hidden], exposed: Cell,
                   costly: frozenset[Cell] = frozenset()) -> None:
    """Hide the cheapest further cell that lets `exposed` take another value.

    Candidates are published non-zero cells (a zero is never hidden: "0" means nothing there);
    the smallest value loses least information, interior cells before totals; a cell an earlier
    version printed (`costly`) only where no other single cell will do. If no single cell
    is enough, every candidate on the exposed cell's lines is hidden, then any candidate at all.
    When nothing is left to hide (a tiny table whose every figure is small), the "< 3" marks
    themselves give it away – 1 + 1 under a total "< 3" can only be 1 and 1 – so small cells on
    the exposed lines get the weaker mark "•" instead, which claims nothing about the value.
    """
    candidates = [
        (row, col) for row in grid.index for col in grid.columns
        if (row, col) not in hidden and int(grid.loc[row, col]) > 0
    ]
    candidates.sort(key=lambda c: (c in costly, not lines.share_line(c, exposed), int(grid.loc[c]), _is_total(c)))
    for cell in candidates:
        if lines.can_move(exposed, {**hidden, cell: Hidden.SECONDARY}):
            hidden[cell] = Hidden.SECONDARY
            return
    near = [c for c in candidates if lines.share_line(c, exposed)] or candidates
    if near:
        for cell in near:
            hidden[cell] = Hidden.SECONDARY
        return
    small = sorted((c for c, why in hidden.items() if why is Hidden.SMALL),
                   key=lambda c: (not lines.share_line(c, exposed), not _is_total(c)))
    for cell in small:
        if lines.can_move(exposed, {**hidden, cell: Hidden.SECONDARY}):
            hidden[cell] = Hidden.SECONDARY
            return
    if not small:
        raise AssertionError(f"table cannot be protected: {exposed}")
    for cell in small:
        hidden[cell] = Hidden.SECONDARY


def _is_total(cell: Cell) -> bool:
    return cell[0] == TOTAL or cell[1] == TOTAL


class _Lines:
    """The published sums of a grid as a bipartite graph of lines (see the module doc)."""

    FREE_ROW = ("free", "row")
    FREE_COL = ("free", "col")

    def __init__(self, grid: pd.DataFrame, row_totals: bool, column_totals: bool) -> None:
        self.grid = grid
        self.row_totals = row_totals
        self.column_totals = column_totals
        self.constrained = row_totals or column_totals

    def ends(self, cell: Cell) -> tuple[Hashable, Hashable]:
        """The row line and the column line a cell lies on (a free node where there is none)."""
        row, col = cell
        return (("row", row) if self.row_totals else self.FREE_ROW,
                ("col", col) if self.column_totals else self.FREE_COL)

    def sign(self, cell: Cell) -> int:
        # Margins enter their lines with a minus sign; the grand total lies on two margin lines.
        row, col = cell
        margin = (self.row_totals and col == TOTAL) != (self.column_totals and row == TOTAL)
        return -1 if margin else 1

    def share_line(self, a: Cell, b: Cell) -> bool:
        return ((self.row_totals and a[0] == b[0]) or (self.column_totals and a[1] == b[1]))

    def known_range(self, cell: Cell, why: Hidden) -> tuple[int, int]:
        """What a reader may know of a hidden cell from its mark (zeros are always published).

        "< 3" is 1 or 2. "•" is taken as "at least 3" – the strongest a reader could assume –
        except where it stands on a small count (see _hide_one_more): there only "at least 1".
        """
        if why is Hidden.SMALL:
            return 1, SMALL_LIMIT - 1
        return (SMALL_LIMIT if int(self.grid.loc[cell]) >= SMALL_LIMIT else 1), INF

    def bounds(self, cell: Cell, why: Hidden) -> tuple[int, int]:
        """known_range as a range of y = sign · x."""
        low, high = self.known_range(cell, why)
        return (low, high) if self.sign(cell) > 0 else (-high, -low)

    def can_move(self, cell: Cell, hidden: dict[Cell, Hidden]) -> bool:
        """Could this hidden cell hold another value, all published sums and marks kept?"""
        value = int(self.grid.loc[cell])
        low_x, high_x = self.known_range(cell, hidden[cell])
        sign = self.sign(cell)
        for step in (1, -1):
            if not low_x <= value + step <= high_x:
                continue
            if not self.constrained:
                return True
            a, b = self.ends(cell)
            # y rises by sign·step: one unit flows a → b through this cell, and must return b → a.
            source, target = (b, a) if sign * step > 0 else (a, b)
            if self._path(source, target, hidden, skip=cell):
                return True
        return False

    def _path(self, source: Hashable, target: Hashable, hidden: dict[Cell, Hidden], skip: Cell) -> bool:
        arcs: dict[Hashable, list[Hashable]] = {}
        for other, why in hidden.items():
            if other == skip:
                continue
            y = self.sign(other) * int(self.grid.loc[other])
            low, high = self.bounds(other, why)
            a, b = self.ends(other)
            if y + 1 <= high:
                arcs.setdefault(a, []).append(b)
            if y - 1 >= low:
                arcs.setdefault(b, []).append(a)
        seen = {source}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            if node == target:
                return True
            for nxt in arcs.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return False
