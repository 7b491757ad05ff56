"""The council (Kreistag) briefing: aggregates for fixed, ended periods, disclosure-controlled.

Everything the council receives – page tables, tiles, the summary, chart data, PDF, Excel and
CSV – is built from the `ProtectedTable`s made here, never from the raw counts. Nothing here
returns a name, client number, note or date of birth.

Two kinds of figures:
- **Stand heute** (stocks): participants today, by status; they do not follow the period.
- **Period figures** (flows) for a calendar month, quarter, half-year, year or "seit
  Programmstart". Periods nest, so a reader could subtract the months of a quarter from the
  quarter and learn about the rest. Every period is therefore published only after the shorter
  periods inside it: a cell whose difference to any combination of published shorter periods
  would be 1 or 2 is hidden too (mark "•"), then the table's own suppression runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..actors import Actor
from ..clock import today
from ..database import Database
from ..memo import until_data_change
from ..permissions import require_role
from ..vocabulary import ActivityKind, Barrier, Role
from . import flows
from .disclosure import SMALL_LIMIT, TOTAL, Cell, ProtectedTable, is_small, protect, with_totals
from .formats import fmt_percent, plural, shown_phrase
from .kpis import kpis
from .periods import Granularity, ReportingPeriod, children, offered_periods
from .registry import Tile, definition, label

COUNCIL_ROLES = (Role.COUNCIL, Role.LEAD)


@dataclass(frozen=True)
class CouncilTable:
    slug: str
    title: str
    explanation: str  # what is counted, for the page, the PDF and the "Hinweise" sheet
    row_title: str
    table: ProtectedTable
    chart: bool = True  # drawn as a bar chart (from the protected table only)


@dataclass(frozen=True)
class Briefing:
    period: ReportingPeriod
    as_of: date
    stock_tiles: list[Tile]
    period_tiles: list[Tile]
    summary: str
    tables: list[CouncilTable]  # stocks first, then the period's tables


# --- the period tables, each built from monthly counts ------------------------------------------

@dataclass(frozen=True)
class _Spec:
    slug: str
    title: str
    explanation: str
    row_title: str
    column_totals: bool
    build: Callable[[dict[str, pd.DataFrame], list[str], list[date]], pd.DataFrame]


def _in(frame: pd.DataFrame, months: list[date]) -> pd.DataFrame:
    return frame[frame["month"].isin(months)]


def _one_column(frame: pd.DataFrame, key: str, rows: list[str], column: str,
                labels: Callable[[str], str] = str) -> pd.DataFrame:
    counts = frame.groupby(key)["count"].sum() if not frame.empty else pd.Series(dtype=int)
    return pd.DataFrame({column: [int(counts.get(r, 0)) for r in rows]},
                        index=pd.Index([labels(r) for r in rows]))


def _events(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    keys = ["referrals", "interviews_held", "job_starts"]
    return _one_column(_in(data["events"], months), "key", keys, "Anzahl", label)


def _exits(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    return _one_column(_in(data["exits"], months), "result", list(flows.EXIT_RESULTS), "Abgänge")


def _barriers(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    frame = _in(data["barriers"], months)
    out = pd.DataFrame(index=pd.Index([b.label for b in Barrier]))
    for state, column in (("noted", "neu erfasst"), ("resolved", "erledigt")):
        out[column] = _one_column(frame[frame["state"] == state], "barrier", [b.value for b in Barrier],
                                  column)[column].to_numpy()
    return out


def _contacts(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    return _one_column(_in(data["contacts"], months), "kind", [k.value for k in ActivityKind],
                       "Kontakte", lambda k: ActivityKind(k).label)


def _visitors(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    return _one_column(_in(data["visitors"], months), "town", towns, "Besuche")


PERIOD_TABLES: tuple[_Spec, ...] = (
    _Spec("zugaenge", "Zuweisungen, Erstgespräche und Arbeitsaufnahmen",
          " ".join(f"{label(k)}: {definition(k)}" for k in ("referrals", "interviews_held", "job_starts")),
          "Kennzahl", False, _events),
    _Spec("abgaenge", "Abgänge nach Verbleib",
          f"{definition('exits')} Verbleib beim Ende der Begleitung; „Summe“ = {label('exits')}.",
          "Verbleib", True, _exits),
    _Spec("hemmnisse", "Vermittlungshemmnisse",
          "Im Zeitraum neu erfasste und im Zeitraum erledigte Hemmnisse der begleiteten Fälle "
          "(ein Fall kann mehrere haben). Alle Hemmnisse des Katalogs in fester Reihenfolge.",
          "Hemmnis", True, _barriers),
    _Spec("kontakte", "Kontakte nach Art",
          "Im Zeitraum erfasste Kontakte und Begleitungen (Datum des Kontakts).", "Kontaktart", True,
          _contacts),
    _Spec("sprechstunden", "Besuche der Sprechstunden",
          "Besuche in den Sprechstunden im Zeitraum, je Ort (eine Person kann mehrmals kommen).",
          "Ort", True, _visitors),
)


@dataclass(frozen=True)
class Publication:
    """Every offered period with its protected tables (computed together, see module doc)."""

    periods: list[ReportingPeriod]
    tables: dict[tuple[str, str], ProtectedTable]  # (period key, table slug) → table


def _sums(parts: list[int], cap: int) -> int:
    """Every total a reader can form from some of the parts (each part: one of its values or
    nothing), up to cap. Sets of whole numbers are bit masks (bit s set: s can be formed), so
    adding a part is a few shifts of one integer, not a loop over every pair of totals – five
    years of periods take seconds instead of minutes."""
    limit = (1 << (cap + 1)) - 1
    sums = 1  # {0}
    for part in parts:
        grown, rest = sums, part
        while rest:
            lowest = rest & -rest
            grown |= (sums << (lowest.bit_length() - 1)) & limit
            rest ^= lowest
        sums = grown
    return sums


def _differs_by_little(value: int, sums: int) -> bool:
    """Some formable total lies 1 or 2 (SMALL_LIMIT − 1) below the value."""
    return any(value - d >= 0 and sums >> (value - d) & 1 for d in range(1, SMALL_LIMIT))


@until_data_change
def publication(db: Database, actor: Actor) -> Publication:
    require_role(actor, *COUNCIL_ROLES)
    data = {
        "events": flows.monthly_events(db, actor),
        "exits": flows.monthly_exits(db, actor),
        "barriers": flows.monthly_barriers(db, actor),
        "contacts": flows.monthly_contacts(db, actor),
        "visitors": flows.monthly_visitors(db, actor),
    }
    periods = offered_periods(flows.programme_start(db), today())
    return publish(data, flows.office_hour_towns(db), periods)


def publish(data: dict[str, pd.DataFrame], towns: list[str], periods: list[ReportingPeriod]) -> Publication:
    """Protect every period's tables, shorter periods first (see the module doc)."""
    tables: dict[tuple[str, str], ProtectedTable] = {}
    # What a reader can compute for each cell of a published period: its value, and sums of
    # values of the shorter periods inside it.
    known: dict[tuple[str, str], dict[Cell, int]] = {}  # bit masks, see _sums
    # Shorter first; of equal length "seit Programmstart" last (in January it spans exactly the
    # year just ended, which lies inside it).
    for period in sorted(periods, key=lambda p: (len(p.month_starts()), p.granularity is Granularity.SINCE_START)):
        inner = children(period, periods)
        for spec in PERIOD_TABLES:
            raw = spec.build(data, towns, period.month_starts())
            grid = with_totals(raw, row_totals=False, column_totals=spec.column_totals)
            parts: dict[Cell, int] = {}
            differencing: list[Cell] = []
            for row in grid.index:
                for col in grid.columns:
                    value = int(grid.loc[row, col])
                    parts[(row, col)] = _sums([known[(p.key, spec.slug)][(row, col)] for p in inner], value)
                    if not is_small(value) and _differs_by_little(value, parts[(row, col)]):
                        differencing.append((row, col))
            table = protect(raw, row_totals=False, column_totals=spec.column_totals,
                            also_hide=differencing)
            tables[(period.key, spec.slug)] = table
            known[(period.key, spec.slug)] = {
                cell: sums | (1 << int(grid.loc[cell]) if cell not in table.hidden else 0)
                for cell, sums in parts.items()
            }
    return Publication(periods, tables)


