"""Exports of the council briefing: PDF, a PNG per chart, the tables as CSV and Excel.

All of them are made from one `Briefing` (db.figures.council), so they carry the same
protected figures as the page. Every export is audited. Text cells that a spreadsheet would run
as a formula are neutralised.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib.resources import files

import altair as alt
import pandas as pd
import vl_convert as vlc
from fpdf import FPDF
from fpdf.enums import TableCellFillMode
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..actors import Actor
from ..audit import audit
from ..database import Database
from . import charts
from .alternatives import council_text
from .council import Briefing, CouncilTable, council_briefing
from .disclosure import MARKS_EXPLAINED
from .registry import INDICATORS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TITLE = "Integrationsbegleitung Jobcenter Spree-Neiße – Lagebericht für den Kreistag"
PRIMARY = (31, 95, 139)  # the app's primary colour (#1f5f8b, .streamlit/config.toml)
TEXT = (49, 51, 63)  # Streamlit's text colour (#31333f)
PUBLISHED_ONLY = ("Nur Summen, keine Personendaten. Zeiträume sind abgeschlossene Kalenderzeiträume; "
                  "Bestände zeigen den Stand des Erstellungstags.")


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
    title: str
    chart: alt.TopLevelMixin
    table: CouncilTable


UNITS = {"abgaenge": "Personen", "hemmnisse": "Hemmnisse", "kontakte": "Kontakte",
         "sprechstunden": "Besuche"}


def briefing_charts(briefing: Briefing) -> list[NamedChart]:
    """The briefing's charts, each drawn from its protected table only."""
    return [NamedChart(t.slug, t.title, charts.council_chart(t.title, t.table, UNITS.get(t.slug, "Anzahl")), t)
            for t in briefing.tables if t.chart]


def chart_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """Rendered on the server, without a browser and without any outside request."""
    return vlc.vegalite_to_png(charts.localised(chart.properties(width=charts.WIDTH)).to_json(), scale=scale)


def _briefing(db: Database, actor: Actor, period_key: str | None) -> Briefing:
    briefing = council_briefing(db, actor, period_key)
    if briefing is None:
        raise ValueError("no ended period yet")
    return briefing


def _audited(db: Database, actor: Actor, what: str, briefing: Briefing) -> None:
    with db.write() as session:
        audit(session, actor, "export", "briefing", None,
              {"format": what, "period": briefing.period.key})


def export_png(db: Database, actor: Actor, period_key: str | None, slug: str) -> bytes:
    briefing = _briefing(db, actor, period_key)
    chart = next(c.chart for c in briefing_charts(briefing) if c.slug == slug)
    _audited(db, actor, f"png:{slug}", briefing)
    return chart_png(chart)


def _heading(briefing: Briefing) -> list[str]:
    return [f"Stand: {briefing.as_of:%d.%m.%Y}",
            f"Zeitraum: {briefing.period.label} ({briefing.period.span})"]


# --- CSV ---------------------------------------------------------------------------------------

def export_csv(db: Database, actor: Actor, period_key: str | None) -> bytes:
    """All tables in one long CSV for German Excel (;): a published number in "Wert", a hidden
    cell's mark in "Kennzeichen"."""
    briefing = _briefing(db, actor, period_key)
    rows = []
    for t in briefing.tables:
        published = t.table.published()
        for row in published.index:
            for col in published.columns:
                rows.append({
                    "Tabelle": t.title, "Zeile": str(row), "Spalte": str(col),
                    "Wert": published.loc[row, col], "Kennzeichen": t.table.mark(row, col) or "",
                    "Zeitraum": "Stand heute" if t.slug == "heute" else briefing.period.label,
                    "Stand": f"{briefing.as_of:%d.%m.%Y}",
                })
    _audited(db, actor, "csv", briefing)
    frame = safe_frame(pd.DataFrame(rows, columns=["Tabelle", "Zeile", "Spalte", "Wert", "Kennzeichen",
                                                   "Zeitraum", "Stand"]))
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


