"""German numbers and dates in every chart (issue 15, part): the page and the PNG path draw the
same localised spec – decimal comma, thousands point, whole-number ticks for counts."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import altair as alt
import pandas as pd
import pytest
import vl_convert as vlc

from db.figures import charts, export, series
from db.figures.releases import releases
from db.figures.series import Period
from db.casework.team import capacity_forecast

from .conftest import World

# A number written the English way in a chart's text ("0.5", "2.5", "1,234").
ENGLISH_NUMBER = re.compile(r">-?\d+\.\d+<|>\d{1,3},\d{3}<")
# A fractional tick ("0,5") on an axis of counts.
FRACTION = re.compile(r">-?\d+,\d+<")


def every_chart(world: World) -> dict[str, alt.TopLevelMixin]:
    lead = world.actor("leitung")
    period = Period(start=world.today - timedelta(weeks=10), end=world.today)
    rates = pd.DataFrame({"quarter": ["2026-Q3", "2026-Q4"], "leavers": [40, 1200],
                          "into_work_or_training": [10, 330], "rate": [25.0, 27.5]})
    found = {
        "intake": charts.intake_chart(series.intake(world.db, lead, period)),
        "capacity": charts.capacity_chart(series.caseload_by_companion(world.db, lead, period)),
        "funnel": charts.funnel_chart(series.funnel(world.db, lead, period)),
        "barriers": charts.barriers_chart(series.barriers(world.db, lead, period)),
        "contacts": charts.contacts_chart(series.contacts(world.db, lead, period)),
        "office_hours": charts.office_hours_chart(series.office_hours(world.db, lead, period)),
        "forecast": charts.forecast_chart(capacity_forecast(world.db, lead)),
        "rate": charts.rate_chart(rates, 25.0),
    }
    council = [f for r in releases(world.db, world.actor("kreistag")) for f in export.briefing_charts(r.briefing)]
    assert council  # the released world has council charts
    found.update({f"council_{f.slug}": f.chart for f in council})
    return found


def test_every_chart_is_drawn_with_german_numbers_and_whole_ticks(released_world: World) -> None:
    for name, chart in every_chart(released_world).items():
        spec = charts.fitted(chart).properties(width=1100).to_dict()  # as wide as on a desk
        assert spec["config"]["locale"]["number"]["decimal"] == ",", name
        svg = vlc.vegalite_to_svg(json.dumps(spec))
        assert not ENGLISH_NUMBER.search(svg), (name, ENGLISH_NUMBER.findall(svg)[:5])
        assert not FRACTION.search(svg), (name, FRACTION.findall(svg)[:5])


def test_a_value_2_5_reads_2_comma_5_on_the_page_and_in_the_png(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"Ort": ["Guben", "Forst"], "Wert": [2.5, 1234.5]})
    chart = alt.Chart(frame).mark_text().encode(y="Ort:N", text="Wert:Q")
    page_svg = vlc.vegalite_to_svg(json.dumps(charts.fitted(chart).to_dict()))
    assert "2,5" in page_svg and "1.234,5" in page_svg

    drawn: list[str] = []
    monkeypatch.setattr(export.vlc, "vegalite_to_png", lambda spec, scale: drawn.append(spec) or b"PNG")
    export.chart_png(chart)
    png_svg = vlc.vegalite_to_svg(drawn[0])
    assert "2,5" in png_svg and "1.234,5" in png_svg


def test_month_names_are_german() -> None:
    frame = pd.DataFrame({"Monat": pd.to_datetime(["2026-03-01", "2026-12-01"]), "Fälle": [3, 5]})
    chart = alt.Chart(frame).mark_bar().encode(x=alt.X("Monat:T", axis=alt.Axis(format="%B")), y="Fälle:Q")
    svg = vlc.vegalite_to_svg(json.dumps(charts.localised(chart).to_dict()))
    assert "März" in svg and "Dezember" in svg and "March" not in svg


def test_the_lagebild_hands_the_browser_localised_specs(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from .conftest import log_in

    log_in(app, "leitung")
    specs = [json.loads(c.proto.spec) for c in app.get("vega_lite_chart")]
    assert len(specs) == 6 and all(s["config"]["locale"]["number"]["decimal"] == "," for s in specs)


def _luminance(hex_colour: str) -> float:
    digits = hex_colour[1:] if len(hex_colour) == 7 else "".join(c * 2 for c in hex_colour[1:])
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_text_in_every_chart_reaches_4_5_to_1_on_white(released_world: World) -> None:
    world = released_world
    # WCAG 1.4.3: axis labels, titles and legends are text. Vega's default greys reach ~3.7:1.
    for name, chart in every_chart(world).items():
        svg = vlc.vegalite_to_svg(json.dumps(charts.fitted(chart).properties(width=800).to_dict()))
        fills = re.findall(r'<text[^>]*fill="(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})"', svg)
        assert fills, name
        for fill in set(fills):
            ratio = 1.05 / (_luminance(fill) + 0.05)
            assert ratio >= 4.5, (name, fill, round(ratio, 2))
