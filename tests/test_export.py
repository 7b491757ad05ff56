"""Briefing exports: PDF, PNG, CSV, Excel – correct figures, suppression, formula safety, audit."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from pypdf import PdfReader

from db import export
from db.errors import PermissionDenied
from db.indicators import Period

from .conftest import World
from .helpers import audit_count


def test_pdf_opens_and_carries_the_tile_values(world: World) -> None:
    pdf = export.export_pdf(world.db, world.actor("kreistag"), Period())
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Lagebericht" in text and "In Begleitung" in text
    assert "11 Personen begleitet" in text and "19 Erstgespräche" in text
    assert "Führerschein fehlt" in text
    assert audit_count(world.db, action="export", username="kreistag") == 1


def test_png_is_a_picture(world: World) -> None:
    png = export.export_png(world.db, world.actor("leitung"), Period(), "hemmnisse")
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_excel_round_trips_with_pandas(world: World) -> None:
    data = export.export_xlsx(world.db, world.actor("kreistag"), Period())
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, index_col=0)
    barriers = next(frame for name, frame in sheets.items() if "hemmnisse" in name)
    assert str(barriers.loc["Führerschein fehlt", "offen"]) == "7"
    assert barriers.loc["Gesundheit", "offen"] == "< 3"


def test_csv_has_every_table(world: World) -> None:
    text = export.export_csv(world.db, world.actor("kreistag"), Period()).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str)
    assert set(frame["Tabelle"]) >= {"Vermittlungshemmnisse", "Verlauf der im Zeitraum zugewiesenen Fälle"}


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_like_cells_are_neutralised(value: str) -> None:
    frame = export.safe_frame(pd.DataFrame({value: [value]}, index=[value]))
    assert frame.iloc[0, 0] == "'" + value
    assert frame.columns[0] == "'" + value and frame.index[0] == "'" + value
    assert export.safe_cell("Guben") == "Guben" and export.safe_cell(5) == 5


@pytest.mark.parametrize("username", ["begleiter1", "fallmanager1", "admin"])
def test_exports_are_for_council_and_lead(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        export.export_csv(world.db, world.actor(username), Period())
