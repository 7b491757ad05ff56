"""Protecting new releases against every earlier one – and revisions that do not hide more.

A release (db.figures.releases) prints one or more table sets: a quarter, or – in the annual
release – the year's four quarters revised one last time together with the year's totals.
Each set is first protected table by table (db.figures.council.draft); then the disclosure
audit (db.figures.feasibility) runs over the new sets and every earlier release they relate to:
earlier versions of the same quarters (the difference of a cell between two versions must not
show one or two persons' changed records), declared identities within a set
(db.figures.identities) and, for a year, "year = sum of its quarters" (stocks: the fourth
quarter's last day). Where the audit pins down a hidden value, one more cell is hidden, and the
audit runs again.

Why corrections used to hide two or three times as much as their originals (13–26 cells
against 5–11 on the released world): when a late entry changed a printed cell by 1 or 2, the
audit flagged the difference, and the widening hid the *cheapest neighbour* of that cell – which
changes nothing about what the cell itself shows – again and again until the cell's whole
lines were hidden; and the revised tables were protected from scratch, so their secondary
suppression fell on other cells than the original's. Now

1. a revision keeps the earlier version's hidden cells hidden (what the council never saw stays
   unseen: printing it now would let a reader take the old value back with the new one) and
   takes a cell the earlier version printed for secondary suppression only where no other
   cell will do;
2. a difference the audit flags hides the changed cell itself;
3. afterwards every cell the earlier version printed and the revision hides is tried printed
   again: it stays printed wherever the audit over all releases allows, and where not, the
   audit's finding is stored beside the table as the reason (German, shown on the page and in
   the files);
4. a cell withheld with DISCLOSES reads, to whoever knows these rules, as "moved by 1 or 2": the
   audit holds it to the standard of "< 3" (both sizes possible, feasibility `marked`), widens
   where it is not, and decides 3. again – until the marks shown are the marks checked. Cells
   the calendar hides wholly and cells small now (SMALL_NOW) carry no such reading.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date

from .disclosure import Hidden, ProtectedTable, PublishedTable, widened
from .feasibility import CellRef, Exposure, Link
from .feasibility import audit as disclosure_audit
from .identities import links
from .periods import ReportingPeriod
from .stichtage import StockSet, close, stock_differences, stock_tables

NEW = "neu"  # owner of the tables being prepared: (NEW, period key)
NEW_DAY = (NEW, "stichtag")  # owner of a Stichtag briefing being prepared
STOCK_TABLES = ("stichtag", "geplant")  # stocks on the period's last day, not sums over it
SMALL_NOW = ("jetzt eine kleine Fallzahl (1 oder 2), die nie ausgewiesen wird.")
# Why a revision hides a cell its original printed, for the council: the same words whatever the
# audit found. The finding itself ("Unterschied … ist genau 1", "„< 3“ ist berechenbar: nur 1
# möglich") is the very value the cell is hidden for – printed beside the table it handed the
# reader the hidden number (the original's plus the difference) and the changed record. Nor
# does the note say *which* proof failed or which other cell it concerned: "compared with
# release 5" alone says the cell changed by one or two.
DISCLOSES = ("gedruckt ließe sich zusammen mit früheren Freigaben ein geheim gehaltener Wert oder "
             "eine Änderung an einzelnen Fällen zurückrechnen.")


@dataclass(frozen=True)
class Version:
    """A table set already released (or being prepared): its owner id (the release id), period
    and tables; a Stichtag briefing (db.figures.briefings) has no period, only the day of its
    stocks."""

    owner: Hashable
    period: ReportingPeriod | None
    tables: Mapping[str, PublishedTable]
    day: date | None = None  # the stocks' day when it is not the period's last day
    # A correction's cells hidden with DISCLOSES (slug, row, column) and the release it corrects:
    # a reader takes such a mark for "moved by 1 or 2" against that release (feasibility, marked).
    marked: frozenset[tuple[str, str, str]] = frozenset()
    corrects: Hashable | None = None

    @property
    def stock_day(self) -> date:
        if self.day is not None:
            return self.day
        assert self.period is not None
        return self.period.end

    @property
    def stock_set(self) -> StockSet:
        """Its stock tables, paired with those of close days (db.figures.stichtage); a quarter's
        or year's versions are paired by the version rule below instead."""
        return StockSet(self.owner, self.stock_day, self.period is not None, stock_tables(dict(self.tables)))


