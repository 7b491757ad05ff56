"""The disclosure audit (db.figures.feasibility): it finds what linked tables give away – the
issue's own examples – passes safe patterns, and agrees with brute force on small tables."""

from __future__ import annotations

import itertools

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from db.figures.disclosure import SECONDARY_MARK, SMALL_MARK, TOTAL, PublishedTable
from db.figures.feasibility import Link, audit


def column(*cells: str, total: str | None = None, name: str = "Anzahl") -> PublishedTable:
    """One column of printed cells, rows a, b, c …, with a "Summe" row if `total` is given."""
    rows = [chr(ord("a") + i) for i in range(len(cells))]
    printed = [(c,) for c in cells]
    if total is not None:
        rows.append(TOTAL)
        printed.append((total,))
    return PublishedTable(tuple(rows), (name,), tuple(printed), False, total is not None)


def exposed(tables, **kw) -> set:  # type: ignore[no-untyped-def]
    return {e.cell for e in audit(tables, **kw)}


def test_a_quarter_and_its_months_give_the_hidden_months_away() -> None:
    # Sucht, neu erfasst: Q1 = 7, February = 3, January and March "< 3" – so both are 2.
    months = {m: column(v) for m, v in (("jan", SMALL_MARK), ("feb", "3"), ("mar", SMALL_MARK))}
    quarter = {"q1": column("7")}
    alone = {**months, **quarter}
    assert exposed(alone) == set()  # without the link each table is safe
    link = Link(("q1", "a", "Anzahl"), tuple((m, "a", "Anzahl") for m in months))
    assert exposed(alone, links=[link]) == {("jan", "a", "Anzahl"), ("mar", "a", "Anzahl")}
    # Hiding February too leaves both values of each "< 3" possible (2 + 3 + 2 or 1 + 5 + 1 …).
    safer = {**alone, "feb": column(SECONDARY_MARK)}
    assert exposed(safer, links=[link]) == set()


def test_since_start_downloaded_twice_gives_the_month_away() -> None:
    # "seit Programmstart" on 29.11. minus the same on 29.10. is October.
    tables = {"since_oct": column("40"), "since_nov": column("41"), "oct": column(SMALL_MARK)}
    link = Link(("since_nov", "a", "Anzahl"), (("since_oct", "a", "Anzahl"), ("oct", "a", "Anzahl")))
    assert exposed(tables, links=[link]) == {("oct", "a", "Anzahl")}


def test_marks_are_information() -> None:
    # A total of 5 with one "< 3" and everything else printed fixes the hidden cell.
    assert exposed({"t": column(SMALL_MARK, "3", "0", total="5")}) == {("t", "a", "Anzahl")}
    # 1 + 1 under a total "< 3": each "< 3" can only be 1, and the total only 2.
    assert exposed({"t": column(SMALL_MARK, SMALL_MARK, total=SMALL_MARK)}) == {
        ("t", "a", "Anzahl"), ("t", "b", "Anzahl"), ("t", TOTAL, "Anzahl")}
    # A "•" beside a printed zero under a total "< 3" is provably small.
    assert exposed({"t": column(SECONDARY_MARK, "0", total=SMALL_MARK)}) == {("t", "a", "Anzahl")}
    # The weak total mark protects both: each "< 3" may be 1 or 2, the "•" 3 or more.
    assert exposed({"t": column(SMALL_MARK, SMALL_MARK, total=SECONDARY_MARK)}) == set()
    assert exposed({"t": column(SMALL_MARK, "4", SECONDARY_MARK, total="9")}) == set()