def export_xlsx(db: Database, actor: Actor, period_key: str | None) -> bytes:
    """One sheet per table with title, Stand and Zeitraum; numbers as numbers, hidden cells as
    their mark; a "Hinweise" sheet with the marks and every indicator's definition."""
    briefing = _briefing(db, actor, period_key)
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="1F5F8B")
    for t in briefing.tables:
        sheet = book.create_sheet(sheet_name(t.title, taken))
        sheet["A1"] = t.title
        sheet["A1"].font = Font(bold=True, size=14)
        heading = _heading(briefing)
        sheet["A2"] = f"Stand: {briefing.as_of:%d.%m.%Y}" if t.slug == "heute" else " · ".join(heading)
        sheet["A3"] = safe_cell(t.explanation)
        sheet["A3"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=1 + len(t.table.values.columns))
        sheet.row_dimensions[3].height = 15 * max(2, len(t.explanation) // 90 + 1)
        header = [t.row_title, *map(str, t.table.values.columns)]
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
        sheet.freeze_panes = "B6"
        sheet.column_dimensions["A"].width = max(18, max(len(str(i)) for i in [t.row_title, *published.index]) + 2)
        for c, col in enumerate(published.columns, start=2):
            sheet.column_dimensions[get_column_letter(c)].width = max(12, len(str(col)) + 4)
    _notes_sheet(book.create_sheet(sheet_name("Hinweise", taken)), briefing)
    buffer = io.BytesIO()
    book.save(buffer)
    _audited(db, actor, "xlsx", briefing)
    return buffer.getvalue()


def _notes_sheet(sheet, briefing: Briefing) -> None:  # type: ignore[no-untyped-def]
    rows: list[tuple[str, str]] = [
        ("Lagebericht", TITLE), *[(h.split(": ", 1)[0], h.split(": ", 1)[1]) for h in _heading(briefing)],
        ("Zeichen", MARKS_EXPLAINED), ("Hinweis", PUBLISHED_ONLY), ("", ""),
        ("Tabelle", "Was gezählt wird"),
        *[(t.title, t.explanation) for t in briefing.tables],
        ("", ""), ("Kennzahl", "Definition"),
        *[(i.label, f"{i.definition} ({i.kind.value}; Einheit: {i.unit})") for i in INDICATORS],
    ]
    for r, (key, text) in enumerate(rows, start=1):
        sheet.cell(row=r, column=1, value=safe_cell(key)).font = Font(bold=True)
        sheet.cell(row=r, column=2, value=safe_cell(text)).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 100


# --- PDF ---------------------------------------------------------------------------------------

FONT_DIR = files("font_source_sans_pro") / "files"


class ReportPdf(FPDF):
    """A4 in Source Sans (embedded, tagged German), with paragraphs and section headings."""

    def __init__(self, title: str, subject: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font("Source Sans", "", str(FONT_DIR / "SourceSansPro-Regular.ttf"))
        self.add_font("Source Sans", "B", str(FONT_DIR / "SourceSansPro-Bold.ttf"))
        self.add_font("Source Sans", "I", str(FONT_DIR / "SourceSansPro-It.ttf"))
        self.set_lang("de-DE")
        self.set_title(title)
        self.set_author("Jobcenter Spree-Neiße")
        self.set_subject(subject)
        self.set_creator("Begleiter-Cockpit")
        self.set_display_mode(zoom="fullwidth")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_text_color(*TEXT)

    @property
    def usable(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def para(self, text: str, size: float = 10, style: str = "", height: float = 5) -> None:
        self.set_font("Source Sans", style, size)
        self.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str, level: int, rows_after: int = 0) -> None:
        """A section title (also a bookmark); never alone at the bottom of a page."""
        needed = 10 + rows_after * 7
        if self.get_y() + needed > self.h - self.b_margin:
            self.add_page()
        self.start_section(text, level=level)
        self.set_text_color(*PRIMARY)
        self.para(text, size=14 if level == 0 else 12, style="B", height=7)
        self.set_text_color(*TEXT)

    def table_of(self, header: list[str], rows: list[list[str]], widths: list[float],
                 size: float = 9) -> None:
        self.set_font("Source Sans", "", size)
        with self.table(
            col_widths=widths, width=sum(widths), align="LEFT",
            text_align=["LEFT", *["RIGHT"] * (len(header) - 1)],
            headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=PRIMARY),
            cell_fill_color=(240, 242, 246), cell_fill_mode=TableCellFillMode.ROWS, line_height=5.5,
            repeat_headings=1, first_row_as_headings=True,
        ) as table:
            table.row(header)
            for row in rows:
                table.row(row)
        self.ln(3)


class _BriefingPdf(ReportPdf):
    """The briefing: Stand and Zeitraum in every page's header and "Seite x von y" in its footer."""

    def __init__(self, briefing: Briefing) -> None:
        super().__init__(TITLE, f"Lagebericht {briefing.period.label}")
        self.briefing = briefing

    def header(self) -> None:
        self.set_font("Source Sans", "", 8)
        self.cell(0, 5, " · ".join(_heading(self.briefing)), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Source Sans", "", 8)
        self.cell(0, 5, f"Seite {self.page_no()} von {{nb}}", align="R")


def export_pdf(db: Database, actor: Actor, period_key: str | None) -> bytes:
    """The council briefing as a PDF: tiles, summary, charts with text alternatives, tables,
    definitions."""
    briefing = _briefing(db, actor, period_key)
    figures = briefing_charts(briefing)
    pictures = [(f, chart_png(f.chart)) for f in figures]

    pdf = _BriefingPdf(briefing)
    pdf.add_page()
    pdf.heading(TITLE, level=0)
    pdf.para(briefing.summary)
    pdf.ln(2)
    usable = pdf.usable
    for caption, tiles in (("Stand heute", briefing.stock_tiles),
                           (f"Zeitraum: {briefing.period.label}", briefing.period_tiles)):
        pdf.heading(caption, level=1, rows_after=2)
        pdf.table_of(["Kennzahl", "Wert"], [[t.label, t.value] for t in tiles], [usable * 0.7, usable * 0.3])
    for table in briefing.tables:
        pdf.heading(table.title, level=1, rows_after=3)
        pdf.para(table.explanation, size=9, height=4.5)
        pdf.ln(1)
        shown = table.table.shown()
        columns = [table.row_title, *map(str, shown.columns)]
        first = usable * 0.45
        widths = [first, *[(usable - first) / len(shown.columns)] * len(shown.columns)]
        pdf.table_of(columns, [[str(i), *shown.loc[i].tolist()] for i in shown.index], widths)
    pdf.para(MARKS_EXPLAINED, size=8, style="I", height=4)
    for figure, picture in pictures:
        pdf.heading(f"Grafik: {figure.title}", level=1, rows_after=12)
        pdf.image(io.BytesIO(picture), w=usable, alt_text=council_text(figure.title, figure.table.table).summary, title=figure.title)
        pdf.ln(2)
    pdf.add_page()
    pdf.heading("Definitionen", level=1)
    for indicator in INDICATORS:
        pdf.para(indicator.label, size=9, style="B", height=4.5)
        pdf.para(f"{indicator.definition} ({indicator.kind.value}; Einheit: {indicator.unit})",
                 size=9, height=4.5)
        pdf.ln(1)
    pdf.para(MARKS_EXPLAINED + " " + PUBLISHED_ONLY, size=8, style="I", height=4)
    _audited(db, actor, "pdf", briefing)
    return bytes(pdf.output())

