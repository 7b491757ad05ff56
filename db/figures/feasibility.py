"""The disclosure audit: what an attacker can compute from everything the council ever received.

τ-ARGUS audits a suppression pattern this way (Statistics Netherlands; used by Destatis and
Eurostat): every printed cell of every release is a variable of one integer program. What the
reader knows becomes its constraints:

- a printed number fixes its cell; "< 3" says 1 or 2; "•" says at least 3 in a table that prints
  a count (a small count would read "< 3"), elsewhere at least 1 (zeros are printed)
  (PublishedTable.known_ranges);
- every "Summe" adds up its line;
- any further identity the caller names (`links`: a total over other tables' cells, as a year
  over its quarters would be).

For each hidden cell the audit asks the solver (HiGHS, through SciPy) which values stay
feasible. A pattern is safe only if

- every "< 3" can still be 1 *and* 2,
- every "•" can still be 3 or more (it cannot be shown to be small),
- every `difference` the caller names (the same cell in a release and in its correction) is
  not fixed to 1 or 2 in either direction – that would be one or two persons' changed records;
- every `marked` difference – a cell a correction hides although the version it replaces
  printed it, for the reason that printing it would disclose (db.figures.revisions.DISCLOSES) –
  is held to the standard of "< 3": a reader who knows the rules takes such a mark for "moved
  by 1 or 2", so a difference of 1 *and* one of 2 (either direction) must both stay possible.

The marks are read together, as a reader reads them: every `marked` pair is a constraint of the
model ("a − b is −2, −1, 1 or 2", with one 0/1 variable choosing the side), and every check above
runs under all of them at once. That reading allows fewer worlds than any reading of some marks
or of none, so a check it passes, every partial reading passes too (a = b = 5 → 7, both marked,
the sum printed: each mark alone allows 1 and 2, together only 2 + 2). A reasoned mark need not
be true – a cell can be withheld because printing it would pin down another cell while it moved
by 0 – so the marks can contradict what is printed (the true values satisfy everything else: a
contradiction comes from the marks alone). A reader then knows that some mark moved by 0 or by 3
or more and reads the marks as far as they agree with the print: the audit then asks everything
under each largest set of marks that some world agrees with (more than MOST_MARKS contradicting
marks in one group are not tried: refused).

The variables split into independent groups (cells linked by no sum or mark); each group is
solved on its own, so the cost grows with the largest linked group – a chain of corrections that
each mark a cell of the same quarter makes one group of its versions.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .disclosure import SECONDARY_MARK, SMALL_LIMIT, SMALL_MARK, PublishedTable

CellRef = tuple[Hashable, str, str]  # (table id, row, column)


@dataclass(frozen=True)
class Exposure:
    """A hidden value the attacker can pin down, and what gives it away."""

    cell: CellRef
    other: CellRef | None  # for a difference: the cell subtracted
    what: str  # German, for the lead: why the release is refused or protected further


@dataclass(frozen=True)
class Link:
    """total = sum(parts): an identity between cells of different tables."""

    total: CellRef
    parts: tuple[CellRef, ...]


Row = tuple[dict[int, int], float, float]  # low ≤ Σ coef · x ≤ high


class _Model:
    def __init__(self, tables: Mapping[Hashable, PublishedTable], links: Sequence[Link],
                 marked: Sequence[tuple[CellRef, CellRef]] = ()) -> None:
        self.index: dict[CellRef, int] = {}
        self.text: list[str] = []
        low: list[float] = []
        high: list[float] = []
        for tid, table in tables.items():
            for row, line, ranges in zip(table.rows, table.cells, table.known_ranges()):
                for col, text, (lo, hi) in zip(table.columns, line, ranges):
                    self.index[(tid, row, col)] = len(self.text)
                    self.text.append(text)
                    low.append(lo)
                    high.append(hi)
        self.rows: list[Row] = []
        for tid, table in tables.items():
            for parts, total in table.lines():
                self._sum((tid, *total), [(tid, *p) for p in parts])
        for link in links:
            self._sum(link.total, list(link.parts))
        # A mark read as "moved by 1 or 2": with side ∈ {0, 1}, a − b − 3·side ∈ [−2, −1]
        # (side 0: a − b ∈ [−2, −1]; side 1: a − b ∈ [1, 2]). Each side is one more variable.
        self.marks: list[tuple[CellRef, CellRef]] = []
        self.mark_rows: list[int] = []  # the row of each mark, by its place in self.marks
        self.sides: set[int] = set()
        for a, b in marked:
            if a == b or (a, b) in self.marks:
                continue
            self.marks.append((a, b))
            side = len(low)
            self.sides.add(side)
            low.append(0)
            high.append(1)
            self.mark_rows.append(len(self.rows))
            self.rows.append(({self.index[a]: 1, self.index[b]: -1, side: -3}, -2, -1))
        self.low = np.array(low, dtype=float)
        self.high = np.array(high, dtype=float)
        # Independent groups: union-find over the variables of each row.
        self.parent = list(range(len(low)))
        for coefs, _, _ in self.rows:
            first, *rest = coefs
            for other in rest:
                self._union(first, other)

    def _sum(self, total: CellRef, parts: list[CellRef]) -> None:
        row: dict[int, int] = {}
        for part in parts:
            row[self.index[part]] = row.get(self.index[part], 0) + 1
        row[self.index[total]] = row.get(self.index[total], 0) - 1
        self.rows.append((row, 0, 0))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)

    def group(self, members: list[int], unread: frozenset[int] = frozenset()) -> _Group:
        """The group of `members`, read with every mark but those in `unread` (by their place in
        self.marks)."""
        roots = {self.find(m) for m in members}
        variables = [i for i in range(len(self.low)) if self.find(i) in roots]
        return _Group(self, variables, frozenset(self.mark_rows[m] for m in unread))

    def marks_of(self, root: int) -> list[int]:
        return [m for m, (a, _) in enumerate(self.marks) if self.find(self.index[a]) == root]


class _Group:
    """One independent part of the model as a small integer program."""

    def __init__(self, model: _Model, variables: list[int], unread: frozenset[int] = frozenset()) -> None:
        self.position = {v: n for n, v in enumerate(variables)}
        rows = [(coefs, (-np.inf, np.inf) if n in unread else (lo, hi))
                for n, (coefs, lo, hi) in enumerate(model.rows) if next(iter(coefs)) in self.position]
        self.matrix = np.zeros((len(rows), len(variables)))
        for i, (coefs, _) in enumerate(rows):
            for var, coef in coefs.items():
                self.matrix[i, self.position[var]] = coef
        self.row_low = np.array([lo for _, (lo, _) in rows], dtype=float)
        self.row_high = np.array([hi for _, (_, hi) in rows], dtype=float)
        self.low = model.low[variables]
        self.high = model.high[variables]
        self.unread = unread  # rows of the marks this reading leaves out
        self.marked = any(v in model.sides for v in variables)

    def signature(self) -> tuple[bytes, ...]:
        """The group's content: equal for two groups that are the same program."""
        return (self.low.tobytes(), self.high.tobytes(), self.matrix.tobytes(),
                self.row_low.tobytes(), self.row_high.tobytes(),
                np.array(self.matrix.shape, dtype=np.int64).tobytes())

    @cached_property
    def digest(self) -> bytes:
        """The signature in 32 bytes: the key of the solver's answers kept for this content."""
        h = hashlib.blake2b(digest_size=32)
        for part in self.signature():
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
        return h.digest()

    def _solved(self, question: tuple[bytes, ...], solve: Callable[[], tuple[object, bool]]) -> object:
        """The answer to `question` (in the group's own column places, so that equal programs
        ask equal questions), solved once per content: protecting a release audits the same
        groups again and again while one other cell changes – about two of three solver calls
        of a protection asked what an earlier audit had already answered. `solve` says whether
        the solver was sure; an answer it was not sure of is not kept."""
        h = hashlib.blake2b(self.digest, digest_size=32)
        for part in question:
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
        key = h.digest()
        with _KEPT_LOCK:
            if key in _KEPT_ANSWERS:
                return _KEPT_ANSWERS[key]
        answer, sure = solve()
        if not sure:
            return answer
        with _KEPT_LOCK:
            _KEPT_ANSWERS[key] = answer
            while len(_KEPT_ANSWERS) > KEPT_ANSWERS:
                _KEPT_ANSWERS.pop(next(iter(_KEPT_ANSWERS)))
        return answer

    def _row(self, coefs: Mapping[int, int]) -> np.ndarray:
        row = np.zeros(len(self.low))
        for var, coef in coefs.items():
            row[self.position[var]] += coef
        return row

    @cached_property
    def consistent(self) -> bool:
        """Does some world agree with the print and every mark read? (Without marks: always –
        the true values do.)"""
        return True if not self.marked and not len(self.unread) else self.feasible()

    def _constraints(self) -> list[LinearConstraint]:
        return [LinearConstraint(self.matrix, self.row_low, self.row_high)] if len(self.matrix) else []

    def feasible(self, fix: dict[int, tuple[float, float]] | None = None,
                 extra: tuple[dict[int, int], float, float] | None = None) -> bool:
        """Is there an integer point with these cells in these ranges (and, optionally, one more
        linear condition low ≤ Σ coef·x ≤ high)?"""
        low, high = self.low.copy(), self.high.copy()
        for var, (lo, hi) in (fix or {}).items():
            low[self.position[var]] = max(low[self.position[var]], lo)
            high[self.position[var]] = min(high[self.position[var]], hi)
        if (low > high).any():
            return False
        row = None if extra is None else self._row(extra[0])
        question = (b"feasible", low.tobytes(), high.tobytes(),
                    b"" if row is None else row.tobytes() + np.array(extra[1:], dtype=float).tobytes())  # type: ignore[index]

        def solve() -> tuple[bool, bool]:
            constraints = self._constraints()
            if extra is not None:
                constraints.append(LinearConstraint(row[None, :], extra[1], extra[2]))
            result = milp(np.zeros(len(self.low)), integrality=np.ones(len(self.low)),
                          bounds=Bounds(low, high), constraints=constraints)
            return result.status == 0, result.status in (0, 2)  # 2: proven infeasible
        return bool(self._solved(question, solve))

    def extreme(self, coefs: dict[int, int]) -> tuple[float, float]:
        """The smallest and largest integer value of Σ coef·x (±inf where unbounded); only for a
        consistent group (the audit reads the others otherwise)."""
        assert self.consistent
        row = self._row(coefs)

        def solve() -> tuple[tuple[float, float], bool]:
            out, sure = [], True
            for sign in (1, -1):
                result = milp(sign * row, integrality=np.ones(len(self.low)),
                              bounds=Bounds(self.low, self.high), constraints=self._constraints())
                # The group has a point: any other outcome is an unbounded direction (HiGHS
                # reports some of those as "not solved", so such an answer is not kept).
                out.append(round(sign * result.fun) if result.status == 0 else -sign * np.inf)
                sure = sure and result.status in (0, 3)
            return (out[0], out[1]), sure
        return self._solved((b"extreme", row.tobytes()), solve)  # type: ignore[return-value]