def offered(db: Database, actor: Actor) -> list[ReportingPeriod]:
    return publication(db, actor).periods


# --- stocks today -------------------------------------------------------------------------------

def _stock_table(db: Database, actor: Actor) -> ProtectedTable:
    k = kpis(db, actor)
    raw = pd.DataFrame({"Personen": [k.active_cases, k.employed]},
                       index=pd.Index([label("active_cases"), label("employed")]))
    return protect(raw, column_totals=True)


def _planned_table(db: Database, actor: Actor) -> ProtectedTable:
    raw = pd.DataFrame({"Fälle": [kpis(db, actor).planned_first_interviews]},
                       index=pd.Index([label("planned_first_interviews")]))
    return protect(raw, column_totals=False)


# --- the briefing ---------------------------------------------------------------------------------

def _rate(table: ProtectedTable) -> tuple[str, float | None]:
    """The share of leavers in work or training, if every part of it is published."""
    col = "Abgänge"
    if any((r, col) in table.hidden for r in (*flows.INTO_WORK_OR_TRAINING, TOTAL)):
        return "nicht ausgewiesen (Geheimhaltung)", None
    # The share needs only the parts and the total; hidden other results stay hidden.
    total = int(table.values.loc[TOTAL, col])
    parts = {r: int(table.values.loc[r, col]) for r in flows.INTO_WORK_OR_TRAINING}
    share = flows.share_into_work_or_training({**parts, flows.EXIT_OTHER: total - sum(parts.values())})
    return ("noch keine Abgänge", None) if share is None else (fmt_percent(share), share)


