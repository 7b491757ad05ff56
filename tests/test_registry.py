"""The indicator registry: one label, one definition, one number – on every page and in every
export and the CLI."""

from __future__ import annotations

import io
import re
from collections import defaultdict

from openpyxl import load_workbook
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from db.figures.council import briefing_of, draft
from db.figures.flows import programme_start
from db.figures.kpis import figures_to_date
from db.figures.periods import ReportingPeriod
from db.reporting.registry import BY_KEY, INDICATORS, PERSON_INDICATORS, Kind, label
from db.results.report import funder_report
from db.figures.releases import release_file, releases
from db.figures.series import FUNNEL_STAGES
from db.vocabulary import CaseStatus

from .conftest import log_in
from .test_cli import run_db


def test_every_indicator_is_defined_once_with_its_own_label() -> None:
    everything = (*INDICATORS, *PERSON_INDICATORS)
    labels = [i.label for i in everything]
    assert len(set(labels)) == len(labels)
    assert len({i.key for i in everything}) == len(everything)
    for indicator in everything:
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
    """Today's figures: Fälle, Lagebild and CLI of the demo world."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    log_in(app, "leitung")
    for m in app.metric:  # Lagebild: "figure / plan" – the figure is the part before the slash
        name = m.label.removesuffix(" / Plan")
        seen[name]["Lagebild"] = m.value.split(" / ")[0]
    app.switch_page("pages/cases.py").run()
    # The line of figures ("11 In Begleitung · 19 Erstgespräche geplant …"); for a lead the
    # "Stand …" of the shared count stands above it.
    line = next(c.value for c in app.caption if c.value[:1].isdigit())
    for part in line.split(" · "):
        value, name = part.split(" ", 1)
        seen[name]["Fälle"] = value
    for line in run_db(db_url, "kpis").stdout.splitlines():
        name, value = re.split(r"\s{2,}", line.strip())
        seen[name]["CLI"] = value
    for name, sources in seen.items():
        values = {_numbers(v) for v in sources.values()}
        assert len(values) == 1, (name, sources)
    assert seen["In Begleitung"] == {"Fälle": "11", "CLI": "11"}
    assert set(seen[label("participants")]) == {"Lagebild", "CLI"}


def test_a_release_shows_one_number_per_label_in_tiles_tables_excel_and_pdf(released_world) -> None:  # type: ignore[no-untyped-def]
    """A council release: the Stichtag's stocks carry the date in their label (they are not
    today's figures), and tiles, tables, Excel and PDF agree."""
    council = released_world.actor("kreistag")
    for stored in releases(released_world.db, council):
        stichtag = f"{stored.period.end:%d.%m.%Y}"
        seen: dict[str, dict[str, str]] = defaultdict(dict)
        for tile in stored.briefing.stock_tiles:
            assert tile.label.endswith(f" am {stichtag}")
            seen[tile.label.removesuffix(f" am {stichtag}")]["Kachel"] = tile.value
        for tile in stored.briefing.period_tiles:
            if tile.label != label("integration_rate"):  # a share in words, checked in test_council
                seen[tile.label]["Kachel"] = tile.value
        table = stored.briefing.table("stichtag").table
        for row in table.rows:
            seen[label("participants") if row == "Summe" else row]["Tabelle"] = table.cell(row, "Personen")
        for row in stored.briefing.table("zugaenge").table.rows:
            seen[row]["Tabelle"] = stored.briefing.table("zugaenge").table.cell(row, "Anzahl")
        book = load_workbook(io.BytesIO(release_file(released_world.db, council, stored.id, "xlsx")))
        for row in book[book.sheetnames[0]].iter_rows(min_row=6, values_only=True):
            seen[label("participants") if row[0] == "Summe" else row[0]]["Excel"] = str(row[1])
        pdf = PdfReader(io.BytesIO(release_file(released_world.db, council, stored.id, "pdf")))
        text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
        for name, sources in seen.items():
            match = re.search(re.escape(name) + r"(?: am [\d.]+)? (\d[\d.]*|< 3|•)", text)
            assert match, name
            sources["PDF"] = match.group(1)
            assert len(set(sources.values())) == 1, (stored.title, name, sources)


def _row_name(name: str) -> str:
    return name.removesuffix(" (%)")


def test_persons_and_cases_never_share_a_label(world) -> None:  # type: ignore[no-untyped-def]
    """The funder's report counts persons (each once, however often referred); the Lagebild,
    `kpis` and the council count cases. Every row of the report against every label the
    case-counting surfaces print: no word names both, and each registry label in the report is
    one of the registry's person figures."""
    lead = world.actor("leitung")
    report = funder_report(world.db, lead, programme_start(world.db), world.today)
    person_rows = {_row_name(str(name)) for _, block in report.indicators for name in block.index}
    person_rows |= {title for title, _ in report.indicators}
    case_labels = {label(key) for key in figures_to_date(world.db, lead)}  # kpis, CLI, Lagebild
    quarter = ReportingPeriod.containing(world.today)
    briefing = briefing_of(draft(world.db, lead, quarter, world.today))
    for tile in (*briefing.stock_tiles, *briefing.period_tiles):
        case_labels.add(tile.label)
    by_label = {i.label: i for i in BY_KEY.values()}
    for table in briefing.tables:  # what a table counts: its title and rows that are figures
        case_labels |= {table.title, *(r for r in table.table.rows if r in by_label)}
    shared = person_rows & case_labels
    assert not shared, shared
    for row in person_rows & set(by_label):
        indicator = by_label[row]
        assert indicator in PERSON_INDICATORS or indicator.unit == "Personen", row
    assert {i.label for i in PERSON_INDICATORS} & person_rows, "the report shows no person figure"