def audit(tables: Mapping[Hashable, PublishedTable], *, links: Sequence[Link] = (),
          differences: Sequence[tuple[CellRef, CellRef]] = (),
          marked: Sequence[tuple[CellRef, CellRef]] = (),
          concern: Callable[[CellRef], bool] | None = None) -> list[Exposure]:
    """Every hidden value of `tables` that everything printed pins down (empty: safe).

    `concern` limits the search to the hidden cells (and differences) it accepts – a release
    being prepared asks only about its own cells once the earlier ones have passed; the model
    still holds every table."""
    model = _Model(tables, links, marked)
    exposures: list[Exposure] = []
    groups: dict[tuple[frozenset[int], frozenset[int]], _Group] = {}

    def group_of(variables: tuple[int, ...], unread: frozenset[int]) -> _Group:
        key = (frozenset(model.find(v) for v in variables), unread)
        if key not in groups:
            groups[key] = model.group(list(variables), unread)
        return groups[key]

    def concerned(ref: CellRef) -> bool:
        return concern is None or concern(ref)

    readings_of_root: dict[int, list[frozenset[int]] | None] = {}

    def root_readings(root: int) -> list[frozenset[int]] | None:
        """The marks a reader can read together in one group, each way as the marks left unread:
        all of them where they agree with the print; else every largest set of them that does
        (a reader who finds them contradict each other falls back to those). None: too many
        marks in one group to try every set."""
        if root not in readings_of_root:
            marks = model.marks_of(root)
            whole = group_of((root,), frozenset())
            if not marks or whole.consistent:
                readings_of_root[root] = [frozenset()]
            else:
                # Trying sets of marks is the costly part, and protecting a release asks the same
                # group again and again while other cells change: kept by the group's content.
                key = whole.digest + MOST_MARKS.to_bytes(2, "little")
                with _KEPT_LOCK:
                    kept = _KEPT_READINGS.get(key, ())
                if kept == ():
                    found = _readings(marks, lambda unread: group_of((root,), unread).consistent)
                    kept = None if found is None else [frozenset(marks.index(m) for m in unread)
                                                       for unread in found]
                    with _KEPT_LOCK:
                        _KEPT_READINGS[key] = kept
                        while len(_KEPT_READINGS) > KEPT_READINGS:
                            _KEPT_READINGS.pop(next(iter(_KEPT_READINGS)))
                readings_of_root[root] = None if kept is None else [
                    frozenset(marks[n] for n in unread) for unread in kept]
        return readings_of_root[root]

    def readings(*variables: int) -> list[_Group] | None:
        """The group of `variables` under every reading (several groups: every combination)."""
        per_root = [root_readings(r) for r in {model.find(v) for v in variables}]
        if any(r is None for r in per_root):
            return None
        return [group_of(variables, frozenset().union(*combo))
                for combo in itertools.product(*per_root)]  # type: ignore[arg-type]

    # Too many marks in one group to try every set of them: refused, on a mark – or else a cell –
    # the caller asks about, so that widening hides more where this release can.
    unreadable: set[int] = set()
    for a, b in model.marks:
        root = model.find(model.index[a])
        if root in unreadable or root_readings(root) is not None:
            continue
        unreadable.add(root)
        on = next(((x, y) for x, y in model.marks if model.find(model.index[x]) == root
                   and (concerned(x) or concerned(y))), None)
        on = on or next(((ref, None) for ref, var in model.index.items()
                         if model.find(var) == root and concerned(ref)), None)
        if on is not None:
            exposures.append(Exposure(on[0], on[1], f"zu viele „{SECONDARY_MARK}“ von Berichtigungen, die "
                                                    "sich widersprechen, in einer Tabellengruppe"))

    for ref, var in model.index.items():
        if not concerned(ref) or model.find(var) in unreadable:
            continue
        text = model.text[var]
        if text == SMALL_MARK:
            for group in readings(var) or []:
                possible = [v for v in range(1, SMALL_LIMIT) if group.feasible({var: (v, v)})]
                if len(possible) < SMALL_LIMIT - 1:
                    exposures.append(Exposure(ref, None, f"„{SMALL_MARK}“ ist berechenbar: nur "
                                              f"{' oder '.join(map(str, possible)) or 'kein Wert'} möglich"))
                    break
        elif text == SECONDARY_MARK and any(not group.feasible({var: (SMALL_LIMIT, float("inf"))})
                                            for group in readings(var) or []):
            exposures.append(Exposure(ref, None, f"„{SECONDARY_MARK}“ ist nachweislich kleiner als {SMALL_LIMIT}"))
    for pairs, judge in ((differences, _difference), (model.marks, _marked)):
        for a, b in pairs:
            va, vb = model.index[a], model.index[b]
            if not (concerned(a) or concerned(b)) or {model.find(va), model.find(vb)} & unreadable:
                continue
            if judge is _difference and (printed := _printed_difference(model, a, b)) is not None:
                exposures += printed
                continue
            # A mark's sizes matter under the readings that read it.
            read = [g for g in readings(va, vb) or []
                    if judge is _difference or model.mark_rows[model.marks.index((a, b))] not in g.unread]
            if exposure := next(filter(None, (judge(model, g, a, b) for g in read)), None):
                exposures.append(exposure)
    return exposures


