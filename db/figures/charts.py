"""The programme's charts (Altair): the lead's series and the council's protected tables.

The same chart objects are drawn by the pages and rendered to PNG for the PDF briefing, so a
chart is defined in exactly one place. Labels are German; dates read TT.MM.JJJJ.

A council chart is made from a PublishedTable and from nothing else: its data are the printed
cells (no totals, no extra fields), and only where no value of the table is hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from ..reporting.formats import VEGA_LOCALE, fmt_percent
from ..reporting.registry import label
from ..store.memo import by_content
from .disclosure import TOTAL, PublishedTable

if TYPE_CHECKING:  # alternatives reads the charts' data the same way (chart_data)
    from .alternatives import ChartText

DATE = "%d.%m.%Y"
WIDTH = 640  # for the pictures in the briefing; on a page a chart takes the column's width


def _base(frame: pd.DataFrame, title: str | alt.TitleParams) -> alt.Chart:
    # Calendar columns arrive as Python dates; Vega-Lite wants timestamps.
    frame = frame.assign(**{c: pd.to_datetime(frame[c]) for c in ("week", "month") if c in frame})
    return alt.Chart(frame, title=title)


def _labelled(frame: pd.DataFrame, column: str, fmt: str) -> tuple[pd.DataFrame, list[str]]:
    """Bars per week or month sit in even bands: the date becomes a text label, in order."""
    ordered = sorted(frame[column].unique())
    labels = [pd.Timestamp(d).strftime(fmt) for d in ordered]
    return frame.assign(label=frame[column].map(lambda d: pd.Timestamp(d).strftime(fmt))), labels


LABELS = alt.Axis(labelLimit=260)


def _legend(columns: int = 2) -> alt.Legend:
    # Below the plot, in columns: on a tablet's narrow column a single row of entries is cut off.
    return alt.Legend(orient="bottom", columns=columns, labelLimit=400)


# Text in a chart is text (WCAG 1.4.3): at least 4.5:1 against white. Vega's and Streamlit's
# greys for axis and legend labels reach about 3.7:1.
INK = "#111111"  # the app's text colour (.streamlit/config.toml)
SECONDARY_INK = "#404040"  # 10.4:1


def localised(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """German numbers and dates (decimal comma, thousands point, German month names) in axes,
    labels and tooltips, whole-number ticks (the charts count people and cases), and text dark
    enough to read. Applied on the page (fitted) and in the PNG path (export.chart_png) alike."""
    return chart.configure(
        locale=VEGA_LOCALE, numberFormat=",~f",
        axis=alt.AxisConfig(labelColor=SECONDARY_INK, titleColor=INK, tickColor=SECONDARY_INK,
                            domainColor=SECONDARY_INK),
        axisQuantitative=alt.AxisConfig(tickMinStep=1),
        legend=alt.LegendConfig(labelColor=SECONDARY_INK, titleColor=INK),
        title=alt.TitleConfig(color=INK, subtitleColor=SECONDARY_INK),
    )


def fitted(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """For a page: axis labels and legends count into the column's width (Vega-Lite would
    otherwise give the plot area the full width and let labels and legends overflow); the
    height stays the plot's own, so a legend adds to it instead of squashing the plot."""
    return localised(chart).properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


@dataclass(frozen=True)
class PageChart:
    """A chart as a page shows it: the finished Vega-Lite spec (JSON) and the chart in words."""
    spec: str
    text: ChartText


@by_content
def page_chart(described: Callable[..., ChartText], draw: Callable[..., alt.TopLevelMixin], *args: object,
               text_args: tuple[object, ...] | None = None) -> PageChart:
    """draw(*args) fitted, described by described(*text_args) (text_args default to args), and
    validated against the Vega-Lite schema – once per content of the figures, not on every
    rerun: building and validating the Altair objects and the words was most of a Lagebild rerun."""
    text = described(*(args if text_args is None else text_args))
    return PageChart(json.dumps(fitted(draw(*args).properties(description=text.description)).to_dict()), text)


def intake_chart(frame: pd.DataFrame) -> alt.Chart:
    title = alt.TitleParams("Zugang gegen Plan (je Woche)",
                            subtitle="durchgezogen: Ist · gestrichelt: Plan")
    return _base(frame, title).mark_line(point=True).encode(
        x=alt.X("week:T", title="Woche ab", axis=alt.Axis(format=DATE)),
        y=alt.Y("value:Q", title="Anzahl"),
        color=alt.Color("series:N", title=None, legend=_legend()),
        # Which line is plan is said in the subtitle: a legend of dash patterns alone reads badly.
        strokeDash=alt.StrokeDash("kind:N", title=None, sort=["Ist", "Plan"], legend=None),
        tooltip=[alt.Tooltip("week:T", title="Woche ab", format=DATE),
                 alt.Tooltip("series:N", title="Reihe"), alt.Tooltip("kind:N", title="Art"),
                 alt.Tooltip("value:Q", title="Wert")],
    )


