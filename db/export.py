"""Exports of the briefing: PDF, a PNG per chart, the aggregate tables as CSV and Excel.

Every export is audited. Text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import altair as alt
import pandas as pd
import vl_convert as vlc
from fpdf import FPDF

from . import charts, indicators
from .actors import Actor
from .audit import audit
from .briefing import (
    BriefingTable,
    briefing_summary,
    briefing_tables,
    briefing_tiles,
    hide_small_counts,
    is_small,
)
from .clock import today
from .database import Database
from .indicators import Period
from .permissions import require_role
from .vocabulary import Role

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A spreadsheet must show text as text: a leading = + - @ would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.map(safe_cell)
    out.index = [safe_cell(str(i)) for i in out.index]
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


@dataclass(frozen=True)
class NamedChart:
    slug: str
    chart: alt.TopLevelMixin


def briefing_charts(db: Database, actor: Actor, period: Period) -> list[NamedChart]:
    """The charts of the briefing; for the council, values 1 and 2 are not drawn."""
    require_role(actor, Role.COUNCIL, Role.LEAD)
    council = actor.role == Role.COUNCIL
    intake = indicators.intake(db, actor, period)
    barriers = indicators.barriers(db, actor, period)
    hours = indicators.office_hours(db, actor, period)
    funnel = indicators.funnel(db, actor, period)
    if council:
        # Only counts of people are hidden; the plan lines are targets, not people.
        intake = intake[(intake["kind"] == "Plan") | ~intake["value"].map(is_small)]
        funnel = hide_small_counts(funnel, "count")
        hours = hide_small_counts(hours, "visitors")
        barriers = barriers.assign(
            open=barriers["open"].where(~barriers["open"].between(1, 2), 0),
            resolved=barriers["resolved"].where(~barriers["resolved"].between(1, 2), 0))
    return [
        NamedChart("zugang-gegen-plan", charts.intake_chart(intake)),
        NamedChart("verlauf", charts.funnel_chart(funnel)),
        NamedChart("hemmnisse", charts.barriers_chart(barriers)),
        NamedChart("sprechstunden", charts.office_hours_chart(hours)),
    ]


def chart_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """Rendered on the server, without a browser and without any outside request."""
    return vlc.vegalite_to_png(chart.properties(width=charts.WIDTH).to_json(), scale=scale)


def _audited(db: Database, actor: Actor, what: str, period: Period) -> None:
    with db.write() as session:
        audit(session, actor, "export", "briefing", None,
              {"format": what, "from": period.start, "to": period.end, "town": period.town})


def export_png(db: Database, actor: Actor, period: Period, slug: str) -> bytes:
    chart = next(c.chart for c in briefing_charts(db, actor, period) if c.slug == slug)
    _audited(db, actor, f"png:{slug}", period)
    return chart_png(chart)


def export_csv(db: Database, actor: Actor, period: Period) -> bytes:
    """All briefing tables in one long CSV (Tabelle; Zeile; Spalte; Wert), for German Excel."""
    rows = [
        {"Tabelle": t.title, "Zeile": str(row), "Spalte": str(col), "Wert": t.table.loc[row, col]}
        for t in briefing_tables(db, actor, period) for row in t.table.index for col in t.table.columns
    ]
    _audited(db, actor, "csv", period)
    frame = safe_frame(pd.DataFrame(rows, columns=["Tabelle", "Zeile", "Spalte", "Wert"]))
    return frame.to_csv(sep=";", index=False).encode("utf-8-sig")


def export_xlsx(db: Database, actor: Actor, period: Period) -> bytes:
    """One sheet per briefing table, with the suppression applied."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for number, table in enumerate(briefing_tables(db, actor, period), start=1):
            safe_frame(table.table).to_excel(writer, sheet_name=f"{number} {table.title}"[:31])
    _audited(db, actor, "xlsx", period)
    return buffer.getvalue()


def _latin1(text: str) -> str:
    # The PDF's built-in font covers Latin-1 (umlauts, ß); typographic dashes and quotes are mapped.
    return (text.replace("–", "-").replace("„", '"').replace("“", '"').replace("‘", "'")
            .replace("’", "'").encode("latin-1", "replace").decode("latin-1"))


def export_pdf(db: Database, actor: Actor, period: Period) -> bytes:
    """The council briefing as a PDF: tiles, summary, charts and tables."""
    tiles = briefing_tiles(db, actor)
    summary = briefing_summary(db, actor)
    tables = briefing_tables(db, actor, period)
    pictures = [chart_png(c.chart) for c in briefing_charts(db, actor, period)]

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title("Integrationsbegleitung - Lagebericht")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _para(pdf, 8, _latin1("Integrationsbegleitung Jobcenter Spree-Neiße – Lagebericht"))
    pdf.set_font("Helvetica", "", 10)
    town = f", Ort: {period.town}" if period.town else ""
    _para(pdf, 6, _latin1(f"Stand {today():%d.%m.%Y} · Zeitraum {period.start:%d.%m.%Y} bis "
                                 f"{period.end:%d.%m.%Y}{town}"))
    pdf.ln(2)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(tiles)
    pdf.set_font("Helvetica", "", 8)
    for tile in tiles:
        pdf.cell(width, 6, _latin1(tile.label), border="LTR", align="C")
    pdf.ln()
    pdf.set_font("Helvetica", "B", 14)
    for tile in tiles:
        pdf.cell(width, 9, _latin1(tile.value), border="LBR", align="C")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 10)
    _para(pdf, 5, _latin1(summary))
    pdf.ln(3)
    for picture in pictures:
        pdf.image(io.BytesIO(picture), w=pdf.w - pdf.l_margin - pdf.r_margin)
        pdf.ln(3)
    for table in tables:
        _pdf_table(pdf, table)
    pdf.set_font("Helvetica", "I", 8)
    _para(pdf, 4, _latin1("Nur Summen, keine Personendaten. Werte von 1 oder 2 werden als "
                                 "„< 3“ ausgewiesen; weitere Werte sind verdeckt, wo eine Summe sie "
                                 "sonst verraten würde."))
    _audited(db, actor, "pdf", period)
    return bytes(pdf.output())


def _para(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _pdf_table(pdf: FPDF, table: BriefingTable) -> None:
    frame = table.table
    if frame.empty:
        return
    pdf.set_font("Helvetica", "B", 11)
    _para(pdf, 7, _latin1(table.title))
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    first = usable * 0.4
    other = (usable - first) / max(1, len(frame.columns))
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(first, 6, "", border=1)
    for col in frame.columns:
        pdf.cell(other, 6, _latin1(str(col)), border=1, align="C")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for row in frame.index:
        pdf.cell(first, 6, _latin1(str(row)), border=1)
        for col in frame.columns:
            pdf.cell(other, 6, _latin1(str(frame.loc[row, col])), border=1, align="R")
        pdf.ln()
    pdf.ln(4)
