"""Text alternatives for the charts (WCAG 1.1.1): a name, a sentence or two saying what the chart
shows with its key values, and the numbers behind it as a table with German headings.

A chart is a picture of a table: whoever cannot see it – a screen reader, a printout in black and
white, somebody who wants the exact figure – gets the same content here. Pages show the summary
under the chart and the table in "Daten zur Grafik"; the PDF briefing uses the summary as the
picture's alt text. Values are German text ("2,5", "1.234", "25,0 %"), so a table reads as the
chart does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..reporting.formats import fmt_number, fmt_percent, plural
from ..reporting.registry import label
from .charts import DATE, capacity_states, capacity_title, chart_data
from .disclosure import PublishedTable


@dataclass(frozen=True)
class ChartText:
    name: str  # what the chart is called – its name for assistive technology
    summary: str  # what it shows, in words
    table: pd.DataFrame  # the data behind it

    @property
    def description(self) -> str:
        """Name and summary in one: the chart's description (aria-label of the drawing)."""
        return f"{self.name}. {self.summary}"


def _listed(parts: list[str]) -> str:
    return "; ".join(parts) if parts else "keine Werte im Zeitraum"


def _wide(frame: pd.DataFrame, index: str, columns: str, values: str, index_title: str,
          index_format: str) -> pd.DataFrame:
    """Long chart data as a table: one row per date, one column per series (in first-seen order)."""
    if frame.empty:
        return pd.DataFrame(columns=[index_title])
    order = list(dict.fromkeys(frame[columns]))
    wide = frame.pivot_table(index=index, columns=columns, values=values, aggfunc="sum", sort=True)
    wide = wide.reindex(columns=order).map(lambda v: "–" if pd.isna(v) else fmt_number(v))
    wide.index = [pd.Timestamp(d).strftime(index_format) for d in wide.index]
    return wide.rename_axis(index_title).reset_index()


def intake_text(frame: pd.DataFrame) -> ChartText:
    name = "Zugang gegen Plan (je Woche)"
    data = frame.assign(column=frame["series"] + " (" + frame["kind"] + ")")
    table = _wide(data, "week", "column", "value", "Woche ab", DATE)
    if frame.empty:
        return ChartText(name, "Liniendiagramm ohne Werte.", table)
    last = frame[frame["week"] == frame["week"].max()]
    parts = []
    for series in dict.fromkeys(last["series"]):
        rows = last[last["series"] == series].set_index("kind")["value"]
        plan = f" (Plan {fmt_number(rows['Plan'])})" if "Plan" in rows else ""
        parts.append(f"{series} {fmt_number(rows.get('Ist', 0))}{plan}")
    week = pd.Timestamp(frame["week"].max()).strftime(DATE)
    return ChartText(name, f"Liniendiagramm, Ist und Plan je Woche. In der Woche ab {week}: "
                           f"{_listed(parts)}.", table)


def capacity_text(frame: pd.DataFrame, unit: str = "Stelle") -> ChartText:
    name = capacity_title(unit)
    loaded = frame.assign(inflow=frame["planned"] + frame["outcome_missing"])
    states = capacity_states(frame)
    table = pd.DataFrame({
        unit: loaded["position"], "Stand": loaded["state"],
        label("participants"): loaded["accompanied"], "Kapazität": loaded["capacity"],
        "Zulauf: " + label("planned_first_interviews"): loaded["planned"],
        "Zulauf: " + label("interviews_outcome_missing"): loaded["outcome_missing"],
        "Gegen die Kapazität": [s.text or "–" for s in states]})
    parts = [f"{r.position}: {plural(int(r.accompanied), 'Teilnehmende:r', 'Teilnehmende')} bei "
             f"Kapazität {r.capacity}" + (f", Zulauf {int(r.inflow)}" if r.inflow else "")
             + (f" ({s.text})" if s.marked else "")
             for r, s in zip(loaded.itertuples(), states, strict=True)]
    return ChartText(name, f"Balkendiagramm je {unit}. {_listed(parts)}.", table)


def funnel_text(frame: pd.DataFrame) -> ChartText:
    name = "Verlauf der zugewiesenen Fälle"
    table = pd.DataFrame({"Stufe": frame["stage"], "Fälle": frame["count"]})
    parts = [f"{r.stage}: {r.count}" for r in frame.itertuples()]
    return ChartText(name, f"Balkendiagramm. {_listed(parts)}.", table)