Sets = dict[ReportingPeriod, dict[str, ProtectedTable]]


def new_owner(period: ReportingPeriod) -> tuple[str, str]:
    return (NEW, period.key)


def related(earlier: list[Version], periods: list[ReportingPeriod]) -> list[Version]:
    """The earlier releases the new sets can relate to: versions of the same periods, any
    period of the same years (a year release ties its quarters), and any release whose stocks
    are of a close day (db.figures.stichtage). Others share no event, no identity and no version
    with the new sets: no cell of theirs moves with ours."""
    years = {p.start.year for p in periods}
    return [v for v in earlier
            if (v.period is not None and v.period.start.year in years)
            or any(close(v.stock_day, p.end) for p in periods)]


def year_links(tables: Mapping[tuple[Hashable, str], PublishedTable], year: ReportingPeriod,
               owner_of: Mapping[ReportingPeriod, Hashable]) -> list[Link]:
    """year cell = Σ the same cell of its quarters (a stock: = the fourth quarter's), for the
    table sets of one annual release (computed from the same records at the same moment)."""
    out: list[Link] = []
    year_owner = owner_of[year]
    quarters = [q for q in year.quarters() if q in owner_of]
    for (owner, slug), table in tables.items():
        if owner != year_owner:
            continue
        parts_of = ([q for q in quarters if q == year.quarters()[-1]] if slug in STOCK_TABLES else quarters)
        for row in table.rows:
            for col in table.columns:
                parts = []
                for q in parts_of:
                    other = tables.get((owner_of[q], slug))
                    if other is None or row not in other.rows or col not in other.columns:
                        break
                    parts.append(((owner_of[q], slug), row, col))
                else:
                    if parts:
                        out.append(Link(((owner, slug), row, col), tuple(parts)))
    return out


def check(earlier: list[Version], new: Mapping[ReportingPeriod, Mapping[str, PublishedTable]],
          new_only: bool = False, new_day: Version | None = None,
          marked: Mapping[ReportingPeriod, tuple[Hashable, frozenset[tuple[str, str, str]]]] | None = None
          ) -> list[Exposure]:
    """The audit over the earlier versions given and the new sets (see module doc) – or a new
    Stichtag briefing (`new_day`, owner NEW_DAY); `new_only`: findings about the new cells only
    (the earlier ones passed before). `marked`: per new period, the release it corrects and the
    cells it hides with DISCLOSES (slug, row, column), as each earlier Version carries its own."""
    owner_of = {p: new_owner(p) for p in new}
    versions = list(earlier)
    for p, own in new.items():
        corrects, cells = (marked or {}).get(p, (None, frozenset()))
        versions.append(Version(owner_of[p], p, own, marked=cells, corrects=corrects))
    if new_day is not None:
        versions.append(new_day)
    tables: dict[tuple[Hashable, str], PublishedTable] = {
        (v.owner, slug): t for v in versions for slug, t in v.tables.items()}
    differences: list[tuple[CellRef, CellRef]] = []
    for i, later_version in enumerate(versions):
        later, period, later_tables = later_version.owner, later_version.period, later_version.tables
        for before_version in versions[:i]:
            before, before_tables = before_version.owner, before_version.tables
            if period is None or before_version.period != period:
                continue
            for slug, table in later_tables.items():
                other = before_tables.get(slug)
                if other is None:
                    continue
                differences += [(((later, slug), r, c), ((before, slug), r, c))
                                for r in table.rows if r in other.rows
                                for c in table.columns if c in other.columns]
    # Stocks of one day or of close days, whatever kind of release printed them.
    differences += stock_differences([v.stock_set for v in versions])
    every_link = links(tables)
    for period in new:
        if period.is_year:
            every_link += year_links(tables, period, owner_of)
    new_owners = {*owner_of.values(), *([new_day.owner] if new_day is not None else [])}
    concern = (lambda ref: ref[0][0] in new_owners) if new_only else None
    # A correction's DISCLOSES marks against the release it corrects (when that is in the model).
    cells = {(tid, r, c) for tid, t in tables.items() for r in t.rows for c in t.columns}
    reasons = [(a, b) for v in versions if v.marked and v.corrects is not None
               for slug, r, c in sorted(v.marked)
               if (a := ((v.owner, slug), r, c)) in cells and (b := ((v.corrects, slug), r, c)) in cells]
    return disclosure_audit(tables, links=every_link, differences=differences, marked=reasons, concern=concern)


