"""The PDF every report shares: A4, Source Sans embedded, tagged German, the app's colours."""

from __future__ import annotations

from importlib.resources import files

from fpdf import FPDF
from fpdf.enums import TableCellFillMode
from fpdf.fonts import FontFace

PRIMARY = (31, 95, 139)  # the app's primary colour (#1f5f8b, .streamlit/config.toml)
TEXT = (49, 51, 63)  # Streamlit's text colour (#31333f)
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
