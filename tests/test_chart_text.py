"""Every chart in words and as a table (WCAG 1.1.1): the summary names the key values, the table
holds the numbers behind the drawing in German form, and a council chart says nothing the
published table hides."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from db.figures import alternatives, series
from db.figures.releases import releases
from db.figures.disclosure import SECONDARY_MARK, SMALL_MARK
from db.figures.series import Period

from .conftest import World


def test_intake_reads_the_last_week_against_plan_with_a_decimal_comma() -> None:
    weeks = [date(2026, 11, 16), date(2026, 11, 23)]
    frame = pd.DataFrame([
        {"week": weeks[0], "series": "Zuweisungen", "kind": "Ist", "value": 1},
        {"week": weeks[0], "series": "Zuweisungen", "kind": "Plan", "value": 2.3},
        {"week": weeks[1], "series": "Zuweisungen", "kind": "Ist", "value": 4},
        {"week": weeks[1], "series": "Zuweisungen", "kind": "Plan", "value": 2.5},
    ])
    text = alternatives.intake_text(frame)
    assert "In der Woche ab 23.11.2026: Zuweisungen 4 (Plan 2,5)" in text.summary
    assert text.table.columns.tolist() == ["Woche ab", "Zuweisungen (Ist)", "Zuweisungen (Plan)"]
    assert text.table.values.tolist() == [["16.11.2026", "1", "2,3"], ["23.11.2026", "4", "2,5"]]
    assert text.description.startswith("Zugang gegen Plan (je Woche). Liniendiagramm")


def test_capacity_says_who_is_over_capacity() -> None:
    frame = pd.DataFrame([
        {"position": "Stelle 1 – Bianca", "state": "besetzt", "accompanied": 25, "planned": 5,
         "outcome_missing": 1, "capacity": 20},
        {"position": "Stelle 2 – Bruno", "state": "besetzt", "accompanied": 1, "planned": 0,
         "outcome_missing": 0, "capacity": 20},
    ])
    text = alternatives.capacity_text(frame)
    assert "Stelle 1 – Bianca: 25 Teilnehmende bei Kapazität 20, Zulauf 6 (über der Kapazität)" in text.summary
    assert "Stelle 2 – Bruno: 1 Teilnehmende:r bei Kapazität 20;" not in text.summary  # last item, no ";"
    assert text.summary.endswith("Stelle 2 – Bruno: 1 Teilnehmende:r bei Kapazität 20.")
    assert text.table["Teilnehmende (Begleitung und Nachbetreuung)"].tolist() == [25, 1]


def test_empty_series_say_so_instead_of_failing() -> None:
    empty = pd.DataFrame(columns=["week", "kind", "count"])
    text = alternatives.contacts_text(empty)
    assert "0 Kontakte im Zeitraum: keine Werte im Zeitraum" in text.summary
    assert text.table.columns.tolist() == ["Woche ab"]
    assert "ohne Werte" in alternatives.intake_text(
        pd.DataFrame(columns=["week", "series", "kind", "value"])).summary


def test_every_lagebild_chart_has_a_summary_and_a_table_with_its_numbers(world: World) -> None:
    lead = world.actor("leitung")
    period = Period(start=world.today - timedelta(weeks=10), end=world.today)
    barriers = series.barriers(world.db, lead, period)
    text = alternatives.barriers_text(barriers)
    top = barriers.sort_values("total", ascending=False, kind="stable").iloc[0]
    assert f"Am häufigsten: {top['barrier']} ({top['total']} " in text.summary
    assert text.table["zusammen"].sum() == barriers["total"].sum()
    funnel = series.funnel(world.db, lead, period)
    assert alternatives.funnel_text(funnel).table["Fälle"].tolist() == funnel["count"].tolist()
    contacts = series.contacts(world.db, lead, period)
    assert f"{contacts['count'].sum()} Kontakte im Zeitraum" in alternatives.contacts_text(contacts).summary


def test_a_council_table_in_words_shows_marks_never_the_hidden_numbers(released_world: World) -> None:
    marked = 0
    for stored in releases(released_world.db, released_world.actor("kreistag")):
        for table in (t for t in stored.briefing.tables if t.chart):
            text = alternatives.council_text(table.title, table.table)
            shown = table.table.shown()
            for row in text.table.itertuples():
                column = getattr(row, "Reihe", shown.columns[0])
                assert row.Wert == shown.loc[row.Kategorie, column]  # exactly the printed cell
                marked += row.Wert in (SMALL_MARK, SECONDARY_MARK)
            assert text.summary.startswith(f"Balkendiagramm „{table.title}“.")
    assert marked  # the releases have hidden cells, so the test looks at marks
