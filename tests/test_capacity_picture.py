"""Capacity in one picture (issue 41): the Team chart draws the Team table's numbers –
participants against the cap, the inflow stacked beside them –, one rule says who is over
capacity (now, or once the inflow starts), and every page that shows capacity shows that rule's
answer: Team & Stellen, the lead's Lagebild, Ergebnisse and the assignment choice."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from db.casework.team import (
    FORECAST_SERIES,
    CHOICE_CHARS,
    CapacityState,
    CompanionLoad,
    capacity_forecast,
    capacity_state,
    companion_caseloads,
)
from db.figures import alternatives, charts, series
from db.figures.charts import INFLOW_PARTS
from db.reporting.registry import label
from db.vocabulary import CaseStatus

from .conftest import World, as_read
from .helpers import case_in, part_time
from .test_pages import open_page

pytestmark = pytest.mark.calendar  # the demo world: loads, positions and starts relative to today


def test_the_rule_over_every_small_load() -> None:
    """Every combination up to a little past the cap, against the rule written out."""
    for accompanied, inflow, cap in itertools.product(range(8), range(6), (1, 3, 5)):
        state = capacity_state(accompanied, inflow, cap)
        if accompanied > cap:
            assert state == CapacityState.OVER
        elif accompanied + inflow > cap:
            assert state == CapacityState.OVER_ONCE_INFLOW_STARTS
        elif accompanied == cap:
            assert state == CapacityState.FULL
        else:
            assert state == CapacityState.WITHIN
        assert state.marked == (accompanied > cap or accompanied + inflow > cap)


def _drawn(spec: dict) -> list[dict]:
    """The rows a chart spec draws: every dataset's values (bars and the capacity tick)."""
    return [row for values in spec["datasets"].values() for row in values]


def test_the_team_chart_draws_the_team_tables_numbers(world: World) -> None:
    lead = world.actor("leitung")
    # One companion over the cap, one within it with an inflow: the chart must tell them apart.
    part_time(world.db, "begleiter1", 10)
    case_in(world.db, lead, CaseStatus.ACTIVE, companion_id=world.user_id("begleiter2"),
            case_manager_id=world.user_id("fallmanager1"))
    case_in(world.db, lead, CaseStatus.INTERVIEW_PLANNED, companion_id=world.user_id("begleiter2"),
            case_manager_id=world.user_id("fallmanager1"))
    team = companion_caseloads(world.db, lead)
    frame = series.team_capacity(team, world.today)
    spec = charts.capacity_chart(frame, "Begleitung").to_dict()
    drawn = _drawn(spec)
    rows = spec["layer"][0]["encoding"]["y"]["axis"]["labelExpr"]
    for c in team:
        bars = {r["part"]: r["count"] for r in drawn if r.get("position") == c.name and "part" in r}
        assert bars == {label("participants"): c.accompanied, INFLOW_PARTS["planned"]: c.planned,
                        INFLOW_PARTS["outcome_missing"]: c.outcome_missing}
        (tick,) = [r for r in drawn if r.get("position") == c.name and "part" not in r]
        assert tick["capacity"] == c.cap
        # The row says what the table says, by the same rule.
        assert (f'"{c.name}" ? ["{c.name}", "{c.state.short}"]' in rows) == (c.state != CapacityState.WITHIN)
    states = {c.name: c.state for c in team}
    assert states == {"Bianca Begleitmann (Demo)": CapacityState.OVER,
                      "Bruno Begleitmann (Demo)": CapacityState.WITHIN}
    words = alternatives.capacity_text(frame, "Begleitung")
    assert "Bianca Begleitmann (Demo): 11 Teilnehmende bei Kapazität 10, Zulauf 20 (über der Kapazität)" \
        in words.summary
    assert words.table[label("participants")].tolist() == [c.accompanied for c in team]
    # The forecast's "today" is the table's sum too (it plotted 37 cases against 40 before).
    forecast = capacity_forecast(world.db, lead)
    today = forecast.groupby("series")["value"].first()
    assert today[FORECAST_SERIES["participants"]] == sum(c.accompanied for c in team) == 12
    assert today[FORECAST_SERIES["with_inflow"]] == sum(c.accompanied + c.inflow for c in team)