def funnel_chart(frame: pd.DataFrame) -> alt.Chart:
    return _base(frame, "Verlauf der zugewiesenen Fälle").mark_bar().encode(
        x=alt.X("count:Q", title="Fälle"),
        y=alt.Y("stage:N", title=None, sort=list(frame["stage"]), axis=LABELS),
        tooltip=[alt.Tooltip("stage:N", title="Stufe"), alt.Tooltip("count:Q", title="Fälle")],
    )


CAPACITY_TITLE = "Teilnehmende je Stelle gegen Kapazität, Zulauf daneben"


def capacity_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Participants against capacity (the red mark); the inflow of first interviews as a bar of
    its own beside them – it does not count against capacity (db.casework.team)."""
    long = frame.assign(inflow=frame["planned"] + frame["outcome_missing"]).melt(
        id_vars=["position", "state", "capacity"], value_vars=["accompanied", "inflow"],
        var_name="part", value_name="count")
    parts = {"accompanied": label("participants"), "inflow": "Zulauf (Erstgespräche)"}
    long["part"] = long["part"].map(parts)
    y = alt.Y("position:N", title=None, sort=list(frame["position"]), axis=LABELS)
    bars = _base(long, CAPACITY_TITLE).mark_bar().encode(
        x=alt.X("count:Q", title="Personen"), y=y,
        yOffset=alt.YOffset("part:N", sort=list(parts.values())),
        color=alt.Color("part:N", title=None, sort=list(parts.values()), legend=_legend(columns=1)),
        tooltip=[alt.Tooltip("position:N", title="Stelle"), alt.Tooltip("state:N", title="Stand"),
                 alt.Tooltip("part:N", title="Art"), alt.Tooltip("count:Q", title="Personen")],
    )
    capacity = alt.Chart(frame).mark_tick(color="#b42318", thickness=3, size=24).encode(
        x="capacity:Q", y=y,
        tooltip=[alt.Tooltip("capacity:Q", title="Kapazität"), alt.Tooltip("state:N", title="Stand")],
    )
    return bars + capacity


def rate_chart(frame: pd.DataFrame, target: float) -> alt.LayerChart:
    """The integration rate per quarter of exit against the Land's target (a red rule)."""
    data = frame.dropna(subset=["rate"]).assign(
        shown=lambda f: f["rate"].map(fmt_percent),
        quarter_label=lambda f: f["quarter"].map(lambda q: f"{q[-1]}. Quartal {q[:4]}"))
    order = list(data["quarter_label"])
    bars = alt.Chart(data, title=alt.TitleParams(
        f"{label('integration_rate')} je Quartal", subtitle=f"rote Linie: Ziel des Landes {fmt_percent(target)}"),
    ).mark_bar().encode(
        x=alt.X("quarter_label:N", title="Quartal des Abgangs", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("rate:Q", title="Prozent", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("quarter_label:N", title="Quartal"), alt.Tooltip("shown:N", title="Anteil"),
                 alt.Tooltip("into_work_or_training:Q", title=label("exits_work_or_training")),
                 alt.Tooltip("leavers:Q", title=label("exits"))],
    )
    rule = alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(color="#b42318", strokeWidth=2).encode(
        y="target:Q")
    return bars + rule


def barriers_chart(frame: pd.DataFrame) -> alt.Chart:
    long = frame.melt(id_vars=["barrier", "total"], value_vars=["open", "resolved"],
                      var_name="state", value_name="count")
    long["state"] = long["state"].map({"open": "offen", "resolved": "erledigt"})
    return _base(long, "Vermittlungshemmnisse").mark_bar().encode(
        x=alt.X("count:Q", title="Fälle", stack="zero"),
        y=alt.Y("barrier:N", title=None, sort=list(frame["barrier"]), axis=LABELS),
        color=alt.Color("state:N", title=None, sort=["offen", "erledigt"],
                        legend=_legend()),
        tooltip=[alt.Tooltip("barrier:N", title="Hemmnis"), alt.Tooltip("state:N", title="Stand"),
                 alt.Tooltip("count:Q", title="Fälle")],
    )


def contacts_chart(frame: pd.DataFrame) -> alt.Chart:
    frame, weeks = _labelled(frame, "week", DATE)
    return _base(frame, "Kontakte je Art und Woche").mark_bar().encode(
        x=alt.X("label:O", title="Woche ab", sort=weeks),
        y=alt.Y("count:Q", title="Kontakte", stack="zero"),
        color=alt.Color("kind:N", title=None, legend=_legend()),
        tooltip=[alt.Tooltip("week:T", title="Woche ab", format=DATE),
                 alt.Tooltip("kind:N", title="Art"), alt.Tooltip("count:Q", title="Kontakte")],
    )


def office_hours_chart(frame: pd.DataFrame) -> alt.Chart:
    frame, months = _labelled(frame, "month", "%m/%Y")
    return _base(frame, "Besuche der Sprechstunden je Monat").mark_bar().encode(
        x=alt.X("label:O", title="Monat", sort=months),
        xOffset="town:N",
        y=alt.Y("visitors:Q", title="Besucher:innen"),
        color=alt.Color("town:N", title=None, legend=_legend()),
        tooltip=[alt.Tooltip("month:T", title="Monat", format="%m/%Y"),
                 alt.Tooltip("town:N", title="Ort"), alt.Tooltip("visitors:Q", title="Besucher:innen"),
                 alt.Tooltip("first_interviews:Q", title="daraus Erstgespräche")],
    )


def forecast_chart(frame: pd.DataFrame) -> alt.Chart:
    return _base(frame, "Kapazität und Fallzahl je Monat").mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("month:T", title="Monat", axis=alt.Axis(format="%m/%Y")),
        y=alt.Y("value:Q", title="Fälle"),
        color=alt.Color("series:N", title=None, legend=_legend(columns=1)),
        tooltip=[alt.Tooltip("month:T", title="Monat", format="%m/%Y"),
                 alt.Tooltip("series:N", title="Reihe"), alt.Tooltip("value:Q", title="Fälle")],
    )