MOST_MARKS = 8  # in one group whose marks contradict each other: 2⁸ sets tried at most
# The readings of contradicting groups already worked out, by the group's content (bounds, rows),
# each as the places of the unread marks among the group's marks (in the order of its rows).
_KEPT_READINGS: dict[bytes, list[frozenset[int]] | None] = {}
_KEPT_LOCK = threading.Lock()  # the app's sessions prepare releases in threads of one process
KEPT_READINGS = 512
# The solver's answers, by a digest of the group's content and the question (_Group._solved):
# about 100 bytes each.
_KEPT_ANSWERS: dict[bytes, object] = {}
KEPT_ANSWERS = 50_000


def _readings(marks: list[int], agrees: Callable[[frozenset[int]], bool]) -> list[frozenset[int]] | None:
    """Every largest set of `marks` that agrees with the print, each as the marks left out."""
    if agrees(frozenset()):
        return [frozenset()]
    if len(marks) > MOST_MARKS:
        return None
    found: list[frozenset[int]] = []
    for size in range(len(marks), -1, -1):
        for kept in itertools.combinations(marks, size):
            if any(set(kept) <= set(marks) - other for other in found):
                continue  # inside a larger set that agrees
            unread = frozenset(marks) - frozenset(kept)
            if agrees(unread):
                found.append(unread)
    return found