def test_differences_between_versions() -> None:
    first, again = {"r1": column("5")}, {"r2": column("6")}
    pair = [(("r2", "a", "Anzahl"), ("r1", "a", "Anzahl"))]
    assert [e.other for e in audit({**first, **again}, differences=pair)] == [("r1", "a", "Anzahl")]
    assert audit({**first, "r2": column("8")}, differences=pair) == []
    # "< 3" then 3: the change is 1 or 2, both possible – as much as the first mark said.
    assert audit({"r1": column(SMALL_MARK), "r2": column("3")}, differences=pair) == []
    # The same total, one part now printed: the hidden part moved by exactly 1.
    before = {"r1": column(SECONDARY_MARK, SECONDARY_MARK, total="10")}
    after = {"r2": column(SECONDARY_MARK, SECONDARY_MARK, total="11")}
    total_pair = [(("r2", TOTAL, "Anzahl"), ("r1", TOTAL, "Anzahl"))]
    assert len(audit({**before, **after}, differences=total_pair)) == 1


def reader_ranges(texts: list[str], cap: int) -> list[range]:
    """Every value a reader who knows the rules allows each printed cell of one table: a number
    itself; "< 3" 1 or 2; "•" up to the cap, from 3 where the table prints a number other than 0
    (a small count there would read "< 3"), else from 1 (zeros are printed)."""
    lowest = 3 if any(t not in (SMALL_MARK, SECONDARY_MARK, "0") for t in texts) else 1
    return [range(int(t), int(t) + 1) if t not in (SMALL_MARK, SECONDARY_MARK)
            else range(1, 3) if t == SMALL_MARK else range(lowest, cap + 1) for t in texts]


def brute_force(cells: tuple[str, ...], total: str, cap: int) -> set[str]:
    """Rows whose mark says more than it may, by trying every value up to a cap."""
    texts = [*cells, total]
    ranges = reader_ranges(texts, cap)
    feasible = [v for v in itertools.product(*ranges) if sum(v[:-1]) == v[-1]]
    rows = [chr(ord("a") + i) for i in range(len(cells))] + [TOTAL]
    found = set()
    for i, text in enumerate(texts):
        values = {v[i] for v in feasible}
        if text == SMALL_MARK and values != {1, 2}:
            found.add(rows[i])
        if text == SECONDARY_MARK and max(values) < 3:
            found.add(rows[i])
    return found


@settings(max_examples=150, deadline=None)
@given(truth=st.lists(st.integers(0, 5), min_size=2, max_size=4), hide=st.lists(st.booleans(), min_size=5, max_size=5))
def test_the_audit_agrees_with_brute_force(truth: list[int], hide: list[bool]) -> None:
    values = [*truth, sum(truth)]
    printed = []
    for value, hidden in zip(values, hide[:len(values)] + [False] * len(values)):
        if 0 < value < 3:
            printed.append(SMALL_MARK)  # small counts are always hidden
        elif hidden and value > 0:
            printed.append(SECONDARY_MARK)
        else:
            printed.append(str(value))
    table = column(*printed[:-1], total=printed[-1])
    # A cap above the true total lets the brute force see every value a "•" could need.
    cap = sum(truth) + 3
    assume(cap ** printed.count(SECONDARY_MARK) * 2 ** printed.count(SMALL_MARK) < 100_000)
    assert {e.cell[1] for e in audit({"t": table})} == brute_force(tuple(printed[:-1]), printed[-1], cap)


def test_a_reasoned_mark_needs_both_sizes_of_its_change() -> None:
    # A correction hides "a" (printed 5 before) with the note that printing it would disclose:
    # read as "moved by 1 or 2". With c and the total printed, a + b = 7 and b "< 3": a is 5 or
    # 6, a difference of 0 or 1 – only the size 1 fits the note.
    before = column("5", "0", "7", total="12")
    after = column(SECONDARY_MARK, SMALL_MARK, "10", total="17")
    pair = (("new", "a", "Anzahl"), ("old", "a", "Anzahl"))
    tables = {"old": before, "new": after}
    assert exposed(tables, differences=[pair]) == set()  # the difference alone is not pinned
    # Read as a constraint, the mark also gives b away: a = 6, so b = 1.
    assert exposed(tables, differences=[pair], marked=[pair]) == {("new", "a", "Anzahl"), ("new", "b", "Anzahl")}
    # "c" hidden too: a + b + c = 17 lets the difference be 1 (6 + 1 + 10) or 2 (7 + 1 + 9).
    wider = {"old": before, "new": column(SECONDARY_MARK, SMALL_MARK, SECONDARY_MARK, total="17")}
    assert exposed(wider, differences=[pair], marked=[pair]) == set()


