"""The files of a council release: PDF, a PNG per chart, the tables as CSV and Excel.

All of them are made once, when the quarter is released (db.figures.releases), from the stored
`Briefing` – the printed cells only – so they carry the same figures as the page, and every
download hands out the same bytes. Downloads are audited there. Text cells that a spreadsheet
would run as a formula are neutralised.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd
import vl_convert as vlc
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..clock import LOCAL_TZ
from ..reporting.cells import safe_cell, safe_frame
from ..reporting.pdf import ReportPdf
from ..reporting.registry import INDICATORS, indicator
from . import charts
from .alternatives import council_text
from .council import TERMS_EXPLAINED, WITHHELD, Briefing, CouncilTable
from .disclosure import MARKS_EXPLAINED

TITLE = "Integrationsbegleitung Jobcenter Spree-Neiße – Lagebericht für den Kreistag"
PUBLISHED_ONLY = ("Nur Summen, keine Personendaten. Je Kalenderquartal eine Freigabe, erst nach Ablauf "
                  "der 28 Tage, in denen Ergebnisse der Abgänge eintreffen; freigegebene Zahlen "
                  "ändern sich nie, Berichtigungen erscheinen als neue, gekennzeichnete Freigabe. "
                  "Bestände zeigen den letzten Tag des Quartals (Stichtag).")

if TYPE_CHECKING:
    from .releases import Release


UNITS = {"abgaenge": indicator("exits").unit, "hemmnisse": "Hemmnisse", "kontakte": "Kontakte",
         "sprechstunden": "Besuche"}


@dataclass(frozen=True)
class NamedChart:
    slug: str
    title: str
    table: CouncilTable

    @property
    def unit(self) -> str:
        return UNITS.get(self.slug, "Anzahl")

    @property
    def chart(self) -> alt.TopLevelMixin:
        """The Altair chart, built when asked for (a page draws the cached spec instead)."""
        chart = charts.council_chart(self.title, self.table.table, self.unit)
        assert chart is not None  # briefing_charts keeps drawable tables only
        return chart


def briefing_charts(briefing: Briefing) -> list[NamedChart]:
    """The briefing's charts, each drawn from its printed table only; a table with no printed
    value above zero has none (db.figures.charts.council_chart)."""
    return [NamedChart(t.slug, t.title, t) for t in briefing.tables if t.chart and charts.drawable(t.table)]


def chart_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """Rendered on the server, without a browser and without any outside request."""
    return vlc.vegalite_to_png(charts.localised(chart.properties(width=charts.WIDTH)).to_json(), scale=scale)


def heading(release: Release) -> list[str]:
    """What every file says it is: the quarter, the release and its checksum."""
    lines = [f"Zeitraum: {release.period.label} ({release.period.span}), Bestände am {release.period.end:%d.%m.%Y}",
             f"Freigabe Nr. {release.id} vom {release.released_at.astimezone(LOCAL_TZ):%d.%m.%Y}, "
             f"Prüfsumme {release.content_hash[:16]}"]
    if release.corrects_id:
        lines.append(f"{'Endgültige Fassung' if release.final else 'Berichtigung'}: ersetzt Freigabe Nr. {release.corrects_id}")
    lines.append(release.briefing.status_text)
    return lines


def release_files(release: Release) -> dict[str, bytes]:
    """Every file of a release, by the name it is stored and downloaded under."""
    files = {"pdf": export_pdf(release), "xlsx": export_xlsx(release), "csv": export_csv(release)}
    files.update({f"png:{c.slug}": chart_png(c.chart) for c in briefing_charts(release.briefing)})
    return files


# --- CSV ---------------------------------------------------------------------------------------

def export_csv(release: Release) -> bytes:
    """All tables in one long CSV for German Excel (;): a published number in "Wert", a hidden
    cell's mark in "Kennzeichen"; "Stand" vorläufig or endgültig; "Hinweis" says why a revision
    hides a cell the version it replaces printed."""
    briefing = release.briefing
    return tables_csv(briefing.tables, briefing.period.label, release.id, briefing.status)


def tables_csv(tables: list[CouncilTable], period_label: str, release_id: int, status: str) -> bytes:
    """The CSV of any release (a quarter, a year, a Stichtag briefing): one row per printed cell."""
    withheld = {(t.slug, row, col): f"{WITHHELD} – {why}" for t in tables for row, col, why in t.withheld}
    rows = []
    for t in tables:
        published = t.table.published()
        for row in published.index:
            for col in published.columns:
                rows.append({
                    "Tabelle": t.title, "Zeile": str(row), "Spalte": str(col),
                    "Wert": published.loc[row, col], "Kennzeichen": t.table.mark(row, col) or "",
                    "Zeitraum": period_label, "Freigabe": release_id,
                    "Stand": status, "Hinweis": withheld.get((t.slug, str(row), str(col)), ""),
                })
    frame = safe_frame(pd.DataFrame(rows, columns=["Tabelle", "Zeile", "Spalte", "Wert", "Kennzeichen",
                                                   "Zeitraum", "Freigabe", "Stand", "Hinweis"]))
    frame["Wert"] = frame["Wert"].map(lambda v: "" if v is None or pd.isna(v) else str(int(v)))
    return frame.to_csv(sep=";", index=False).encode("utf-8-sig")


# --- Excel -------------------------------------------------------------------------------------

def sheet_name(title: str, taken: set[str]) -> str:
    """At most 31 characters, cut at a word boundary, unique, without []:*?/\\ ."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    words, name = clean.split(), ""
    for word in words:
        if len(f"{name} {word}".strip()) > 31:
            break
        name = f"{name} {word}".strip()
    name = name or clean[:31]
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def export_xlsx(release: Release) -> bytes:
    """One sheet per table with title, Zeitraum and Freigabe; numbers as numbers, hidden cells
    as their mark; a "Hinweise" sheet with the marks and every indicator's definition."""
    briefing = release.briefing
    return tables_xlsx(briefing.tables, heading(release), _notes(briefing.tables, heading(release)))


