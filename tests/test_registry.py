"""The indicator registry: one label, one definition, one number – on every page and in every
export and the CLI."""

from __future__ import annotations

import io
import re
from collections import defaultdict

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.actors import Actor
from db.database import Database
from db.figures import export
from db.figures.registry import INDICATORS, Kind, label
from db.figures.series import FUNNEL_STAGES
from db.models import User
from db.vocabulary import CaseStatus

from .conftest import log_in
from .test_cli import run_db


def test_every_indicator_is_defined_once_with_its_own_label() -> None:
    labels = [i.label for i in INDICATORS]
    assert len(set(labels)) == len(labels)
    assert len({i.key for i in INDICATORS}) == len(INDICATORS)
    for indicator in INDICATORS:
        assert indicator.definition.endswith(".") and len(indicator.definition) > 30
        if indicator.kind is Kind.STOCK and indicator.statuses:
            # A stock named like a status counts exactly that status.
            if indicator.label in {s.label for s in CaseStatus}:
                assert [s.label for s in indicator.statuses] == [indicator.label]
    # The lead's funnel stages say "davon …": none reads like a stock of the same name.
    assert not set(FUNNEL_STAGES) & set(labels)


def _numbers(text: str) -> str:
    return text.replace(".", "")


def test_each_label_shows_one_number_everywhere(app: AppTest, db_url: str) -> None:
    """Fälle, Lagebild, Kreistag (tiles and tables), CLI, Excel and PDF of the demo world."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    log_in(app, "leitung")
    for m in app.metric:  # Lagebild: "figure / plan" – the figure is the part before the slash
        name = m.label.removesuffix(" / Plan")
        seen[name]["Lagebild"] = m.value.split(" / ")[0]
    app.switch_page("pages/cases.py").run()
    for part in app.caption[0].value.split(" · "):  # "11 In Begleitung · 19 Erstgespräche geplant …"
        value, name = part.split(" ", 1)
        seen[name]["Fälle"] = value
    app.switch_page("pages/council.py").run()
    for m in app.metric:
        seen[m.label]["Kreistag (Kachel)"] = str(m.value)
    for row, value in app.dataframe[0].value.values.tolist():  # "Teilnehmende heute"
        seen[label("participants") if row == "Summe" else row]["Kreistag (Tabelle)"] = value

    for line in run_db(db_url, "kpis").stdout.splitlines():
        name, value = re.split(r"\s{2,}", line.strip())
        seen[name]["CLI"] = value

    db = Database.from_url(db_url)
    with db.read() as session:
        council = Actor.of(session.scalars(select(User).where(User.username == "kreistag")).one())
    book = load_workbook(io.BytesIO(export.export_xlsx(db, council, None)))
    sheet = book["Teilnehmende heute"]
    for row in sheet.iter_rows(min_row=6, values_only=True):
        seen[label("participants") if row[0] == "Summe" else row[0]]["Excel"] = str(row[1])
    pdf = PdfReader(io.BytesIO(export.export_pdf(db, council, None)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    db.dispose()
    for name, sources in list(seen.items()):
        match = re.search(re.escape(name) + r" (\d[\d.]*)\b", text)
        if match and any(s.startswith("Kreistag") for s in sources):
            sources["PDF"] = match.group(1)

    for name, sources in seen.items():
        values = {_numbers(v) for v in sources.values()}
        assert len(values) == 1, (name, sources)
    everywhere = seen["In Begleitung"]
    assert set(everywhere) >= {"Fälle", "Kreistag (Tabelle)", "CLI", "Excel", "PDF"} and everywhere["CLI"] == "11"
    participants = seen[label("participants")]
    assert set(participants) >= {"Lagebild", "Kreistag (Kachel)", "Kreistag (Tabelle)", "CLI", "Excel", "PDF"}
