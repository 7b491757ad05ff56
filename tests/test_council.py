"""The council briefing: protected in every table, chart and file; fixed, ended periods; nested
periods cannot be subtracted to show one person; the demo's figures."""

from __future__ import annotations

import io
import json
import random
import shutil
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from db.actors import Actor
from db.database import Database
from db.errors import PermissionDenied
from db.figures import export
from db.figures.charts import chart_data
from db.figures.council import PERIOD_TABLES, Briefing, council_briefing, publication, publish
from db.figures.disclosure import SECONDARY_MARK, SMALL_MARK, TOTAL, is_small, unprotected_cells
from db.figures.periods import Granularity, children, offered_periods
from db.models import (
    Activity,
    Case,
    CaseBarrier,
    Client,
    Employer,
    OfficeHourLocation,
    OfficeHourSession,
    Placement,
    StatusChange,
    User,
)
from db.vocabulary import (
    ActivityKind,
    Barrier,
    CaseStatus,
    EndReason,
    JobKind,
    LocationStatus,
    ReferralSource,
    Role,
)

from .conftest import World
from .test_disclosure import linearly_determined

MARKS = (SMALL_MARK, SECONDARY_MARK)


# --- the demo world ------------------------------------------------------------------------------

def test_demo_briefing(world: World) -> None:
    briefing = council_briefing(world.db, world.actor("kreistag"))
    assert briefing is not None
    assert briefing.period.granularity is Granularity.MONTH  # the newest ended month by default
    assert briefing.period.end < world.today
    stock = {t.label: t.value for t in briefing.stock_tiles}
    assert stock["Teilnehmende (Begleitung und Nachbetreuung)"] == "11"
    assert stock["Erstgespräche geplant"] == "19"
    assert stock["Integrationsbegleiter:innen im Dienst"] == "1"
    assert "Im Dienst ist 1 Integrationsbegleiter:in," in briefing.summary
    assert "Anteil der Abgänge in Arbeit oder Ausbildung: noch keine Abgänge." in briefing.summary
    barriers = next(t for t in briefing.tables if t.slug == "hemmnisse").table.shown()
    # Every barrier of the catalogue, in catalogue order, hidden or not.
    assert list(barriers.index) == [b.label for b in Barrier] + [TOTAL]


def test_briefing_is_for_council_and_lead(world: World) -> None:
    for username in ("begleiter1", "fallmanager1", "admin"):
        with pytest.raises(PermissionDenied):
            council_briefing(world.db, world.actor(username))


def test_only_ended_periods_are_offered() -> None:
    today = date(2026, 11, 25)
    periods = offered_periods(date(2025, 10, 16), today)
    assert periods[0].granularity is Granularity.SINCE_START
    assert periods[0].label == "Seit Programmstart (10/2025 bis 10/2026)"
    assert all(p.end < today.replace(day=1) for p in periods)
    labels = [p.label for p in periods]
    assert "Oktober 2026" in labels and "November 2026" not in labels
    assert "3. Quartal 2026" in labels and "4. Quartal 2026" not in labels
    assert "1. Halbjahr 2026" in labels and "Jahr 2025" in labels and "Jahr 2026" not in labels
    assert "September 2025" not in labels  # before the programme
    assert offered_periods(date(2026, 11, 3), today) == []  # no month has ended yet
    # Calendar periods nest: every period lies inside "seit Programmstart", children tile it.
    since = periods[0]
    months = sorted(m for c in children(since, periods) for m in c.month_starts())
    assert months == since.month_starts()[since.month_starts().index(date(2025, 1, 1)):]


# --- random caseloads: every output protected ----------------------------------------------------

def monthly_frames(draw_counts, months: list[date], towns: list[str]) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
    from db.figures import flows

    rows = {name: [] for name in ("events", "exits", "barriers", "contacts", "visitors")}
    for m in months:
        for key in ("referrals", "interviews_held", "job_starts"):
            rows["events"].append((m, key, draw_counts()))
        for result in flows.EXIT_RESULTS:
            rows["exits"].append((m, result, draw_counts()))
        for b in list(Barrier)[:4]:
            for state in ("noted", "resolved"):
                rows["barriers"].append((m, b.value, state, draw_counts()))
        for k in list(ActivityKind)[:3]:
            rows["contacts"].append((m, k.value, draw_counts()))
        for t in towns:
            rows["visitors"].append((m, t, draw_counts()))
    return {
        "events": pd.DataFrame(rows["events"], columns=["month", "key", "count"]),
        "exits": pd.DataFrame(rows["exits"], columns=["month", "result", "count"]),
        "barriers": pd.DataFrame(rows["barriers"], columns=["month", "barrier", "state", "count"]),
        "contacts": pd.DataFrame(rows["contacts"], columns=["month", "kind", "count"]),
        "visitors": pd.DataFrame(rows["visitors"], columns=["month", "town", "count"]),
    }