def barriers_text(frame: pd.DataFrame) -> ChartText:
    name = "Vermittlungshemmnisse"
    table = pd.DataFrame({"Hemmnis": frame["barrier"], "offen": frame["open"],
                          "erledigt": frame["resolved"], "zusammen": frame["total"]})
    named = frame[frame["total"] > 0].sort_values("total", ascending=False, kind="stable").head(3)
    parts = [f"{r.barrier} ({plural(int(r.total), 'Fall', 'Fälle')}, davon {r.open} offen)"
             for r in named.itertuples()]
    return ChartText(name, "Balkendiagramm, offen und erledigt je Hemmnis. Am häufigsten: "
                           f"{_listed(parts)}.", table)


def contacts_text(frame: pd.DataFrame) -> ChartText:
    name = "Kontakte je Art und Woche"
    table = _wide(frame, "week", "kind", "count", "Woche ab", DATE)
    by_kind = frame.groupby("kind", sort=False)["count"].sum().sort_values(ascending=False, kind="stable")
    parts = [f"{kind} {n}" for kind, n in by_kind.items()]
    total = plural(int(frame["count"].sum()), "Kontakt", "Kontakte")
    return ChartText(name, f"Säulendiagramm je Woche, {total} im Zeitraum: {_listed(parts)}.", table)


def office_hours_text(frame: pd.DataFrame) -> ChartText:
    name = "Besuche der Sprechstunden je Monat"
    table = pd.DataFrame({
        "Monat": [pd.Timestamp(m).strftime("%m/%Y") for m in frame["month"]], "Ort": frame["town"],
        "Besucher:innen": frame["visitors"], "daraus Erstgespräche": frame["first_interviews"],
        "Sprechstunden": frame["sessions"]})
    by_town = frame.groupby("town", sort=True)[["visitors", "first_interviews"]].sum()
    parts = [f"{town} {plural(int(r.visitors), 'Besuch', 'Besuche')}, daraus {r.first_interviews} "
             "Erstgespräche" for town, r in by_town.iterrows()]
    return ChartText(name, f"Säulendiagramm je Monat und Ort. Im Zeitraum: {_listed(parts)}.", table)


def forecast_text(frame: pd.DataFrame) -> ChartText:
    name = "Kapazität und Teilnehmende je Monat"
    table = _wide(frame, "month", "series", "value", "Monat", "%m/%Y")
    parts = []
    for series, part in frame.groupby("series", sort=False):
        first, last = part.iloc[0], part.iloc[-1]
        parts.append(f"{series} {fmt_number(first['value'])} im {pd.Timestamp(first['month']):%m/%Y}, "
                     f"{fmt_number(last['value'])} im {pd.Timestamp(last['month']):%m/%Y}")
    return ChartText(name, f"Stufendiagramm je Monat. {_listed(parts)}.", table)


def _quarter(key: str) -> str:
    return f"{key[-1]}. Quartal {key[:4]}"


def rate_text(quarters: pd.DataFrame, target: float) -> ChartText:
    name = f"{label('integration_rate')} je Quartal"
    data = quarters.dropna(subset=["rate"])
    table = pd.DataFrame({
        "Quartal": data["quarter"].map(_quarter), label("exits"): data["leavers"],
        label("exits_work_or_training"): data["into_work_or_training"],
        "Anteil": data["rate"].map(fmt_percent)})
    parts = [f"{_quarter(r.quarter)} {fmt_percent(r.rate)}" for r in data.itertuples()]
    return ChartText(name, f"Säulendiagramm, Ziel des Landes {fmt_percent(target)}. {_listed(parts)}.",
                     table)


def council_text(title: str, table: PublishedTable) -> ChartText:
    """A council chart in words, with its published values only: a hidden cell is its mark."""
    data = chart_data(table)
    several = data["Reihe"].nunique() > 1
    parts = [f"{r.Kategorie}{f' ({r.Reihe})' if several else ''}: {r.Hinweis or fmt_number(r.Wert)}"
             for r in data.itertuples()]
    shown = data.assign(Wert=[r.Hinweis or fmt_number(r.Wert) for r in data.itertuples()])
    shown = shown.drop(columns=["Hinweis"] + ([] if several else ["Reihe"]))
    return ChartText(title, f"Balkendiagramm „{title}“. {_listed(parts)}.", shown)
