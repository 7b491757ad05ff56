"""Charts and indicator tables are built once per content of the figures (issue 27): a rerun
with the same figures hands Streamlit the finished spec, a change of the data rebuilds what
changed, and the cache never hands out a stale or shared result."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa

from db.store import memo, recount
from db.casework.cases import refer_client
from db.store.database import Database
from db.figures import charts
from db.results.indicators import by_gender, leaver_figures, leaver_summary, quarterly_rates
from db.vocabulary import ExitResult

from .conftest import World, log_in
from .helpers import age_snapshots, new_client


def _funnel_counts(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The funnel chart's numbers as the browser receives them (its Arrow dataset)."""
    chart = next(c for c in app.get("vega_lite_chart")
                 if json.loads(c.proto.spec).get("description", "").startswith("Verlauf der zugewiesenen Fälle"))
    (dataset,) = chart.proto.datasets
    frame = pa.ipc.open_stream(dataset.data.data).read_pandas()
    return dict(zip(frame["stage"], frame["count"], strict=True))


def test_a_rerun_builds_no_chart_and_a_data_change_rebuilds_from_the_new_figures(
        app, db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    built: list[object] = []
    fitted = charts.fitted
    monkeypatch.setattr(charts, "fitted", lambda chart: built.append(chart) or fitted(chart))
    memo.forget_all()

    log_in(app, "leitung")
    first = [c.proto.spec for c in app.get("vega_lite_chart")]
    assert len(first) == 6 and len(built) == 6
    before = _funnel_counts(app)

    app.run()  # the same figures: nothing is built, the same specs are sent
    assert len(built) == 6
    assert [c.proto.spec for c in app.get("vega_lite_chart")] == first

    db = Database.from_url(db_url)
    case_manager = World(db, date.today()).actor("fallmanager1")
    refer_client(db, case_manager, client=new_client())
    app.run()  # the lead's figures: the last count at once (db.store.recount), nothing rebuilt
    assert len(built) == 6
    age_snapshots(db)  # a minute later (the clock driven, not waited for)
    app.run()  # still the last count, the recount asked for
    recount.settle()
    app.run()
    assert 6 < len(built) < 12  # only the charts whose figures changed
    after = _funnel_counts(app)
    first_stage = next(iter(before))
    assert after[first_stage] == before[first_stage] + 1  # the new referral is in the drawing
    db.dispose()


def test_by_content_caches_by_value_and_hands_out_copies() -> None:
    calls: list[int] = []

    @memo.by_content
    def total(frame: pd.DataFrame) -> dict[str, int]:
        calls.append(1)
        return {"sum": int(frame["n"].sum())}

    frame = pd.DataFrame({"n": [1, 2, 3], "k": ["a", "b", None]})
    assert total(frame) == {"sum": 6}
    assert total(frame.copy()) == {"sum": 6} and len(calls) == 1  # equal content: from the cache

    result = total(frame)
    result["sum"] = 99  # a caller changing its copy changes nothing for the next one
    assert total(frame) == {"sum": 6} and len(calls) == 1

    changed = frame.copy()
    changed.loc[2, "n"] = 4
    assert total(changed) == {"sum": 7} and len(calls) == 2  # one cell differs: computed anew
    renamed = frame.copy()
    renamed.loc[2, "k"] = "c"
    assert total(renamed) == {"sum": 6} and len(calls) == 3  # a text cell counts as much


def test_a_small_frames_fingerprint_is_its_values_with_their_types() -> None:
    from pages.ui.shown import md

    def digest(*values: object) -> bytes | None:
        return memo._fingerprint("f", (pd.DataFrame({"v": pd.Series(list(values), dtype=object)}),), {})

    assert digest("a*b", 1) == digest("a*b", 1) is not None
    assert len({digest("a*b", 1), digest(md("a*b"), 1), digest("a*b", "1"), digest("a*b", 1.0)}) == 4
    shared = "geteilt"  # one object twice, or two equal ones: the same content, the same digest
    assert digest(shared, shared) == digest("".join(["gete", "ilt"]), "".join(["geteil", "t"]))
    cycle: list[object] = []
    cycle.append(cycle)
    assert memo._fingerprint("f", (cycle,), {}) is None  # not fingerprinted: computed every time


def test_the_leaver_summary_is_its_parts() -> None:
    rng = random.Random(5)
    results = [r.value for r in ExitResult] + [None]
    frame = pd.DataFrame([{"month": date(2024, 1, 1) + timedelta(days=31 * rng.randrange(20)),
                           "gender": rng.choice(["w", "m", None]), "end_reason": None,
                           "result": rng.choice(results), "follow_up": None,
                           "six_months_passed": rng.randrange(2), "in_window": rng.randrange(2),
                           "count": rng.randrange(1, 4), "days": rng.randrange(300)} for _ in range(200)])
    summary = leaver_summary(frame)
    assert summary.figures == leaver_figures(frame) and summary.by_gender == by_gender(frame)
    pd.testing.assert_frame_equal(summary.quarters, quarterly_rates(frame))


def test_by_content_computes_every_time_what_it_cannot_fingerprint() -> None:
    calls: list[int] = []

    @memo.by_content
    def apply(fn, value: int) -> int:  # type: ignore[no-untyped-def]
        calls.append(1)
        return fn(value)

    assert apply(lambda v: v + 1, 1) == 2
    assert apply(lambda v: v + 2, 1) == 3  # two lambdas cannot be told apart by pickle: no cache
    assert len(calls) == 2


def test_quarterly_rates_counts_as_leaver_figures_does_per_quarter() -> None:
    # The rate per quarter is computed in one grouping; the definition is leaver_figures'.
    rng = random.Random(27)
    results = [r.value for r in ExitResult] + [None]
    rows = [{"month": date(2023, 1, 1) + timedelta(days=31 * rng.randrange(40)),
             "gender": rng.choice(["w", "m", None]), "end_reason": None,
             "result": rng.choice(results), "follow_up": None,
             "six_months_passed": rng.randrange(2), "in_window": rng.randrange(2),
             "count": rng.randrange(1, 9), "days": rng.randrange(400)} for _ in range(600)]
    frame = pd.DataFrame(rows)
    frame["month"] = frame["month"].map(lambda d: d.replace(day=1))
    quarters = quarterly_rates(frame)

    label = frame["month"].map(lambda m: f"{m.year}-Q{(m.month - 1) // 3 + 1}")
    expected = {q: leaver_figures(part) for q, part in frame.groupby(label)}
    assert list(quarters["quarter"]) == sorted(expected)
    for row in quarters.itertuples():
        figures = expected[row.quarter]
        assert (row.leavers, row.into_work_or_training, row.rate) == (
            figures.leavers, figures.into_work_or_training, figures.rate)