@until_data_change
def council_briefing(db: Database, actor: Actor, period_key: str | None = None) -> Briefing | None:
    """The briefing for one offered period (the newest month by default); None before any
    month has ended."""
    require_role(actor, *COUNCIL_ROLES)
    pub = publication(db, actor)
    if not pub.periods:
        return None
    period = next((p for p in pub.periods if p.key == period_key),
                  next(p for p in pub.periods if p.granularity.months == 1) if period_key is None
                  else None)
    if period is None:
        raise ValueError(f"unknown period {period_key!r}")
    k = kpis(db, actor)
    stock = _stock_table(db, actor)
    planned = _planned_table(db, actor)
    tables = [
        CouncilTable("heute", "Teilnehmende heute", f"{label('participants')}: "
                     f"{definition('participants')}", "Status", stock, chart=False),
        *[CouncilTable(s.slug, s.title, s.explanation, s.row_title, pub.tables[(period.key, s.slug)],
                       chart=s.slug != "zugaenge") for s in PERIOD_TABLES],
    ]
    shown = stock.shown()
    events = pub.tables[(period.key, "zugaenge")].shown()["Anzahl"]
    exits = pub.tables[(period.key, "abgaenge")]
    rate_text, _ = _rate(exits)
    exit_total = exits.shown().loc[TOTAL, "Abgänge"]
    planned_shown = planned.shown().iloc[0, 0]
    stock_tiles = [
        Tile(label("participants"), shown.loc[TOTAL, "Personen"], definition("participants")),
        Tile(label("employed"), shown.loc[label("employed"), "Personen"], definition("employed")),
        Tile(label("planned_first_interviews"), planned_shown, definition("planned_first_interviews")),
        Tile(label("companions_working"), str(k.companions_working), definition("companions_working")),
        Tile(label("positions_total"), str(k.positions_total), definition("positions_total")),
    ]
    period_tiles = [
        *[Tile(label(key), events[label(key)], definition(key))
          for key in ("referrals", "interviews_held", "job_starts")],
        Tile(label("exits"), exit_total, definition("exits")),
        Tile(label("integration_rate"), rate_text, definition("integration_rate")),
    ]
    summary = _summary(k, shown, planned_shown, events, exit_total, rate_text, period)
    return Briefing(period, today(), stock_tiles, period_tiles, summary, tables)


def _summary(k, shown: pd.DataFrame, planned: str, events: pd.Series, exits: str,  # type: ignore[no-untyped-def]
             rate: str, period: ReportingPeriod) -> str:
    participants = shown.loc[TOTAL, "Personen"]
    follow_up = shown.loc[label("employed"), "Personen"]
    staff = ("Im Dienst ist " if k.companions_working == 1 else "Im Dienst sind ") + plural(
        k.companions_working, "Integrationsbegleiter:in", "Integrationsbegleiter:innen")
    if k.companions_starting:
        staff += f", {plural(k.companions_starting, 'weitere Person beginnt', 'weitere Personen beginnen')} in Kürze"
    staff += (f". Finanziert {'ist' if k.positions_total == 1 else 'sind'} "
              f"{plural(k.positions_total, 'Stelle', 'Stellen')}, davon "
              f"{'ist' if k.positions_open == 1 else 'sind'} {k.positions_open} noch nicht besetzt.")
    rate_sentence = (f"Der Anteil der Abgänge in Arbeit oder Ausbildung beträgt {rate} (Ziel des Landes: 25 %)."
                     if rate[0].isdigit() else f"Anteil der Abgänge in Arbeit oder Ausbildung: {rate}.")
    return (
        f"Stand {today():%d.%m.%Y}: Begleitet werden {shown_phrase(participants, 'Person', 'Personen')}, "
        f"davon {shown_phrase(follow_up, 'Person', 'Personen')} in der Nachbetreuung nach einer "
        f"Arbeitsaufnahme; {shown_phrase(planned, 'Erstgespräch ist', 'Erstgespräche sind')} vereinbart. "
        f"{staff} "
        f"Im Zeitraum vom {period.span}: "
        f"{shown_phrase(events[label('referrals')], 'Zuweisung', 'Zuweisungen')}, "
        f"{shown_phrase(events[label('interviews_held')], 'geführtes Erstgespräch', 'geführte Erstgespräche')}, "
        f"{shown_phrase(events[label('job_starts')], 'Arbeitsaufnahme', 'Arbeitsaufnahmen')} und "
        f"{shown_phrase(exits, 'Abgang', 'Abgänge')}. {rate_sentence}"
    )
