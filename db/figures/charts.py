"""The programme's charts (Altair): the lead's series and the council's protected tables.

The same chart objects are drawn by the pages and rendered to PNG for the PDF briefing, so a
chart is defined in exactly one place. Labels are German; dates read TT.MM.JJJJ.

A council chart is made from a PublishedTable and from nothing else: its data are the printed
cells (no totals, no extra fields), and only where no value of the table is hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from ..casework.team import CapacityState, capacity_state
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


# Labels that fit a phone (issue 41): a row or legend label is drawn in at most two lines of
# LINE_CHARS characters (about 140 px for an axis label, 165 px in a legend), so on a 390 px
# screen the bars keep more than half of the chart's width; what is longer is shortened on the
# second line ("…"). Only the drawing is wrapped (lines_expr): the data, the tooltip and the
# chart's words (db.figures.alternatives) keep the full text.
LINE_CHARS = 26
LABEL_WIDTH = 180  # px: a line of LINE_CHARS characters fits; Vega's own cut never comes into play
ROW = alt.Step(34)  # rows with two-line labels


def wrapped(text: str, chars: int = LINE_CHARS, lines: int = 2) -> str:
    """A label broken into lines of at most `chars` characters ("\\n" between them; a dash
    " – " always starts a new line: "Integrationsbegleitung 1", "Bianca Begleitmann"), at most
    `lines` of them: a longer text ends in "…" on the last line."""
    out: list[str] = []
    for part in str(text).split(" – "):
        fresh = True
        for word in part.split():
            if out and not fresh and len(out[-1]) + 1 + len(word) <= chars:
                out[-1] += " " + word
            else:
                out.append(word if len(word) <= chars else word[:chars - 1] + "…")
            fresh = False
    if len(out) > lines:
        out = [*out[:lines - 1], out[lines - 1][:chars - 1].rstrip() + "…"]
    return "\n".join(out)


def lines_expr(labels: dict[str, str]) -> str:
    """A Vega expression that draws each value's label as lines (Vega draws a list of strings
    as lines): the chart's data keep their full text – for the tooltip, and on a council chart
    nothing but the printed cells –, only the drawn label is wrapped."""
    expr = "datum.label"
    for value, text in labels.items():
        if text != value:
            expr = (f"datum.label === {json.dumps(value, ensure_ascii=False)} ? "
                    f"{json.dumps(text.split(chr(10)), ensure_ascii=False)} : {expr}")
    return expr


def _axis(values: Iterable[object], labels: dict[str, str] | None = None, **more: object) -> alt.Axis:
    """A category axis whose labels are wrapped (or given as `labels`, lines split by a newline)."""
    shown = labels if labels is not None else {str(v): wrapped(str(v)) for v in dict.fromkeys(values)}
    return alt.Axis(labelLimit=LABEL_WIDTH, labelExpr=lines_expr(shown), **more)


def _legend(values: Iterable[object]) -> alt.Legend:
    # Below the plot, one entry a line, each label wrapped: side by side the entries ran off a
    # phone's screen ("Teilnahme begonne…").
    return alt.Legend(orient="bottom", columns=1, labelLimit=LABEL_WIDTH,
                      labelExpr=lines_expr({str(v): wrapped(str(v)) for v in dict.fromkeys(values)}))


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
    height stays the plot's own, so a legend adds to it instead of squashing the plot. A few
    pixels of padding on each side: Vega measures a rotated axis title and an edge label a
    pixel or two short, and the page cut them ("Anzahl", "3. Quartal 2026")."""
    return localised(chart).properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
                                       padding={"left": 6, "right": 6, "top": 5, "bottom": 5})


@dataclass(frozen=True)
class PageChart:
    """A chart as a page shows it: the finished Vega-Lite spec (JSON) without its title, the
    title and subtitle as text for the page (text wraps on a phone; Vega's title is one line and
    ran off the screen: "…Kapazität, Zulauf dane"), and the chart in words."""
    spec: str
    text: ChartText
    title: str = ""
    subtitle: str = ""


def _taken_title(spec: dict[str, object]) -> tuple[str, str]:
    """Remove the title from a spec (top level or a layer's, as Altair puts it) and return it."""
    found: list[object] = [spec.pop("title", None)]
    for layer in spec.get("layer", []) or []:  # type: ignore[union-attr]
        if isinstance(layer, dict):
            found.append(layer.pop("title", None))
    title = next((t for t in found if t), None)
    text, subtitle = (title.get("text", ""), title.get("subtitle", "")) if isinstance(title, dict) else (title, "")
    return _one_line(text), _one_line(subtitle)


def _one_line(text: object) -> str:
    """A Vega title is a string or a list of lines; on the page it is one text that wraps."""
    return " ".join(map(str, text)) if isinstance(text, list) else str(text or "")


