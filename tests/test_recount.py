"""Every event figure recounted from the raw tables, by another route than the app's.

The app dates an interview by the day accompaniment began and a job start by the placement; this
test counts the status history instead (the change from "Erstgespräch geplant" to "In
Begleitung", the change to "In Arbeit"), which the forms and the import both write. Two
independent sources, one number – for several closed quarters, on data made through the
service functions and the caseload import, on both databases. Compared with the CLI's figures,
the Lagebild's weekly series, the Ergebnisse page's leaver figures, the funder's report and the
council's tables before suppression.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from db.figures import flows
from db.figures.council import draft
from db.figures.kpis import figures_to_date
from db.figures.periods import ReportingPeriod
from db.reporting.registry import INDICATORS, label
from db.figures.series import Period, intake
from db.results.indicators import leaver_figures, monthly_leavers
from db.results.report import funder_report

from .conftest import World
from .helpers import history_of_the_demo_team
from .test_cli import run_db

# Written from the registry's German definitions, in plain SQL, without the app's code.
RECOUNT = {
    "referrals": "SELECT count(*) FROM cases WHERE referred_on BETWEEN :a AND :b",
    # "Erstgespräche, die im Zeitraum stattgefunden haben (Datum des Gesprächs)"
    "interviews_held": """
        SELECT count(*) FROM status_changes
        WHERE from_status = 'interview_planned' AND to_status = 'active'
          AND undone_on IS NULL AND reverses_id IS NULL AND changed_on BETWEEN :a AND :b""",
    # "Aufnahmen einer Arbeit oder Ausbildung … (Datum der Arbeitsaufnahme)"
    "job_starts": """
        SELECT count(*) FROM status_changes
        WHERE to_status = 'employed' AND undone_on IS NULL AND reverses_id IS NULL
          AND changed_on BETWEEN :a AND :b""",
    # "Gezählte Teilnehmende (Erstgespräch geführt, Kerndaten vollständig), deren Teilnahme im
    # Zeitraum endete"
    "exits": """
        SELECT count(*) FROM cases WHERE status = 'closed' AND start_date IS NOT NULL
          AND entry_complete AND end_date BETWEEN :a AND :b""",
}


def recount(world: World, key: str, start: date, end: date) -> int:
    with world.db.engine.connect() as conn:
        return conn.execute(text(RECOUNT[key]), {"a": start, "b": end}).scalar_one()


@pytest.fixture
def history(world: World) -> World:
    return history_of_the_demo_team(world, seed=11, cases=60, imported=12)


def test_events_recounted_from_the_status_history_agree_everywhere(history: World) -> None:
    world = history
    lead = world.actor("leitung")
    quarters = [ReportingPeriod.containing(world.today - timedelta(days=d)) for d in (330, 240, 150, 60)]
    seen = 0
    for quarter in quarters:
        a, b = quarter.start, quarter.end
        expected = {key: recount(world, key, a, b) for key in RECOUNT}
        events = flows.monthly_events(world.db, lead)
        in_quarter = events[events["month"].isin(quarter.month_starts())].groupby("key")["count"].sum()
        for key in ("referrals", "interviews_held", "job_starts"):
            assert int(in_quarter.get(key, 0)) == expected[key], (quarter.label, key)
        tables = draft(world.db, lead, quarter, world.today).tables
        zugaenge = tables["zugaenge"].values["Anzahl"]
        for key in ("referrals", "interviews_held", "job_starts"):
            assert int(zugaenge[label(key)]) == expected[key], (quarter.label, key)
        assert int(tables["abgaenge"].values.loc["Summe", "Abgänge"]) == expected["exits"]
        # The Ergebnisse page's leavers of the quarter, and the funder's report (per person: every
        # person here was referred once).
        leavers = leaver_figures(monthly_leavers(world.db, lead, ended_from=a, ended_to=b))
        assert leavers.leavers == expected["exits"]
        report = dict(funder_report(world.db, lead, a, b).indicators)
        assert report["Verbleib bei Austritt (innerhalb 28 Tagen)"].loc[label("persons_left"), "Gesamt"] == expected["exits"]
        # The Lagebild's weekly interviews, summed over the quarter's weeks (whole weeks inside).
        series = intake(world.db, lead, Period(start=a, end=b))
        weekly = series[(series["kind"] == "Ist") & (series["series"] == "Erstgespräche geführt")]
        inside = weekly[(weekly["week"] >= a) & (weekly["week"] + timedelta(days=6) <= b)]
        first, last = inside["week"].min(), inside["week"].max() + timedelta(days=6)
        assert int(inside["value"].sum()) == recount(world, "interviews_held", first, last), quarter.label
        seen += sum(expected.values())
    assert seen > 50  # the data have events in these quarters


def test_the_cli_carries_every_registry_key_with_the_recounted_events(history: World, db) -> None:  # type: ignore[no-untyped-def]
    figures = figures_to_date(history.db, history.actor("leitung"))
    assert list(figures) == [i.key for i in INDICATORS]
    start, end = date(2000, 1, 1), history.today
    for key in RECOUNT:
        assert figures[key] == recount(history, key, start, end), key
    url = history.db.engine.url.render_as_string(hide_password=False)
    printed = json.loads(run_db(url, "kpis", "--json").stdout)
    assert printed == json.loads(json.dumps(figures))


def test_imported_cases_count_as_interviews_and_job_starts_on_their_own_dates(world: World) -> None:
    from db.casework.caseload_io import COLUMNS, import_cases, read_upload

    lead = world.actor("leitung")
    referred, started, job = (world.today - timedelta(days=n) for n in (200, 150, 100))
    row = {COLUMNS["client_number"]: "IMP-77", COLUMNS["first_name"]: "Ina", COLUMNS["last_name"]: "Import",
           COLUMNS["town"]: "Guben", COLUMNS["status"]: "In Arbeit – Nachbetreuung",
           COLUMNS["companion"]: "begleiter1", COLUMNS["case_manager"]: "fallmanager1",
           COLUMNS["referred_on"]: f"{referred:%d.%m.%Y}", COLUMNS["start_date"]: f"{started:%d.%m.%Y}",
           COLUMNS["employer"]: "Bäckerei Probemann (Demo)", COLUMNS["job_start"]: f"{job:%d.%m.%Y}"}
    csv = ";".join(COLUMNS.values()) + "\n" + ";".join(row.get(h, "") for h in COLUMNS.values()) + "\n"
    import_cases(world.db, lead, read_upload("faelle.csv", csv.encode("utf-8-sig")), "faelle.csv")
    events = flows.monthly_events(world.db, lead)

    def on(key: str, day: date) -> int:
        month = day.replace(day=1)
        return int(events[(events["key"] == key) & (events["month"] == month)]["count"].sum())

    assert on("referrals", referred) >= 1
    assert on("interviews_held", started) == 1 and on("job_starts", job) == 1
    assert recount(world, "interviews_held", started, started) == 1
    assert recount(world, "job_starts", job, job) == 1