def _published(sets: Sets) -> dict[ReportingPeriod, dict[str, PublishedTable]]:
    return {p: {s: t.as_published() for s, t in own.items()} for p, own in sets.items()}


def _exposed_in_new(exposure: Exposure, periods: Mapping[tuple[str, str], ReportingPeriod]
                    ) -> tuple[ReportingPeriod, str, tuple[str, str]] | None:
    for ref in (exposure.cell, exposure.other):
        if ref is not None and ref[0][0] in periods:
            return periods[ref[0][0]], ref[0][1], (ref[1], ref[2])
    return None


def _tables_to_widen(period: ReportingPeriod, periods: list[ReportingPeriod]) -> list[ReportingPeriod]:
    """Where to hide one more cell for a finding in `period`'s table: in an annual release the
    year's own table first (it was never printed before), then the quarter's, then the other
    quarters' – "year = sum of quarters" ties the same cell of all of them."""
    year = next((p for p in periods if p.is_year), None)
    if year is None:
        return [period]
    quarters = [q for q in periods if not q.is_year]
    first = [year] if period == year else [year, period]
    return [*first, *[q for q in quarters if q not in first]]


def printed(table: PublishedTable | None) -> frozenset[tuple[str, str]]:
    if table is None:
        return frozenset()
    hidden = table.hidden
    return frozenset((r, c) for r in table.rows for c in table.columns if (r, c) not in hidden)


@dataclass(frozen=True)
class Protected:
    sets: Sets
    widened: int  # cells hidden beyond each table's own suppression
    # per period and slug: cells the revised version printed and this one hides, with why
    withheld: dict[ReportingPeriod, dict[str, list[tuple[str, str, str]]]]


class Unprotectable(Exception):
    """The audit finds something no further suppression in the new sets can fix."""

    def __init__(self, exposure: Exposure, earlier_only: bool) -> None:
        super().__init__(exposure.what)
        self.exposure = exposure
        self.earlier_only = earlier_only


ROUNDS = 50  # widen, then withhold, again while the marks the reader sees change (each round hides more)


def _corrected_owner(earlier: list[Version], period: ReportingPeriod,
                     tables: Mapping[str, PublishedTable]) -> Hashable | None:
    """The earlier release whose tables `tables` are: the one a revision of `period` replaces."""
    return next((v.owner for v in earlier if v.period == period and v.day is None
                 and all(v.tables.get(slug) == t for slug, t in tables.items())), None)


def protect_sets(earlier: list[Version], drafts: Sets,
                 revised: Mapping[ReportingPeriod, Mapping[str, PublishedTable]]) -> Protected:
    """The new sets, protected until the audit over `earlier` finds nothing; `revised` are the
    valid releases the sets replace (by period), whose printed cells are kept printed where the
    audit allows.

    A cell the replaced release printed and the new one hides with DISCLOSES is, to a reader who
    knows the rules, "moved by 1 or 2": the audit holds it to the standard of "< 3" (both sizes
    possible; feasibility, `marked`). Where it is not, one more cell is hidden as for any other
    finding (one never printed first), and what is withheld and why is decided again – until the
    marks the page shows are the marks the audit checked."""
    earlier = related(earlier, list(drafts))
    sets: Sets = {p: dict(own) for p, own in drafts.items()}
    periods = {new_owner(p): p for p in sets}
    costly = {p: {slug: printed(revised.get(p, {}).get(slug)) for slug in own} for p, own in sets.items()}
    corrected = {p: _corrected_owner(earlier, p, revised[p]) for p in sets if p in revised}
    before = sum(len(t.hidden) for own in sets.values() for t in own.values())
    if found := [e for e in check(earlier, {}) if e]:  # the earlier releases alone (passed when released)
        raise Unprotectable(found[0], earlier_only=True)
    marks: dict[ReportingPeriod, frozenset[tuple[str, str, str]]] = {}

    def marked(leave_out: tuple[ReportingPeriod, str, tuple[str, str]] | None = None
               ) -> dict[ReportingPeriod, tuple[Hashable, frozenset[tuple[str, str, str]]]]:
        out = {}
        for p, cells in marks.items():
            if corrected.get(p) is None:
                continue
            if leave_out is not None and leave_out[0] == p:
                cells = cells - {(leave_out[1], *leave_out[2])}
            out[p] = (corrected[p], cells)
        return out

    for _ in range(ROUNDS):
        _widen(earlier, sets, periods, costly, marked())
        withheld, printed_again = _withhold(earlier, sets, costly, marked)
        now = {p: frozenset((slug, str(r), str(c)) for slug, cells in own.items()
                            for r, c, why in cells if why == DISCLOSES) for p, own in withheld.items()}
        now = {p: cells for p, cells in now.items() if cells}
        if not printed_again and now == marks:
            break
        marks = now
    else:
        exposures = check(earlier, _published(sets), new_only=True, marked=marked())
        raise Unprotectable(exposures[0] if exposures else Exposure(
            ("", "", ""), None, "Die Prüfung kommt zu keinem Ende"), earlier_only=False)
    after = sum(len(t.hidden) for own in sets.values() for t in own.values())
    return Protected(sets, after - before, withheld)