@by_content
def page_chart(described: Callable[..., ChartText], draw: Callable[..., alt.TopLevelMixin], *args: object,
               text_args: tuple[object, ...] | None = None) -> PageChart:
    """draw(*args) fitted, described by described(*text_args) (text_args default to args), and
    validated against the Vega-Lite schema – once per content of the figures, not on every
    rerun: building and validating the Altair objects and the words was most of a Lagebild rerun."""
    text = described(*(args if text_args is None else text_args))
    spec = fitted(draw(*args).properties(description=text.description)).to_dict()
    title, subtitle = _taken_title(spec)
    return PageChart(json.dumps(spec), text, title, subtitle)


def intake_chart(frame: pd.DataFrame) -> alt.Chart:
    title = alt.TitleParams("Zugang gegen Plan (je Woche)",
                            subtitle="durchgezogen: Ist · gestrichelt: Plan")
    return _base(frame, title).mark_line(point=True).encode(
        x=alt.X("week:T", title="Woche ab", axis=alt.Axis(format=DATE)),
        y=alt.Y("value:Q", title="Anzahl"),
        color=alt.Color("series:N", title=None, legend=_legend(frame["series"])),
        # Which line is plan is said in the subtitle: a legend of dash patterns alone reads badly.
        strokeDash=alt.StrokeDash("kind:N", title=None, sort=["Ist", "Plan"], legend=None),
        tooltip=[alt.Tooltip("week:T", title="Woche ab", format=DATE),
                 alt.Tooltip("series:N", title="Reihe"), alt.Tooltip("kind:N", title="Art"),
                 alt.Tooltip("value:Q", title="Wert")],
    )


def funnel_chart(frame: pd.DataFrame) -> alt.Chart:
    return _base(frame, "Verlauf der zugewiesenen Fälle").mark_bar().encode(
        x=alt.X("count:Q", title="Fälle"),
        y=alt.Y("stage:N", title=None, sort=list(frame["stage"]), axis=_axis(frame["stage"])),
        tooltip=[alt.Tooltip("stage:N", title="Stufe"), alt.Tooltip("count:Q", title="Fälle")],
    ).properties(height=ROW)


def capacity_title(unit: str = "Stelle") -> str:
    return f"Teilnehmende je {unit} gegen Kapazität, Zulauf daneben"


CAPACITY_TITLE = capacity_title()
INFLOW_PARTS = {"planned": "Zulauf: " + label("planned_first_interviews"),
                "outcome_missing": "Zulauf: " + label("interviews_outcome_missing")}


def capacity_states(frame: pd.DataFrame) -> list[CapacityState]:
    """Each row's place against its capacity, by the one rule (db.casework.team)."""
    return [capacity_state(int(r.accompanied), int(r.planned + r.outcome_missing), int(r.capacity))
            for r in frame.itertuples()]


def capacity_chart(frame: pd.DataFrame, unit: str = "Stelle") -> alt.LayerChart:
    """Participants against capacity (the red tick); beside them the inflow as a bar of its own,
    stacked from first interviews planned and those held without an outcome – it does not count
    against capacity (db.casework.team). A row over capacity, or over it once the inflow starts,
    says so in its label's last line. The same chart for positions (Lagebild) and for the
    companions of the Team table (series.team_capacity)."""
    states = capacity_states(frame)
    rows = {p: wrapped(p) + (f"\n{s.short}" if s != CapacityState.WITHIN else "")
            for p, s in zip(frame["position"], states, strict=True)}
    stand = [f"{st}, {s.text}" if s.text else st for st, s in zip(frame["state"], states, strict=True)]
    shown = frame.assign(stand=stand)
    parts = {"accompanied": label("participants"), **INFLOW_PARTS}
    long = shown.melt(id_vars=["position", "stand", "capacity"], value_vars=list(parts),
                      var_name="part", value_name="count")
    long["group"] = long["part"].map(lambda p: "Teilnehmende" if p == "accompanied" else "Zulauf")
    long["part"] = long["part"].map(parts)
    legend = list(parts.values())
    y = alt.Y("position:N", title=None, sort=list(rows), axis=_axis(rows, rows))
    bars = _base(long, capacity_title(unit)).mark_bar().encode(
        x=alt.X("count:Q", title="Personen", stack="zero"), y=y,
        yOffset=alt.YOffset("group:N", sort=["Teilnehmende", "Zulauf"]),
        # Blue for what counts, lighter and orange for the inflow: red is the capacity's tick.
        color=alt.Color("part:N", title=None, sort=legend, legend=_legend(legend),
                        scale=alt.Scale(domain=legend, range=["#1f5f8b", "#8cb8dc", "#e0a040"])),
        tooltip=[alt.Tooltip("position:N", title=unit), alt.Tooltip("stand:N", title="Stand"),
                 alt.Tooltip("part:N", title="Art"), alt.Tooltip("count:Q", title="Personen")],
    )
    capacity = alt.Chart(shown).mark_tick(color="#b42318", thickness=3, size=36).encode(
        x="capacity:Q", y=y,
        tooltip=[alt.Tooltip("position:N", title=unit), alt.Tooltip("capacity:Q", title="Kapazität"),
                 alt.Tooltip("stand:N", title="Stand")],
    )
    # Three lines to a row at most (name in two, the mark in one), two bars beside each other.
    return (bars + capacity).properties(height=alt.Step(26))


