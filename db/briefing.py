"""The council (Kreistag) briefing: aggregates only, small counts suppressed.

Nothing here returns a name, client number, note or date of birth. A count of 1 or 2 is shown
as "< 3" (primary suppression); where a row or column total is shown, further cells are hidden
until no suppressed cell can be recomputed from the total (secondary suppression).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import indicators
from .actors import Actor
from .clock import today
from .database import Database
from .memo import until_data_change
from .indicators import Period
from .kpis import kpis
from .permissions import require_role
from .vocabulary import Role

SMALL_COUNT_LIMIT = 3
HIDDEN = f"< {SMALL_COUNT_LIMIT}"
TOTAL = "Summe"


def is_small(n: int) -> bool:
    return 0 < n < SMALL_COUNT_LIMIT


def hide_small_counts(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """For charts: leave out the rows whose count is 1 or 2 (no bar or point is drawn)."""
    return frame[~frame[column].map(is_small)]


def shown_count(n: int) -> str:
    """A count as the council may see it."""
    return HIDDEN if is_small(n) else str(n)


def suppressed_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts (rows × columns of ints) with row and column totals, as strings the council may see.

    Every 1 or 2 is hidden, and so is every total that is 1 or 2. Then, while some row or
    column has exactly one hidden cell whose total is shown, the smallest other non-zero cell
    of that line is hidden too (or, if there is none, its total), so that no hidden value equals
    "total minus the shown cells".
    """
    grid = counts.astype(int).copy()
    grid[TOTAL] = grid.sum(axis=1)
    grid.loc[TOTAL] = grid.sum(axis=0)
    hidden = grid.map(is_small)

    def settle(line: pd.Series, mask: pd.Series) -> bool:
        """Hide one more cell of this line if the line's total would reveal a hidden one."""
        inner = [k for k in line.index if k != TOTAL]
        if mask[TOTAL] or sum(mask[k] for k in inner) != 1:
            return False
        candidates = [k for k in inner if not mask[k] and line[k] > 0]
        victim = min(candidates, key=lambda k: line[k]) if candidates else TOTAL
        mask[victim] = True
        return True

    changed = True
    while changed:
        changed = False
        for row in grid.index:
            mask = hidden.loc[row].copy()
            if settle(grid.loc[row], mask):
                hidden.loc[row] = mask
                changed = True
        for col in grid.columns:
            mask = hidden[col].copy()
            if settle(grid[col], mask):
                hidden[col] = mask
                changed = True
    return grid.astype(str).mask(hidden, HIDDEN)


@dataclass(frozen=True)
class Tile:
    label: str
    value: str


@until_data_change
def briefing_tiles(db: Database, actor: Actor) -> list[Tile]:
    require_role(actor, Role.COUNCIL, Role.LEAD)
    k = kpis(db, actor)
    return [
        Tile("In Begleitung", shown_count(k.active_cases)),
        Tile("Erstgespräche geplant", shown_count(k.planned_first_interviews)),
        Tile("In Arbeit (Nachbetreuung)", shown_count(k.employed)),
        Tile("Begleiter:innen im Dienst", str(k.companions_working)),
        Tile("Stellen gesamt", str(k.positions_total)),
    ]


@until_data_change
def briefing_summary(db: Database, actor: Actor) -> str:
    require_role(actor, Role.COUNCIL, Role.LEAD)
    k = kpis(db, actor)
    return (
        f"Zum Stichtag {today():%d.%m.%Y} werden {shown_count(k.active_cases)} Personen begleitet; "
        f"{shown_count(k.planned_first_interviews)} Erstgespräche sind geplant. "
        f"Im Dienst: {k.companions_working} Integrationsbegleiter:innen, "
        f"in Kürze beginnend: {k.companions_starting}, offene Stellen: {k.positions_open}."
    )


@dataclass(frozen=True)
class BriefingTable:
    title: str
    table: pd.DataFrame  # strings, suppressed; the index names the rows


@until_data_change
def briefing_tables(db: Database, actor: Actor, period: Period) -> list[BriefingTable]:
    """The council's tables, each with totals and suppression applied."""
    require_role(actor, Role.COUNCIL, Role.LEAD)
    funnel = indicators.funnel(db, actor, period).set_index("stage")[["count"]]
    funnel.columns = ["Fälle"]
    funnel.index.name = "Stufe"
    barriers = indicators.barriers(db, actor, period).set_index("barrier")[["open", "resolved"]]
    barriers.columns = ["offen", "erledigt"]
    barriers.index.name = "Hemmnis"
    hours = indicators.office_hours(db, actor, period)
    visitors = (hours.pivot_table(index="month", columns="town", values="visitors", aggfunc="sum",
                                  fill_value=0) if not hours.empty else pd.DataFrame())
    visitors.index = pd.Index([f"{m:%m/%Y}" for m in visitors.index], name="Monat")
    visitors.columns.name = None
    contacts = indicators.contacts(db, actor, period)
    per_kind = (contacts.groupby("kind")[["count"]].sum() if not contacts.empty
                else pd.DataFrame(columns=["count"]))
    per_kind.columns = ["Kontakte"]
    per_kind.index.name = "Kontaktart"
    return [
        BriefingTable("Verlauf der im Zeitraum zugewiesenen Fälle", _stage_table(funnel)),
        BriefingTable("Vermittlungshemmnisse", suppressed_table(barriers) if not barriers.empty else barriers),
        BriefingTable("Kontakte nach Art", suppressed_table(per_kind) if not per_kind.empty else per_kind),
        BriefingTable("Besuche der Sprechstunden je Monat", suppressed_table(visitors) if not visitors.empty else visitors),
    ]


def _stage_table(funnel: pd.DataFrame) -> pd.DataFrame:
    # The stages overlap (one case passes several), so there is no total to protect against.
    return funnel.map(shown_count)