def _widen(earlier: list[Version], sets: Sets, periods: Mapping[tuple[str, str], ReportingPeriod],
           costly: Mapping[ReportingPeriod, Mapping[str, frozenset[tuple[str, str]]]],
           marked: Mapping[ReportingPeriod, tuple[Hashable, frozenset[tuple[str, str, str]]]]) -> None:
    """One more cell hidden in the new sets for each finding, until the audit finds nothing."""
    while exposures := check(earlier, _published(sets), new_only=True, marked=marked):
        place = next(filter(None, (_exposed_in_new(e, periods) for e in exposures)), None)
        if place is None:  # only earlier releases are exposed: none of this release's doing
            raise Unprotectable(exposures[0], earlier_only=True)
        period, slug, cell = place
        exposure = next(e for e in exposures if _exposed_in_new(e, periods) == place)
        def ways(where: list[ReportingPeriod]) -> list[tuple[ReportingPeriod, str, ProtectedTable]]:
            return [(p, slug, w) for p in where
                    if slug in sets[p] and cell[0] in sets[p][slug].values.index
                    and cell[1] in sets[p][slug].values.columns
                    and (w := widened(sets[p][slug], cell, costly[p][slug])) is not None]

        # A changed cell (a difference to an earlier version) is hidden where it changed. Hidden
        # there already and still found, it is derived through the tables tied to it ("year =
        # sum of quarters"): those are widened as for any other finding (30.06.2027 in the clock
        # sweep: an annual release refused as "nicht zu schützen" – a quarter's contacts total,
        # hidden, came back as the year's total minus the other quarters').
        options = ways([period] if exposure.other is not None else _tables_to_widen(period, list(sets)))
        if not options and exposure.other is not None:
            options = ways(_tables_to_widen(period, list(sets)))
        if not options:
            raise Unprotectable(exposure, earlier_only=False)
        chosen = options[0]  # the year's table first: it was never printed before
        p, s, w = chosen
        sets[p][s] = w


def _withhold(earlier: list[Version], sets: Sets,
              costly: Mapping[ReportingPeriod, Mapping[str, frozenset[tuple[str, str]]]],
              marked) -> tuple[dict[ReportingPeriod, dict[str, list[tuple[str, str, str]]]], bool]:  # type: ignore[no-untyped-def]
    """Every cell the replaced release printed and the new sets hide, tried printed again (kept
    printed where the audit allows), else with its reason; and whether any was printed again."""
    withheld: dict[ReportingPeriod, dict[str, list[tuple[str, str, str]]]] = {}
    printed_again = False
    for period, own in sets.items():
        for slug in own:
            for cell in sorted(costly[period][slug] & set(own[slug].hidden), key=str):
                table = sets[period][slug]
                if table.hidden[cell] is Hidden.SMALL:
                    why = SMALL_NOW
                else:
                    trial = ProtectedTable(table.values, {c: h for c, h in table.hidden.items() if c != cell},
                                           table.row_totals, table.column_totals)
                    # Printed beside a "•" that stands on a small count, the cell would make the
                    # reader take that "•" for at least 3: it stays hidden.
                    found = trial.small_behind_secondary() or check(earlier, _published({**sets, period: {**sets[period], slug: trial}}),
                                  new_only=True, marked=marked((period, slug, (str(cell[0]), str(cell[1])))))
                    if not found:
                        sets[period][slug] = trial  # printed again: the audit allows it
                        printed_again = True
                        continue
                    why = DISCLOSES  # never found[0].what: see DISCLOSES
                withheld.setdefault(period, {}).setdefault(slug, []).append((str(cell[0]), str(cell[1]), why))
    return withheld, printed_again