def rate_chart(frame: pd.DataFrame, target: float) -> alt.LayerChart:
    """The integration rate per quarter of exit against the Land's target (a red rule)."""
    data = frame.dropna(subset=["rate"]).assign(
        shown=lambda f: f["rate"].map(fmt_percent),
        quarter_label=lambda f: f["quarter"].map(lambda q: f"{q[-1]}. Quartal {q[:4]}"))
    order = list(data["quarter_label"])
    bars = alt.Chart(data, title=alt.TitleParams(
        f"{label('integration_rate')} je Quartal", subtitle=f"rote Linie: Ziel des Landes {fmt_percent(target)}"),
    ).mark_bar().encode(
        # "3. Quartal" over "2026": side by side the last quarter ran into the phone's edge.
        x=alt.X("quarter_label:N", title="Quartal des Abgangs", sort=order,
                axis=_axis(order, {q: q.replace(" 2", "\n2", 1) for q in order}, labelAngle=0)),
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
        y=alt.Y("barrier:N", title=None, sort=list(frame["barrier"]), axis=_axis(frame["barrier"])),
        color=alt.Color("state:N", title=None, sort=["offen", "erledigt"],
                        legend=_legend(["offen", "erledigt"])),
        tooltip=[alt.Tooltip("barrier:N", title="Hemmnis"), alt.Tooltip("state:N", title="Stand"),
                 alt.Tooltip("count:Q", title="Fälle")],
    ).properties(height=ROW)


def contacts_chart(frame: pd.DataFrame) -> alt.Chart:
    frame, weeks = _labelled(frame, "week", DATE)
    return _base(frame, "Kontakte je Art und Woche").mark_bar().encode(
        x=alt.X("label:O", title="Woche ab", sort=weeks),
        y=alt.Y("count:Q", title="Kontakte", stack="zero"),
        color=alt.Color("kind:N", title=None, legend=_legend(frame["kind"])),
        tooltip=[alt.Tooltip("week:T", title="Woche ab", format=DATE),
                 alt.Tooltip("kind:N", title="Art"), alt.Tooltip("count:Q", title="Kontakte")],
    )


def office_hours_chart(frame: pd.DataFrame) -> alt.Chart:
    frame, months = _labelled(frame, "month", "%m/%Y")
    return _base(frame, "Besuche der Sprechstunden je Monat").mark_bar().encode(
        x=alt.X("label:O", title="Monat", sort=months),
        xOffset="town:N",
        y=alt.Y("visitors:Q", title="Besucher:innen"),
        color=alt.Color("town:N", title=None, legend=_legend(frame["town"])),
        tooltip=[alt.Tooltip("month:T", title="Monat", format="%m/%Y"),
                 alt.Tooltip("town:N", title="Ort"), alt.Tooltip("visitors:Q", title="Besucher:innen"),
                 alt.Tooltip("first_interviews:Q", title="daraus Erstgespräche")],
    )


def forecast_chart(frame: pd.DataFrame) -> alt.Chart:
    """Capacity ahead against today's participants – what counts against it – and participants
    with their inflow (db.casework.team.capacity_forecast: the Team table's sums)."""
    title = "Kapazität und Teilnehmende je Monat"
    return _base(frame, title).mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("month:T", title="Monat", axis=alt.Axis(format="%m/%Y")),
        y=alt.Y("value:Q", title="Personen"),
        color=alt.Color("series:N", title=None, legend=_legend(frame["series"])),
        tooltip=[alt.Tooltip("month:T", title="Monat", format="%m/%Y"),
                 alt.Tooltip("series:N", title="Reihe"), alt.Tooltip("value:Q", title="Personen")],
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
    y = alt.Y("Kategorie:N", title=None, sort=order, axis=_axis(order))
    offset = {"yOffset": alt.YOffset("Reihe:N")} if several else {}
    series = list(dict.fromkeys(frame["Reihe"]))
    colour = ({"color": alt.Color("Reihe:N", title=None, sort=series, legend=_legend(series))} if several
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
    return (bars + values).properties(height=ROW)


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