def test_marks_are_read_together() -> None:
    # The outside review's example: a = b = 5, both corrected to 7 and hidden with the note,
    # c and the total printed. Each mark alone allows a change of 1 and of 2 (the other takes
    # the rest of 4: 1 + 3, 2 + 2); read together only 2 + 2 is left.
    before = column("5", "5", "3", total="13")
    after = column(SECONDARY_MARK, SECONDARY_MARK, "3", total="17")
    pairs = [(("new", r, "Anzahl"), ("old", r, "Anzahl")) for r in ("a", "b")]
    tables = {"old": before, "new": after}
    for pair in pairs:
        assert exposed(tables, marked=[pair]) == set()
    assert exposed(tables, marked=pairs) == {("new", "a", "Anzahl"), ("new", "b", "Anzahl")}


def test_marks_that_contradict_the_printed_figures_are_read_as_far_as_they_agree() -> None:
    # The total moved by 5: two marks "by 1 or 2" cannot both be true – a reader learns that one
    # of them moved by 0 or by 3 or more, and falls back to what still agrees: either mark alone.
    # Under either, the other cell takes the rest (a = 6 or 7 with b = 9 or 8 …): nothing pinned.
    before = column("5", "5", "3", total="13")
    after = column(SECONDARY_MARK, SECONDARY_MARK, "3", total="18")
    pairs = [(("new", r, "Anzahl"), ("old", r, "Anzahl")) for r in ("a", "b")]
    assert audit({"old": before, "new": after}, marked=pairs) == []


def test_too_many_contradicting_marks_in_one_group_are_refused() -> None:
    # Nine marks in one column that cannot all be true (every row moved by 5): trying every set
    # of them is not done – the audit refuses, on a mark.
    rows = 9
    before = column(*(["5"] * rows), total=str(5 * rows))
    after = column(*([SECONDARY_MARK] * rows), total=str(10 * rows))
    pairs = [(("new", chr(ord("a") + i), "Anzahl"), ("old", chr(ord("a") + i), "Anzahl")) for i in range(rows)]
    found = audit({"old": before, "new": after}, marked=pairs)
    assert [(e.cell, e.other) for e in found] == [pairs[0]]
    assert "zu viele" in found[0].what


def brute_force_marked(old: list[int], texts: list[str], marks: list[int], cap: int) -> set[str]:
    """What a reader who reads the marks as "moved by 1 or 2" pins down, by trying every value
    of the hidden cells of `texts` (one column, last row the total) up to a cap: all marks at
    once, or – where no world agrees with all – every largest set of them that some world
    agrees with (a mark's sizes matter where it is read)."""
    ranges = reader_ranges(texts, cap)
    base = [v for v in itertools.product(*ranges) if sum(v[:-1]) == v[-1]]
    rows = [chr(ord("a") + i) for i in range(len(texts) - 1)] + [TOTAL]

    def agreeing(read: tuple[int, ...]) -> list[tuple[int, ...]]:
        return [v for v in base if all(0 < abs(v[i] - old[i]) < 3 for i in read)]

    readings: list[tuple[int, ...]] = []
    for size in range(len(marks), -1, -1):
        for read in itertools.combinations(marks, size):
            if not any(set(read) <= set(r) for r in readings) and agreeing(read):
                readings.append(read)
    found = set()
    for read in readings:
        worlds = agreeing(read)
        for i, text in enumerate(texts):
            values = {v[i] for v in worlds}
            if text == SMALL_MARK and values != {1, 2}:
                found.add(rows[i])
            if text == SECONDARY_MARK and max(values) < 3:
                found.add(rows[i])
            if i in read and {abs(v[i] - old[i]) for v in worlds} != {1, 2}:
                found.add(rows[i])
    return found


