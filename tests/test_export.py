"""Briefing exports: PDF, PNG, CSV, Excel – the same protected figures as the page, fit for a
public body (tagged PDF, embedded fonts, page numbers; numbers as numbers in Excel), audited."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from db.errors import PermissionDenied
from db.figures import export
from db.figures.council import council_briefing
from db.figures.disclosure import SECONDARY_MARK, SMALL_MARK

from .conftest import World
from .helpers import audit_count


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_pdf_is_tagged_has_embedded_fonts_and_page_numbers(world: World) -> None:
    reader, text = pdf_text(export.export_pdf(world.db, world.actor("kreistag"), None))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "de-DE"
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font \
                else font.get("/FontDescriptor")
            fonts[font["/BaseFont"]] = descriptor is not None and "/FontFile2" in descriptor
    assert fonts and all(fonts.values()), fonts  # every font embedded
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert f"Seite {number} von {pages}" in page_text
        assert "Stand: " in page_text and "Zeitraum: " in page_text
    # The title is one word each, not "J obcenter" (base fonts without metrics split words).
    assert "Jobcenter Spree-Neiße" in text and "Lagebericht" in text
    assert "Begleitet werden 11 Personen" in text and "19 Erstgespräche sind vereinbart" in text
    assert "Führerschein fehlt" in text and "Definitionen" in text
    assert audit_count(world.db, action="export", username="kreistag") == 1


def test_pdf_charts_have_text_alternatives(world: World) -> None:
    reader, _ = pdf_text(export.export_pdf(world.db, world.actor("kreistag"), None))
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    document = tree["/K"][0].get_object() if isinstance(tree["/K"], list) else tree["/K"].get_object()
    figures = [k.get_object() for k in document["/K"] if k.get_object().get("/S") == "/Figure"
               and "/Alt" in k.get_object()]
    alts = [f["/Alt"] for f in figures]
    assert any(a.startswith("Balkendiagramm „Vermittlungshemmnisse“") for a in alts), alts


def test_png_is_a_picture(world: World) -> None:
    png = export.export_png(world.db, world.actor("leitung"), None, "hemmnisse")
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_excel_numbers_are_numbers_with_title_stand_and_notes(world: World) -> None:
    council = world.actor("kreistag")
    briefing = council_briefing(world.db, council)
    book = load_workbook(io.BytesIO(export.export_xlsx(world.db, council, None)))
    assert book.sheetnames[-1] == "Hinweise"
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert [t.title for t in briefing.tables] == [book[n]["A1"].value for n in book.sheetnames[:-1]]
    today = book["Teilnehmende heute"]
    assert today["A2"].value.startswith("Stand: ")
    assert (today["A6"].value, today["B6"].value) == ("In Begleitung", 11)
    barriers = book["Vermittlungshemmnisse"]
    assert "Zeitraum: " in barriers["A2"].value and barriers.freeze_panes == "B6"
    cells = [c for row in barriers.iter_rows(min_row=6, min_col=2) for c in row]
    assert all(isinstance(c.value, int) or c.value in (SMALL_MARK, SECONDARY_MARK) for c in cells)
    assert any(isinstance(c.value, int) for c in cells)
    notes = " ".join(str(c.value) for row in book["Hinweise"].iter_rows() for c in row if c.value)
    assert SMALL_MARK in notes and "Anteil der Abgänge in Arbeit oder Ausbildung" in notes


def test_sheet_names_are_cut_at_a_word() -> None:
    taken: set[str] = set()
    name = export.sheet_name("Zuweisungen, Erstgespräche und Arbeitsaufnahmen", taken)
    assert name == "Zuweisungen, Erstgespräche und"
    assert export.sheet_name("Zuweisungen, Erstgespräche und Arbeitsaufnahmen", taken) != name
    assert export.sheet_name("a/b:c", set()) == "a b c"


def test_csv_has_every_table_with_numbers_and_marks_apart(world: World) -> None:
    text = export.export_csv(world.db, world.actor("kreistag"), None).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    assert set(frame["Tabelle"]) >= {"Vermittlungshemmnisse", "Abgänge nach Verbleib", "Teilnehmende heute"}
    hidden = frame[frame["Kennzeichen"] != ""]
    assert (hidden["Wert"] == "").all() and not hidden.empty
    assert not frame["Wert"].isin(["1", "2"]).any()


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_like_cells_are_neutralised(value: str) -> None:
    frame = export.safe_frame(pd.DataFrame({value: [value]}, index=[value]))
    assert frame.iloc[0, 0] == "'" + value
    assert frame.columns[0] == "'" + value and frame.index[0] == "'" + value
    assert export.safe_cell("Guben") == "Guben" and export.safe_cell(5) == 5


@pytest.mark.parametrize("username", ["begleiter1", "fallmanager1", "admin"])
def test_exports_are_for_council_and_lead(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        export.export_csv(world.db, world.actor(username), None)