def test_a_long_label_is_shortened_in_the_drawing_and_whole_in_tooltip_and_words() -> None:
    import pandas as pd

    long_name = "Maximiliane Hohenzollern-Sigmaringen von Brandenburg (Teilzeit, Vertretung)"
    frame = pd.DataFrame([{"position": long_name, "state": "im Dienst", "accompanied": 3,
                           "planned": 1, "outcome_missing": 0, "capacity": 20}])
    chart = charts.page_chart(alternatives.capacity_text, charts.capacity_chart, frame)
    spec = json.loads(chart.spec)
    drawn = charts.wrapped(long_name)
    assert f'datum.label === "{long_name}" ? {json.dumps(drawn.split(chr(10)), ensure_ascii=False)}' \
        in spec["layer"][0]["encoding"]["y"]["axis"]["labelExpr"]
    assert all(len(line) <= charts.LINE_CHARS for line in drawn.split("\n"))
    assert drawn.endswith("…") and drawn.count("\n") == 1  # two lines, shortened, and says so
    assert long_name in chart.text.summary  # the words name it whole …
    tooltips = [t["field"] for layer in spec["layer"] for t in layer["encoding"]["tooltip"]]
    assert "position" in tooltips  # … and so does the tooltip
    assert chart.title == "Teilnehmende je Stelle gegen Kapazität, Zulauf daneben"
    assert "title" not in spec and all("title" not in layer for layer in spec["layer"])


def test_the_choice_of_a_companion_is_short_and_says_the_mark() -> None:
    day = date(2026, 12, 1)
    name = "Bianca Begleitmann (Demo)"
    cases = {  # (participants, planned, outcome missing, own capacity) -> the label
        (11, 19, 1, None): f"{name} · bald zu voll",  # the figures give way to the mark
        (3, 19, 1, None): f"{name} · bald zu voll",
        (21, 0, 0, None): f"{name} · zu voll",
        (20, 0, 0, None): f"{name} · 20/20 · voll",
        (5, 2, 0, 15): f"{name} · 5/15 +2",
        (11, 1, 0, 10): f"{name} · zu voll",
    }
    for (accompanied, planned, missing, own), expected in cases.items():
        load = CompanionLoad(1, name, None, own, accompanied, planned, missing)
        assert load.choice_label(day) == expected
        assert len(expected) <= CHOICE_CHARS
    assert CompanionLoad(1, "Eva Ek", None, None, 21, 0, 0).choice_label(day) == "Eva Ek · 21/20 · zu voll"
    assert CompanionLoad(1, "Eva Ek", None, None, 11, 19, 1).choice_label(day) == "Eva Ek · 11/20 +20 · bald zu voll"
    starting = CompanionLoad(1, "Eva Ek", date(2026, 12, 16), None, 3, 1, 0)
    assert starting.choice_label(day) == "Eva Ek · 3/20 +1 · ab 16.12."
    # One-tap options wrap: nothing gives way there (the help text promises the figures).
    bianca = CompanionLoad(1, name, None, None, 11, 19, 1)
    assert bianca.choice_label(day, most=None) == f"{name} · 11/20 +20 · bald zu voll"
    long = CompanionLoad(1, "Maximiliane Hohenzollern-Sigmaringen", None, None, 21, 0, 0)
    assert long.choice_label(day) == "Maximiliane Hohenzollern-Sigmaringen · zu voll"  # a name is never cut


def _warnings(app: AppTest) -> list[str]:
    return [as_read(w.value) for w in app.warning]


def test_the_marks_on_team_lagebild_and_in_the_assignment_choice(app: AppTest) -> None:
    """The demo's Bianca (11 participants at 20, inflow 20) is over capacity once her inflow
    starts: Team & Stellen, the Lagebild and the choice in Zuweisungen say so."""
    team = open_page(app, "leitung", "pages/team.py")
    expected = "Bianca Begleitmann (Demo): über der Kapazität, sobald der Zulauf beginnt " \
               "(11 Teilnehmende bei Kapazität 20, Zulauf 20)"
    assert expected in _warnings(team)
    dashboard = team.switch_page("pages/dashboard.py").run()
    assert expected in _warnings(dashboard)
    referrals = dashboard.switch_page("pages/referrals.py").run()
    # A small team gets one-tap choices (pages/referrals.RADIO_UP_TO), a large one the box.
    choices = [s for s in [*referrals.radio, *referrals.selectbox] if s.label == "Begleitung zuweisen"]
    assert choices
    options = [as_read(o) for o in choices[0].options]
    # One-tap options wrap: the figures stay (a box of one line gives them way, see above).
    expected = ("Bianca Begleitmann (Demo) · 11/20 +20 · bald zu voll" if choices[0] in referrals.radio
                else "Bianca Begleitmann (Demo) · bald zu voll")
    assert expected in options
