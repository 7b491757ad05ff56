"""Release files: PDF, PNG, CSV, Excel – the same printed figures as the page, fit for a public
body (tagged PDF, embedded fonts, page numbers; numbers as numbers in Excel), downloads audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from db.errors import PermissionDenied
from db.figures import export
from db.figures.disclosure import SECONDARY_MARK, SMALL_MARK
from db.figures.releases import Release, release_file, releases
from db.reporting.cells import safe_cell, safe_frame

from .conftest import World
from .helpers import audit_count


def newest(world: World) -> Release:
    return releases(world.db, world.actor("kreistag"))[0]


def download(world: World, name: str, username: str = "kreistag") -> bytes:
    return release_file(world.db, world.actor(username), newest(world).id, name)


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_pdf_is_tagged_has_embedded_fonts_and_page_numbers(released_world: World) -> None:
    world = released_world
    stored = newest(world)
    reader, text = pdf_text(download(world, "pdf"))
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
        assert "Zeitraum: " in page_text and f"Freigabe Nr. {stored.id}" in page_text
    # The title is one word each, not "J obcenter" (base fonts without metrics split words).
    assert "Jobcenter Spree-Neiße" in text and "Lagebericht" in text
    assert " ".join(stored.briefing.summary.split()) in text
    assert "Führerschein fehlt" in text and "Definitionen" in text
    assert audit_count(world.db, action="export", username="kreistag") == 1
    assert reader.metadata.creation_date.date() == stored.released_at.date()


def test_pdf_charts_have_text_alternatives(released_world: World) -> None:
    world = released_world
    stored = next(r for r in releases(world.db, world.actor("kreistag")) if export.briefing_charts(r.briefing))
    chart = export.briefing_charts(stored.briefing)[0]
    reader, _ = pdf_text(release_file(world.db, world.actor("kreistag"), stored.id, "pdf"))
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    document = tree["/K"][0].get_object() if isinstance(tree["/K"], list) else tree["/K"].get_object()
    figures = [k.get_object() for k in document["/K"] if k.get_object().get("/S") == "/Figure"
               and "/Alt" in k.get_object()]
    alts = [f["/Alt"] for f in figures]
    assert any(a.startswith(f"Balkendiagramm „{chart.title}“") for a in alts), alts
    png = release_file(world.db, world.actor("leitung"), stored.id, f"png:{chart.slug}")
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_excel_numbers_are_numbers_with_title_release_and_notes(released_world: World) -> None:
    world = released_world
    stored = newest(world)
    briefing = stored.briefing
    book = load_workbook(io.BytesIO(download(world, "xlsx")))
    assert book.sheetnames[-1] == "Hinweise"
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert [t.title for t in briefing.tables] == [book[n]["A1"].value for n in book.sheetnames[:-1]]
    stock = book[book.sheetnames[0]]
    assert stock["A2"].value.startswith("Zeitraum: ") and f"Freigabe Nr. {stored.id}" in stock["A2"].value
    printed = briefing.table("stichtag").table.cell("In Begleitung", "Personen")
    assert (stock["A6"].value, str(stock["B6"].value)) == ("In Begleitung", printed)
    # Made once, when released (every download hands out these bytes).
    assert abs(book.properties.modified - stored.released_at.replace(tzinfo=None)) < timedelta(minutes=1)
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


def test_csv_has_every_table_with_numbers_and_marks_apart(released_world: World) -> None:
    text = download(released_world, "csv").decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    assert set(frame["Tabelle"]) == {t.title for t in newest(released_world).briefing.tables}
    hidden = frame[frame["Kennzeichen"] != ""]
    assert (hidden["Wert"] == "").all() and not hidden.empty
    assert not frame["Wert"].isin(["1", "2"]).any()


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_like_cells_are_neutralised(value: str) -> None:
    frame = safe_frame(pd.DataFrame({value: [value]}, index=[value]))
    assert frame.iloc[0, 0] == "'" + value
    assert frame.columns[0] == "'" + value and frame.index[0] == "'" + value
    assert safe_cell("Guben") == "Guben" and safe_cell(5) == 5


@pytest.mark.parametrize("username", ["begleiter1", "fallmanager1", "admin"])
def test_release_files_are_for_council_and_lead(released_world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        download(released_world, "csv", username)
    assert audit_count(released_world.db, action="export", username=username) == 0