def assert_nested_periods_hide_small_differences(pub) -> None:  # type: ignore[no-untyped-def]
    """Every pair of offered periods, one inside the other: no cell published in both differs by
    1 or 2 (that difference would be one or two persons' events in the rest of the period)."""
    for big, small in combinations(pub.periods, 2):
        if small.contains(big):
            big, small = small, big
        if not big.contains(small):
            continue  # disjoint periods hold different events: nothing to subtract
        for spec in PERIOD_TABLES:
            a, b = pub.tables[(big.key, spec.slug)], pub.tables[(small.key, spec.slug)]
            for cell in [(r, c) for r in a.values.index for c in a.values.columns]:
                if cell in a.hidden or cell in b.hidden:
                    continue
                diff = int(a.values.loc[cell]) - int(b.values.loc[cell])
                assert not is_small(diff), (big.label, small.label, spec.slug, cell, diff)


def assert_table_safe(table) -> None:  # type: ignore[no-untyped-def]
    shown = table.shown()
    assert not shown.isin(["1", "2"]).any().any()
    assert unprotected_cells(table) == [] and linearly_determined(table) == []
    rows, cols = table.interior()
    if table.column_totals:
        assert (table.values.loc[rows].sum(axis=0) == table.values.loc[TOTAL]).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), months_back=st.integers(2, 16), low=st.booleans(),
       today=st.sampled_from([date(2026, 11, 25), date(2027, 1, 10), date(2026, 7, 1)]))
def test_publication_of_random_counts_is_protected(seed: int, months_back: int, low: bool, today: date) -> None:
    rng = random.Random(seed)
    index = today.year * 12 + today.month - 1 - months_back  # the first case, months_back ago
    start = date(index // 12, index % 12 + 1, 5)
    periods = offered_periods(start, today)
    months = sorted({m for p in periods for m in p.month_starts()})
    weights = [0, 0, 1, 1, 2, 3, 4, 7] if low else [0, 1, 2, 3, 5, 8, 13]
    towns = ["Guben", "Forst (Lausitz)"]
    pub = publish(monthly_frames(lambda: rng.choice(weights), months, towns), towns, periods)
    for table in pub.tables.values():
        assert_table_safe(table)
    assert_nested_periods_hide_small_differences(pub)


def random_caseload(db: Database, rng: random.Random, cases: int, today: date) -> None:
    """Cases with consistent histories over the last 14 months, written straight to the tables."""
    with db.write() as session:
        companion = User(username="b", display_name="B", role=Role.COMPANION, password_hash="x",
                         capacity=20, start_date=today - timedelta(days=500))
        council = User(username="kreistag", display_name="K", role=Role.COUNCIL, password_hash="x")
        employer = Employer(name="Firma")
        places = [OfficeHourLocation(town=t, status=LocationStatus.RUNNING) for t in ("Guben", "Forst")]
        session.add_all([companion, council, employer, *places])
        session.flush()
        for place in places:
            for _ in range(rng.randint(0, 12)):
                session.add(OfficeHourSession(location_id=place.id, visitors=rng.randint(0, 6),
                                              held_on=today - timedelta(days=rng.randint(1, 420))))
        for n in range(cases):
            client = Client(client_number=f"R{n}", first_name="Vor", last_name=f"Name{n}", town="Guben")
            referred = today - timedelta(days=rng.randint(5, 420))
            case = Case(client=client, companion_id=companion.id, status=CaseStatus.REFERRED,
                        referral_source=ReferralSource.CASE_MANAGER, referred_on=referred)
            session.add(case)
            session.flush()
            history = [(None, CaseStatus.REFERRED, referred)]
            day = referred
            for target in rng.choice([[], [CaseStatus.INTERVIEW_PLANNED],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.CLOSED],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED,
                                       CaseStatus.CLOSED]]):
                day = min(today - timedelta(days=1), day + timedelta(days=rng.randint(1, 60)))
                history.append((history[-1][1], target, day))
                if target == CaseStatus.ACTIVE:
                    case.start_date = day
                    for barrier in rng.sample(list(Barrier), rng.randint(0, 3)):
                        resolved = day + timedelta(days=rng.randint(1, 90)) if rng.random() < 0.3 else None
                        session.add(CaseBarrier(case_id=case.id, barrier=barrier, noted_on=day,
                                                resolved_on=resolved if resolved and resolved < today else None))
                    for _ in range(rng.randint(0, 4)):
                        session.add(Activity(case_id=case.id, kind=rng.choice(list(ActivityKind)),
                                             occurred_on=min(today, day + timedelta(days=rng.randint(0, 60)))))
                if target == CaseStatus.EMPLOYED:
                    session.add(Placement(case_id=case.id, employer_id=employer.id, start_date=day,
                                          job_kind=rng.choice(list(JobKind))))
                if target == CaseStatus.CLOSED:
                    case.end_date = day
                    case.end_reason = rng.choice(list(EndReason))
            case.status = history[-1][1]
            for source, target, on in history:
                session.add(StatusChange(case_id=case.id, from_status=source, to_status=target, changed_on=on))


