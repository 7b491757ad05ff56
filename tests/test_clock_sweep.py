"""The clock sweep's arithmetic: each day it names is the day the moved clock shows in Brandenburg."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .clock_sweep import AT_TIME_OF_DAY, BERLIN, SWEEP_DAYS, offset_seconds


def test_the_moved_clock_shows_each_sweep_day_in_brandenburg_at_any_time_of_day() -> None:
    # Late evening and just after midnight, in summer and in winter time: the daylight saving
    # switch between now and the target day must not move the date.
    for now in (datetime(2026, 7, 1, 23, 30, tzinfo=BERLIN), datetime(2026, 7, 1, 0, 15, tzinfo=BERLIN),
                datetime(2026, 12, 6, 23, 30, tzinfo=BERLIN), datetime(2026, 12, 6, 0, 15, tzinfo=BERLIN),
                datetime(2027, 3, 28, 1, 59, tzinfo=BERLIN)):
        for day in SWEEP_DAYS:
            # Real seconds, counted in UTC (aware datetimes in one zone subtract as wall clocks).
            moved = (now.astimezone(UTC) + timedelta(seconds=offset_seconds(day, now))).astimezone(BERLIN)
            assert moved.date() == day, (now, day, moved)


def test_a_day_swept_at_a_fixed_time_is_that_day_and_time_in_brandenburg_and_the_day_before_in_utc() -> None:
    assert AT_TIME_OF_DAY and set(AT_TIME_OF_DAY) <= set(SWEEP_DAYS)
    for now in (datetime(2026, 7, 1, 15, 0, tzinfo=BERLIN), datetime(2026, 12, 6, 23, 50, tzinfo=BERLIN)):
        for day, at in AT_TIME_OF_DAY.items():
            moved = now.astimezone(UTC) + timedelta(seconds=offset_seconds(day, now, at))
            assert moved.astimezone(BERLIN).replace(tzinfo=None) == datetime.combine(day, at), (now, day)
            assert moved.date() == day - timedelta(days=1), (now, day, moved)


def test_the_browser_days_are_sweep_days_and_the_other_days_leave_only_the_browser_out() -> None:
    from .clock_sweep import BROWSER_DAYS, marks

    assert BROWSER_DAYS and BROWSER_DAYS <= set(SWEEP_DAYS) and len(BROWSER_DAYS) < len(SWEEP_DAYS)
    assert {marks(d) for d in SWEEP_DAYS} == {"calendar", "calendar and not browser"}