@settings(max_examples=200, deadline=None)
@given(old=st.lists(st.integers(3, 7), min_size=2, max_size=4), moves=st.lists(st.integers(-3, 3), min_size=4, max_size=4),
       marked=st.lists(st.booleans(), min_size=4, max_size=4), hide_total=st.booleans())
def test_marks_read_together_agree_with_brute_force(old: list[int], moves: list[int], marked: list[bool],
                                                    hide_total: bool) -> None:
    """A version printed in full, its correction with some cells hidden under the note (true
    moves of any size, 0 included: a mark need not be true), the total printed or hidden: the
    audit finds exactly what trying every world under all marks at once finds."""
    new = [max(0, o + m) for o, m in zip(old, moves)]
    marks = [i for i in range(len(old)) if marked[i] and new[i] >= 3]
    texts = [SECONDARY_MARK if i in marks else SMALL_MARK if 0 < v < 3 else str(v) for i, v in enumerate(new)]
    total = sum(new)
    texts.append(SECONDARY_MARK if hide_total and total >= 3 and marks else SMALL_MARK if 0 < total < 3 else str(total))
    cap = total + 8
    assume(cap ** texts.count(SECONDARY_MARK) * 2 ** texts.count(SMALL_MARK) < 200_000)
    rows = [chr(ord("a") + i) for i in range(len(old))]
    before = column(*map(str, old), total=str(sum(old)))
    after = column(*texts[:-1], total=texts[-1])
    pairs = [(("new", rows[i], "Anzahl"), ("old", rows[i], "Anzahl")) for i in marks]
    found = audit({"old": before, "new": after}, marked=pairs)
    assert {e.cell[1] for e in found} == brute_force_marked([*old, sum(old)], texts, marks, cap)


def test_an_audit_asked_again_is_answered_from_what_was_solved(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Protecting a release audits the same groups again and again: the solver's answers are kept
    by content. The brute-force tests above run with answers kept from their earlier examples (a
    key that missed part of a program would answer from another program there); here: a warm
    audit asks the solver nothing, and gives what a cold one gives – also for the same program
    under other names and places."""
    from db.figures import feasibility

    calls: list[int] = []
    solver = feasibility.milp
    monkeypatch.setattr(feasibility, "milp", lambda *a, **kw: calls.append(1) or solver(*a, **kw))
    monkeypatch.setattr(feasibility, "_KEPT_ANSWERS", {})
    monkeypatch.setattr(feasibility, "_KEPT_READINGS", {})
    months = {m: column(v) for m, v in (("jan", SMALL_MARK), ("feb", SECONDARY_MARK), ("mar", SMALL_MARK))}
    link = Link(("q1", "a", "Anzahl"), tuple((m, "a", "Anzahl") for m in months))
    tables = {**months, "q1": column("7"), "t": column(SMALL_MARK, "3", SECONDARY_MARK, total="9")}
    cold = audit(tables, links=[link])
    assert calls, "the first audit solves"
    calls.clear()
    assert audit(tables, links=[link]) == cold and not calls
    # The same programs again, each table under another name and after an unrelated one: kept.
    renamed = {"x": column("1"), **{f"{k}2": v for k, v in tables.items()}}
    link2 = Link(("q12", "a", "Anzahl"), tuple((f"{m}2", "a", "Anzahl") for m in months))
    assert {(e.cell[0][:-1], *e.cell[1:]) for e in audit(renamed, links=[link2])} == {e.cell for e in cold}
    assert not calls
    # One printed figure changed: a new program, solved anew, and its own answer (February 3:
    # both months "< 3" are 2).
    changed = {**tables, "feb": column("3")}
    assert exposed(changed, links=[link]) == {("jan", "a", "Anzahl"), ("mar", "a", "Anzahl")}
    assert calls