def assert_outputs_show_the_protected_tables(db: Database, briefing: Briefing, actor) -> None:  # type: ignore[no-untyped-def]
    key = briefing.period.key
    # Charts: only the published interior cells, no totals, no other fields.
    for figure in export.briefing_charts(briefing):
        data = chart_data(figure.table.table)
        spec = figure.chart.to_dict()
        def gaps_as_none(rows: list[dict]) -> list[dict]:
            return [{**row, "Wert": None if pd.isna(row["Wert"]) else row["Wert"]} for row in rows]

        json.dumps(spec, allow_nan=False)  # gaps are null, not NaN (the PNG renderer needs JSON)
        datasets = list(spec["datasets"].values())
        assert len(datasets) == 1  # both layers draw the one protected table
        sent = datasets[0]
        assert sent == gaps_as_none(data.to_dict("records"))
        assert {k for row in sent for k in row} <= {"Kategorie", "Reihe", "Wert", "Hinweis"}
        assert all(row["Kategorie"] != TOTAL for row in sent)
        assert all(row["Wert"] is None or not is_small(row["Wert"]) for row in sent)
        assert all((row["Wert"] is None) == (row["Hinweis"] in MARKS) for row in sent)
    # CSV and Excel: the same cells, numbers as numbers.
    csv = pd.read_csv(io.BytesIO(export.export_csv(db, actor, key)), sep=";", dtype=str,
                      keep_default_na=False, encoding="utf-8-sig")
    book = load_workbook(io.BytesIO(export.export_xlsx(db, actor, key)))
    for table, sheet in zip(briefing.tables, book.sheetnames, strict=False):
        shown = table.table.shown()
        for r, row in enumerate(shown.index, start=6):
            for c, col in enumerate(shown.columns, start=2):
                value = book[sheet].cell(row=r, column=c).value
                assert (str(value) if isinstance(value, int) else value) == shown.loc[row, col]
                line = csv[(csv["Tabelle"] == table.title) & (csv["Zeile"] == str(row)) & (csv["Spalte"] == col)]
                assert (line["Wert"].iloc[0] or line["Kennzeichen"].iloc[0]) == shown.loc[row, col]
    # PDF: every table row as published.
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(export.export_pdf(db, actor, key)))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for table in briefing.tables:
        shown = table.table.shown()
        for row in shown.index:
            assert " ".join([str(row), *shown.loc[row].tolist()]) in text, (table.title, row)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), cases=st.integers(3, 60))
def test_every_council_output_of_a_random_caseload_is_protected(
        _sqlite_template: Path, tmp_path: Path, seed: int, cases: int) -> None:
    path = tmp_path / f"random-{seed}-{cases}.sqlite3"  # a fresh database per example
    shutil.copy(_sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    try:
        check_random_caseload(db, seed, cases)
    finally:
        db.dispose()


def check_random_caseload(sqlite_db: Database, seed: int, cases: int) -> None:
    random_caseload(sqlite_db, random.Random(seed), cases, date.today())
    with sqlite_db.read() as session:
        council = Actor.of(session.scalars(select(User).where(User.role == Role.COUNCIL)).one())
    pub = publication(sqlite_db, council)
    for table in pub.tables.values():
        assert_table_safe(table)
    assert_nested_periods_hide_small_differences(pub)
    for period in {pub.periods[0], pub.periods[-1], *pub.periods[1:2]}:
        briefing = council_briefing(sqlite_db, council, period.key)
        for table in briefing.tables:
            assert_table_safe(table.table)
        for tile in briefing.stock_tiles[:3] + briefing.period_tiles[:4]:
            assert tile.value not in ("1", "2")
    assert_outputs_show_the_protected_tables(sqlite_db, council_briefing(sqlite_db, council, pub.periods[0].key),
                                             council)


def test_sums_as_bit_masks_agree_with_the_plain_set_rule() -> None:
    """The bit-mask arithmetic of the differencing check against its definition with sets."""
    import random

    from db.figures.council import _differs_by_little, _sums
    from db.figures.disclosure import is_small

    def plain(parts: list[set[int]], cap: int) -> set[int]:
        sums = {0}
        for part in parts:
            sums = {a + b for a in sums for b in ({0} | part) if a + b <= cap}
        return sums

    rng = random.Random(11)
    for _ in range(300):
        parts = [{rng.randint(0, 40) for _ in range(rng.randint(0, 4))} for _ in range(rng.randint(0, 4))]
        cap = rng.randint(0, 90)
        mask = _sums([sum(1 << v for v in p) for p in parts], cap)
        expected = plain(parts, cap)
        assert {s for s in range(cap + 1) if mask >> s & 1} == expected
        assert _differs_by_little(cap, mask) == any(is_small(cap - s) for s in expected)
