"""Council briefing: small counts suppressed so that they cannot be recomputed."""

from __future__ import annotations

from itertools import product

import pandas as pd
import pytest

from db.briefing import HIDDEN, TOTAL, briefing_summary, briefing_tables, briefing_tiles, shown_count, suppressed_table
from db.errors import PermissionDenied
from db.indicators import Period

from .conftest import World


def test_shown_count() -> None:
    assert [shown_count(n) for n in (0, 1, 2, 3, 17)] == ["0", HIDDEN, HIDDEN, "3", "17"]


def _recoverable(table: pd.DataFrame) -> list[tuple[str, str]]:
    """Hidden cells that some shown total lets one compute exactly."""
    found = []
    for axis_lines in (table.iterrows(), table.T.iterrows()):
        for _, line in axis_lines:
            inner = line.drop(TOTAL)
            hidden = [k for k, v in inner.items() if v == HIDDEN]
            if line[TOTAL] != HIDDEN and len(hidden) == 1:
                found.append((line.name, hidden[0]))
    return found


@pytest.mark.parametrize(
    "counts",
    [
        {"offen": [7, 1, 4], "erledigt": [1, 0, 6]},
        {"Guben": [2, 9], "Forst": [5, 4]},
        {"a": [1, 0], "b": [0, 0]},
        {"a": [5, 6, 2], "b": [3, 0, 8], "c": [0, 4, 4]},
    ],
)
def test_no_hidden_cell_can_be_recomputed_from_totals(counts: dict[str, list[int]]) -> None:
    frame = pd.DataFrame(counts, index=[f"r{i}" for i in range(len(next(iter(counts.values()))))])
    table = suppressed_table(frame)
    assert _recoverable(table) == []
    for row, col in product(frame.index, frame.columns):
        if 0 < frame.loc[row, col] < 3:
            assert table.loc[row, col] == HIDDEN
        elif table.loc[row, col] != HIDDEN:
            assert table.loc[row, col] == str(frame.loc[row, col])


def test_exhaustive_small_grids_never_leak() -> None:
    for values in product([0, 1, 2, 3, 5], repeat=4):
        table = suppressed_table(pd.DataFrame({"a": values[:2], "b": values[2:]}, index=["x", "y"]))
        assert _recoverable(table) == [], values


def test_briefing_of_the_demo_world(world: World) -> None:
    council = world.actor("kreistag")
    tiles = {t.label: t.value for t in briefing_tiles(world.db, council)}
    assert tiles["In Begleitung"] == "11" and tiles["Erstgespräche geplant"] == "19"
    assert "werden 11 Personen begleitet" in briefing_summary(world.db, council)
    tables = {t.title: t.table for t in briefing_tables(world.db, council, Period())}
    barriers = tables["Vermittlungshemmnisse"]
    assert barriers.index[0] == "Führerschein fehlt" and barriers.loc["Führerschein fehlt", "offen"] == "7"
    assert barriers.loc["Gesundheit", "offen"] == HIDDEN  # one case: hidden
    assert _recoverable(barriers) == []


def test_no_personal_value_reaches_the_briefing(world: World) -> None:
    from db.caseload import caseload

    council = world.actor("kreistag")
    text = briefing_summary(world.db, council) + " ".join(
        t.table.to_csv() + " ".join(map(str, t.table.index)) for t in briefing_tables(world.db, council, Period()))
    for row in caseload(world.db, world.actor("leitung"), limit=100).rows:
        assert row.client_number not in text and row.client_name not in text
    for name in ("Bianca", "Bruno", "Begleitmann", "Fallmuster"):
        assert name not in text


@pytest.mark.parametrize("username", ["begleiter1", "fallmanager1", "admin"])
def test_briefing_is_for_council_and_lead(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        briefing_tables(world.db, world.actor(username), Period())