def tables_xlsx(tables: list[CouncilTable], lines: list[str], notes: list[tuple[str, str]]) -> bytes:
    """The workbook of any release: a sheet per table – a printed number stored as a number, a
    hidden cell as its mark (text) – and the notes."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="1F5F8B")
    for t in tables:
        sheet = book.create_sheet(sheet_name(t.title, taken))
        sheet["A1"] = t.title
        sheet["A1"].font = Font(bold=True, size=14)
        sheet["A2"] = " · ".join(lines)
        sheet["A3"] = safe_cell(t.explanation)
        sheet["A3"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=1 + len(t.table.columns))
        sheet.row_dimensions[3].height = 15 * max(2, len(t.explanation) // 90 + 1)
        header = [t.row_title, *t.table.columns]
        for col, text in enumerate(header, start=1):
            cell = sheet.cell(row=5, column=col, value=safe_cell(text))
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
        published = t.table.published()
        for r, row in enumerate(published.index, start=6):
            sheet.cell(row=r, column=1, value=safe_cell(str(row))).font = bold if row == "Summe" else Font()
            for c, col in enumerate(published.columns, start=2):
                value = published.loc[row, col]
                cell = sheet.cell(row=r, column=c, value=int(value) if value is not None else t.table.mark(row, col))
                cell.alignment = Alignment(horizontal="right")
                cell.number_format = "#,##0"
        for n, text in enumerate(t.withheld_text(), start=7 + len(published.index)):
            sheet.cell(row=n, column=1, value=safe_cell(text))
        sheet.freeze_panes = "B6"
        sheet.column_dimensions["A"].width = max(18, max(len(str(i)) for i in [t.row_title, *published.index]) + 2)
        for c, col in enumerate(published.columns, start=2):
            sheet.column_dimensions[get_column_letter(c)].width = max(12, len(str(col)) + 4)
    _notes_sheet(book.create_sheet(sheet_name("Hinweise", taken)), notes)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _notes(tables: list[CouncilTable], lines: list[str], note: str = PUBLISHED_ONLY) -> list[tuple[str, str]]:
    return [
        ("Lagebericht", TITLE), ("Freigabe", " · ".join(lines)),
        ("Zeichen", MARKS_EXPLAINED), ("Hinweis", note), ("", ""),
        ("Tabelle", "Was gezählt wird"),
        *[(t.title, t.explanation) for t in tables],
        ("", ""), ("Kennzahl", "Definition"),
        *[(i.label, f"{i.definition} ({i.kind.value}; Einheit: {i.unit})") for i in INDICATORS],
    ]


def _notes_sheet(sheet, rows: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    for r, (key, text) in enumerate(rows, start=1):
        sheet.cell(row=r, column=1, value=safe_cell(key)).font = Font(bold=True)
        sheet.cell(row=r, column=2, value=safe_cell(text)).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 100


# --- PDF ---------------------------------------------------------------------------------------

class _BriefingPdf(ReportPdf):
    """The briefing: Zeitraum and Freigabe in every page's header, "Seite x von y" in its footer."""

    def __init__(self, subject: str, lines: list[str], released_at: datetime) -> None:
        super().__init__(TITLE, subject)
        self.lines = lines
        self.set_creation_date(released_at)

    def header(self) -> None:
        self.set_font("Source Sans", "", 8)
        self.cell(0, 5, " · ".join(self.lines), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Source Sans", "", 8)
        self.cell(0, 5, f"Seite {self.page_no()} von {{nb}}", align="R")


def pdf_tables(pdf: ReportPdf, tables: list[CouncilTable]) -> None:
    """Each table with its title and what it counts, as printed."""
    usable = pdf.usable
    for table in tables:
        pdf.heading(table.title, level=1, rows_after=3)
        pdf.para(table.explanation, size=9, height=4.5)
        pdf.ln(1)
        shown = table.table.shown()
        columns = [table.row_title, *map(str, shown.columns)]
        first = usable * 0.45
        widths = [first, *[(usable - first) / len(shown.columns)] * len(shown.columns)]
        pdf.table_of(columns, [[str(i), *shown.loc[i].tolist()] for i in shown.index], widths)
        for text in table.withheld_text():  # why a revision hides what its earlier version printed
            pdf.para(text, size=8, style="I", height=4)


def pdf_definitions(pdf: ReportPdf, note: str = PUBLISHED_ONLY) -> None:
    pdf.add_page()
    pdf.heading("Definitionen", level=1)
    for indicator in INDICATORS:
        pdf.para(indicator.label, size=9, style="B", height=4.5)
        pdf.para(f"{indicator.definition} ({indicator.kind.value}; Einheit: {indicator.unit})",
                 size=9, height=4.5)
        pdf.ln(1)
    pdf.para(MARKS_EXPLAINED + " " + note, size=8, style="I", height=4)


def export_pdf(release: Release) -> bytes:
    """The council briefing as a PDF: tiles, summary, charts with text alternatives, tables,
    definitions."""
    briefing = release.briefing
    figures = briefing_charts(briefing)
    pictures = [(f, chart_png(f.chart)) for f in figures]

    pdf = _BriefingPdf(f"Lagebericht {release.period.label}", heading(release), release.released_at)
    pdf.add_page()
    pdf.heading(TITLE, level=0)
    pdf.para(briefing.status_text, size=10, style="B")
    pdf.para(briefing.summary)
    # The marks and words are explained where they first appear: page 1, before the tiles.
    pdf.para(MARKS_EXPLAINED, size=8, style="I", height=4)
    pdf.para(TERMS_EXPLAINED, size=8, style="I", height=4)
    pdf.ln(2)
    usable = pdf.usable
    for caption, tiles in ((f"Stichtag {briefing.period.end:%d.%m.%Y}", briefing.stock_tiles),
                           (f"Zeitraum: {briefing.period.label}", briefing.period_tiles)):
        pdf.heading(caption, level=1, rows_after=2)
        pdf.table_of(["Kennzahl", "Wert"], [[t.label, t.value] for t in tiles], [usable * 0.7, usable * 0.3])
    pdf_tables(pdf, briefing.tables)
    pdf.para(MARKS_EXPLAINED, size=8, style="I", height=4)
    for figure, picture in pictures:
        pdf.heading(f"Grafik: {figure.title}", level=1, rows_after=12)
        pdf.image(io.BytesIO(picture), w=usable, alt_text=council_text(figure.title, figure.table.table).summary, title=figure.title)
        pdf.ln(2)
    pdf_definitions(pdf)
    return bytes(pdf.output())

