"""Council releases (db.figures.releases): the council sees only released quarters, released
numbers never change, corrections are marked, every file is the same bytes on every download
and shows exactly the printed cells. The attacker lives in test_council_attack.py."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, text

from db.casework.activities import record_activity
from db.errors import PermissionDenied, ValidationError
from db.figures import briefings, export, flows, releases
from db.figures.charts import chart_data
from db.figures.disclosure import MARKS, TOTAL, is_small
from db.figures.periods import ReportingPeriod, final_quarters
from db.store.models import Case, CouncilRelease, CouncilReleaseFile, StatusChange
from db.vocabulary import ActivityKind, Barrier, CaseStatus

from .conftest import World
from .helpers import audit_count


def lead_and_council(world: World):  # type: ignore[no-untyped-def]
    return world.actor("leitung"), world.actor("kreistag")


# --- the calendar ------------------------------------------------------------------------------

def test_a_quarter_is_final_28_days_after_its_last_day() -> None:
    start = date(2025, 10, 16)
    assert final_quarters(start, date(2026, 1, 28)) == []
    assert [q.key for q in final_quarters(start, date(2026, 1, 29))] == ["2025-Q4"]
    assert [q.label for q in final_quarters(start, date(2026, 11, 29))] == [
        "4. Quartal 2025", "1. Quartal 2026", "2. Quartal 2026", "3. Quartal 2026"]
    assert final_quarters(None, date(2026, 11, 29)) == []
    q3 = ReportingPeriod.from_key("2026-Q3")
    assert (q3.start, q3.end, q3.final_from) == (date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 29))
    for bad in ("2026-Q5", "2026-10", "Q3"):
        with pytest.raises(ValueError):
            ReportingPeriod.from_key(bad)


def test_the_demo_has_no_final_quarter_and_nothing_to_release(world: World) -> None:
    lead, council = lead_and_council(world)
    # The programme began a few weeks ago: at most the previous quarter is final – when the demo
    # reaches into it and its 28 days for exit results are over (on 29.04. the 1st quarter).
    start = flows.programme_start(world.db)
    previous = ReportingPeriod.containing(ReportingPeriod.containing(world.today).start - timedelta(days=1))
    assert start is not None and start > previous.start
    expected = [previous] if start <= previous.end and previous.final_from <= world.today else []
    assert releases.final_periods(world.db) == expected
    assert releases.releases(world.db, council) == []
    running = ReportingPeriod.containing(world.today)
    with pytest.raises(ValidationError, match="noch nicht abgeschlossen"):
        releases.prepare(world.db, lead, running.key)


# --- who sees what -----------------------------------------------------------------------------

def test_the_council_sees_releases_and_nothing_else(released_world: World) -> None:
    council = released_world.actor("kreistag")
    stored = releases.releases(released_world.db, council)
    assert stored and all(r.period in releases.final_periods(released_world.db) for r in stored)
    period = releases.final_periods(released_world.db)[-1]
    with pytest.raises(PermissionDenied):
        releases.prepare(released_world.db, council, period.key)
    with pytest.raises(PermissionDenied):
        releases.release(released_world.db, council, period.key, "0" * 64)
    for username in ("begleiter1", "fallmanager1", "admin", "datenschutz"):
        with pytest.raises(PermissionDenied):
            releases.releases(released_world.db, released_world.actor(username))
        with pytest.raises(PermissionDenied):
            releases.release_file(released_world.db, released_world.actor(username), stored[0].id, "csv")


# --- a release as stored ----------------------------------------------------------------------

def test_a_release_stores_the_printed_cells_with_its_hash_and_files(released_world: World) -> None:
    db = released_world.db
    lead, council = lead_and_council(released_world)
    with db.read() as session:
        rows = session.scalars(select(CouncilRelease)).all()
        assert rows
        for row in rows:
            canonical = json.dumps(row.content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            assert hashlib.sha256(canonical.encode()).hexdigest() == row.content_hash
            for table in row.content["tables"]:
                for line in table["table"]["cells"]:
                    # Nothing but printed text: a number of 0 or ≥ 3, or a mark.
                    assert all(c in MARKS or not is_small(int(c)) for c in line), line
        names = set(session.scalars(select(CouncilReleaseFile.name).where(CouncilReleaseFile.release_id == rows[0].id)))
    assert {"pdf", "xlsx", "csv"} <= names
    first = releases.release_file(db, council, rows[0].id, "pdf")
    assert first == releases.release_file(db, lead, rows[0].id, "pdf")  # byte-identical
    assert first.startswith(b"%PDF")
    assert audit_count(db, action="export", entity="council_release") == 2
    with pytest.raises(Exception, match="gibt es"):
        releases.release_file(db, council, rows[0].id, "docx")


def test_released_numbers_never_change(released_world: World) -> None:
    db = released_world.db
    council = released_world.actor("kreistag")
    before = [(r.id, r.content_hash, r.briefing.to_json()) for r in releases.releases(db, council)]
    late_contacts(released_world, 6)  # late entries dated in released quarters
    assert [(r.id, r.content_hash, r.briefing.to_json()) for r in releases.releases(db, council)] == before
    # Not even SQL through the app's connection can change or remove a release or its files.
    for statement in ("UPDATE council_releases SET content_hash = 'x'", "DELETE FROM council_releases",
                      "UPDATE council_release_files SET data = data", "DELETE FROM council_release_files"):
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert [(r.id, r.content_hash) for r in releases.releases(db, council)] == [b[:2] for b in before]


def late_contacts(world: World, n: int) -> None:
    """Contacts entered today but dated back into released quarters."""
    companion = world.actor("begleiter1")
    last = releases.final_periods(world.db)[-2].end
    with world.db.read() as session:
        started = session.execute(select(Case.id, Case.start_date).where(
            Case.start_date.is_not(None), Case.start_date <= last).order_by(Case.id)).all()
    for case_id, start in started[:n]:
        record_activity(world.db, companion, case_id, ActivityKind.DEBT_COUNSELLING, occurred_on=start)


def test_a_correction_is_a_new_release_and_the_earlier_one_says_so(released_world: World) -> None:
    db = released_world.db
    lead, council = lead_and_council(released_world)
    late_contacts(released_world, 6)
    changed = [p for p in releases.final_periods(db)[:-1]
               if not releases.prepare(db, lead, p.key).unchanged]
    assert changed, "the late contacts should move a released quarter"
    period = changed[0]
    candidate = releases.prepare(db, lead, period.key)
    earlier = candidate.current
    assert earlier is not None
    with pytest.raises(ValidationError, match="seit der Vorschau"):
        releases.release(db, lead, period.key, "0" * 64)
    correction = releases.release(db, lead, period.key, candidate.content_hash)
    assert correction.corrects_id == earlier.id and correction.title.endswith("(vorläufig, berichtigt)")
    stored = {r.id: r for r in releases.releases(db, council)}
    assert stored[earlier.id].corrected_by == correction.id
    assert stored[earlier.id].content_hash == earlier.content_hash  # the earlier one as it was
    csv = releases.release_file(db, council, correction.id, "csv").decode("utf-8-sig")
    assert "Freigabe" in csv.splitlines()[0]
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(releases.release_file(db, council, correction.id, "pdf"))).pages)
    assert f"ersetzt Freigabe Nr. {earlier.id}" in " ".join(pdf.split())
    # Nothing changed since: a second correction is refused.
    again = releases.prepare(db, lead, period.key)
    assert again.unchanged
    with pytest.raises(ValidationError, match="schon freigegeben"):
        releases.release(db, lead, period.key, again.content_hash)


# --- what a release says ----------------------------------------------------------------------

def test_stocks_are_those_of_the_quarters_last_day(released_world: World) -> None:
    """An independent recount from the status history: each case's newest status change on or
    before the Stichtag (undone changes and their reversals do not count)."""
    db = released_world.db
    _, council = lead_and_council(released_world)
    for stored in releases.releases(db, council):
        day = stored.period.end
        with db.read() as session:
            history = session.execute(select(StatusChange.case_id, StatusChange.to_status, StatusChange.changed_on,
                                             StatusChange.id)
                                      .where(StatusChange.undone_on.is_(None), StatusChange.reverses_id.is_(None),
                                             StatusChange.changed_on <= day)).all()
        newest: dict[int, tuple] = {}
        for case_id, status, on, change_id in history:
            if case_id not in newest or (on, change_id) > newest[case_id][:2]:
                newest[case_id] = (on, change_id, status)
        counts = pd.Series([s for *_, s in newest.values()]).value_counts()
        expected = {"In Begleitung": counts.get(CaseStatus.ACTIVE, 0),
                    "In Arbeit – Nachbetreuung": counts.get(CaseStatus.EMPLOYED, 0)}
        expected[TOTAL] = sum(expected.values())
        table = stored.briefing.table("stichtag").table
        for row, value in expected.items():
            printed = table.cell(row, "Personen")
            assert printed in MARKS or int(printed) == value, (stored.title, row, printed, value)
        # Planned on the day: an appointment before the day without an outcome no longer counts.
        with db.read() as session:
            appointment = dict(session.execute(select(Case.id, Case.first_interview_at)).all())
        planned_on_day = sum(1 for case_id, (*_, status) in newest.items()
                             if status == CaseStatus.INTERVIEW_PLANNED
                             and not (appointment[case_id] and appointment[case_id].date() < day))
        planned = stored.briefing.table("geplant").table.cells[0][0]
        assert planned in MARKS or int(planned) == planned_on_day


def test_every_file_shows_exactly_the_printed_cells(released_world: World) -> None:
    db = released_world.db
    _, council = lead_and_council(released_world)
    for stored in releases.releases(db, council):
        briefing = stored.briefing
        csv = pd.read_csv(io.BytesIO(releases.release_file(db, council, stored.id, "csv")), sep=";", dtype=str,
                          keep_default_na=False, encoding="utf-8-sig")
        book = load_workbook(io.BytesIO(releases.release_file(db, council, stored.id, "xlsx")))
        assert book.sheetnames[-1] == "Hinweise"
        for table, sheet in zip(briefing.tables, book.sheetnames, strict=False):
            shown = table.table.shown()
            assert book[sheet]["A1"].value == table.title
            for r, row in enumerate(shown.index, start=6):
                for c, col in enumerate(shown.columns, start=2):
                    value = book[sheet].cell(row=r, column=c).value
                    assert (str(value) if isinstance(value, int) else value) == shown.loc[row, col]
                    line = csv[(csv["Tabelle"] == table.title) & (csv["Zeile"] == str(row)) & (csv["Spalte"] == col)]
                    assert (line["Wert"].iloc[0] or line["Kennzeichen"].iloc[0]) == shown.loc[row, col]
        reader = PdfReader(io.BytesIO(releases.release_file(db, council, stored.id, "pdf")))
        pdf = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        for table in briefing.tables:
            shown = table.table.shown()
            for row in shown.index:
                assert " ".join([str(row), *shown.loc[row].tolist()]) in pdf, (table.title, row)
        assert f"Prüfsumme {stored.content_hash[:16]}" in pdf


def test_a_chart_only_where_every_value_is_printed(released_world: World) -> None:
    _, council = lead_and_council(released_world)
    drawn = 0
    for stored in releases.releases(released_world.db, council):
        charts = {c.slug: c for c in export.briefing_charts(stored.briefing)}
        for table in stored.briefing.tables:
            if table.slug not in charts:
                continue
            data = chart_data(table.table)
            assert (data["Hinweis"] == "").all() and data["Wert"].sum() > 0
            spec = charts[table.slug].chart.to_dict()
            sent = list(spec["datasets"].values())
            assert len(sent) == 1  # both layers draw the one printed table
            assert sorted(r["Wert"] for r in sent[0]) == sorted(data["Wert"].astype(int))
            assert {k for row in sent[0] for k in row} <= {"Kategorie", "Reihe", "Wert"}
            drawn += 1
        hidden_tables = [t for t in stored.briefing.tables if t.chart and t.table.hidden]
        assert not any(t.slug in charts for t in hidden_tables)
    assert drawn  # the fixture's data give at least one table without a hidden value


def test_the_lead_releases_the_next_quarter_once(released_world: World) -> None:
    db = released_world.db
    lead, council = lead_and_council(released_world)
    period = releases.final_periods(db)[-1]
    candidate = releases.prepare(db, lead, period.key)
    assert candidate.current is None and not candidate.unchanged
    assert candidate.briefing.table("hemmnisse").table.rows[:len(Barrier)] == tuple(b.label for b in Barrier)
    stored = releases.release(db, lead, period.key, candidate.content_hash)
    assert releases.releases(db, council)[0].id == stored.id
    # The quarters and the demo's launch briefing (db.figures.briefings), each audited once.
    assert audit_count(db, action="release", entity="council_release") == len(
        releases.releases(db, council)) + len(briefings.day_releases(db, council))
    with pytest.raises(ValidationError, match="schon freigegeben"):
        releases.release(db, lead, period.key, candidate.content_hash)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(CouncilRelease).where(
            CouncilRelease.period_key == period.key)) == 1