def chart_data(table: PublishedTable) -> pd.DataFrame:
    """The published cells of a protected table in long form: Kategorie, Reihe, Wert (empty
    where hidden) and Hinweis (the mark of a hidden cell). Totals are not part of it."""
    rows, cols = table.interior()
    published = table.published()
    return pd.DataFrame(
        [{"Kategorie": str(r), "Reihe": str(c), "Wert": published.loc[r, c],
          "Hinweis": table.mark(r, c) or ""} for r in rows for c in cols if r != TOTAL],
        columns=["Kategorie", "Reihe", "Wert", "Hinweis"])


def council_chart(title: str, table: PublishedTable, unit: str) -> alt.LayerChart | None:
    """Horizontal bars in the table's own (catalogue) order, several columns side by side.

    Only for a table whose every value is printed: bars without the hidden ones would misdraw
    the distribution (an empty bar reads as zero, an axis fitted to the rest pretends a scale),
    so such a table stays a table (`hidden_instead`). None, too, when every value is zero."""
    if not drawable(table):
        return None
    frame = chart_data(table)
    several = frame["Reihe"].nunique() > 1
    data = alt.InlineData(values=[{"Kategorie": r.Kategorie, "Reihe": r.Reihe, "Wert": int(r.Wert)}
                                  for r in frame.itertuples()])
    order = list(dict.fromkeys(frame["Kategorie"]))
    y = alt.Y("Kategorie:N", title=None, sort=order, axis=LABELS)
    offset = {"yOffset": alt.YOffset("Reihe:N")} if several else {}
    series = list(dict.fromkeys(frame["Reihe"]))
    colour = ({"color": alt.Color("Reihe:N", title=None, sort=series, legend=_legend())} if several
              else {"color": alt.value("#1f5f8b")})
    x = alt.X("Wert:Q", title=unit, axis=alt.Axis(tickMinStep=1, format="d"))
    bars = alt.Chart(data, title=title).mark_bar().encode(
        x=x, y=y, **offset, **colour,
        tooltip=[alt.Tooltip("Kategorie:N", title=""), alt.Tooltip("Reihe:N", title="Spalte"),
                 alt.Tooltip("Wert:Q", title=unit)],
    )
    # Every bar carries its number, so a zero reads as 0 and not as a missing bar.
    values = alt.Chart(data).mark_text(align="left", dx=3, color=INK).encode(
        x=x, y=y, **offset, text="Wert:Q")
    return bars + values


def drawable(table: PublishedTable) -> bool:
    """Whether council_chart draws the table: every value printed, and one of them above zero."""
    frame = chart_data(table)
    return not (frame["Hinweis"] != "").any() and bool((frame["Wert"].fillna(0) > 0).any())


def hidden_instead(table: PublishedTable) -> str:
    """Why a council table has no chart, in words for the page and the PDF."""
    hidden = int((chart_data(table)["Hinweis"] != "").sum())
    if hidden:
        return (f"Keine Grafik: {hidden} {'Wert ist' if hidden == 1 else 'Werte sind'} geheim gehalten, "
                "und Balken ohne sie würden die Verteilung verzerren. Die Tabelle zeigt alles Veröffentlichte.")
    return "Keine Grafik: im Zeitraum ist nichts gezählt (alle Werte 0)."