def _marked(model: _Model, group: _Group, a: CellRef, b: CellRef) -> Exposure | None:
    """A hidden revision `a` of a cell `b` whose mark a reader reads as "moved by 1 or 2": both
    sizes must stay possible, as both values of a "< 3" must."""
    va, vb = model.index[a], model.index[b]
    sizes = [size for size in range(1, SMALL_LIMIT)
             if any(group.feasible(extra=({va: 1, vb: -1}, d, d)) for d in (size, -size))]
    if len(sizes) < SMALL_LIMIT - 1:
        return Exposure(a, b, f"„{SECONDARY_MARK}“ einer Berichtigung verrät die Änderung: Unterschied zur "
                              f"früheren Fassung nur {' oder '.join(map(str, sizes)) or 'kein Wert'} möglich")
    return None


DIFFERENCE = "Unterschied zur früheren Fassung ist genau {}: so viele Personen betrifft die Änderung"


def _printed_difference(model: _Model, a: CellRef, b: CellRef) -> list[Exposure] | None:
    """Two printed versions of a cell: their difference is read off, no solver needed (None: one
    of them is hidden)."""
    ta, tb = model.text[model.index[a]], model.text[model.index[b]]
    if ta in (SMALL_MARK, SECONDARY_MARK) or tb in (SMALL_MARK, SECONDARY_MARK):
        return None
    d = int(ta) - int(tb)
    return [Exposure(a, b, DIFFERENCE.format(d))] if 0 < abs(d) < SMALL_LIMIT else []


def _difference(model: _Model, group: _Group, a: CellRef, b: CellRef) -> Exposure | None:
    va, vb = model.index[a], model.index[b]
    if va == vb:
        return None
    # Pinned to d exactly when the smallest and the largest feasible difference are both d:
    # two optimisations instead of a feasibility question per small d and side.
    low, high = group.extreme({va: 1, vb: -1})
    if low == high and 0 < abs(low) < SMALL_LIMIT:
        return Exposure(a, b, DIFFERENCE.format(int(low)))
    return None
