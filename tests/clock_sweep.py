"""The clock sweep: the calendar's tests once more on each day that tends to break them.

`make test-days` (and CI after `make test`) runs every test marked `calendar` with the whole
process tree's clock moved to each day below by libfaketime (Debian's `faketime`): the test
processes, the app servers they start and the browser all see that day, at the current time of
day in Brandenburg. Nothing in the application reads an override: production cannot be moved.

A test is marked `calendar` when it uses the demo world, the history generator, releases,
periods, forecasts or plans (tests/conftest.py marks those by fixture; files mark themselves).

    python tests/clock_sweep.py [--days 2027-01-01,2028-02-29] [pytest arguments …]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")

# The last and first day of a year (and so of a quarter and a month), the end of February in a
# common and in a leap year, the last day before and the first two days of April (the demo's new
# positions are funded from 1 April: on the 2nd the next April is a year away), the last day
# before and the first day of a year's annual release (29 April: db.figures.periods), the end of
# June.
SWEEP_DAYS = [
    date(2026, 12, 31), date(2027, 1, 1), date(2027, 2, 28), date(2028, 2, 29),
    date(2027, 3, 31), date(2027, 4, 1), date(2027, 4, 2), date(2027, 4, 28), date(2027, 4, 29),
    date(2027, 6, 30),
]
# Days swept at a fixed time of day instead of the current one: 20 minutes after midnight in
# Brandenburg it is still the day before in UTC (in winter for 40 more minutes, in summer for 100)
# – the year and the quarter before, on these two days. Whatever reads the server's clock instead
# of Brandenburg's day shows there; a sweep at the current time of day finds it only when CI
# happens to run after midnight. (The app servers of the tests run in UTC: tests/conftest.app_env.)
AT_TIME_OF_DAY = {date(2027, 1, 1): time(0, 20), date(2027, 4, 1): time(0, 20)}
# The calendar's browser tests (layout of the council's pages at phone and desk width: a quarter
# of a day's tests, half of its time) run on these days only: the new year at 00:20 (browser and
# server a day apart, the year's first quarter label) and the first day of the annual release
# (the council's pages show the year beside its quarters). On the other days what the council
# sees is the same set of quarters under other labels, and every figure, release and page's
# content is checked there by the calendar's tests without a browser (AppTest).
BROWSER_DAYS = {date(2027, 1, 1), date(2027, 4, 29)}


def marks(day: date) -> str:
    """The tests swept on `day` (a pytest -m expression)."""
    return "calendar" if day in BROWSER_DAYS else "calendar and not browser"


def offset_seconds(day: date, now: datetime | None = None, at: time | None = None) -> int:
    """Seconds to add to the real clock so that it is `day` in Brandenburg at the same local
    time of day, or at `at` (daylight saving time taken into account)."""
    now = now or datetime.now(BERLIN)
    target = datetime.combine(day, at or now.time().replace(tzinfo=None), BERLIN)
    # In UTC: two aware datetimes of one zone subtract as wall clocks, blind to a DST switch.
    return round((target.astimezone(UTC) - now.astimezone(UTC)).total_seconds())


def faked(day: date, command: list[str]) -> list[str]:
    """`command` under libfaketime, its clock (and its children's) moved to `day`."""
    if shutil.which("faketime") is None:
        sys.exit("faketime fehlt: apt-get install faketime")
    return ["faketime", "-f", f"{offset_seconds(day, at=AT_TIME_OF_DAY.get(day)):+d}", *command]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", help="Tage, kommagetrennt (JJJJ-MM-TT); sonst die Standardliste")
    options, pytest_args = parser.parse_known_args(argv)
    days = [date.fromisoformat(d) for d in options.days.split(",")] if options.days else SWEEP_DAYS
    failed = []
    for day in days:
        at = AT_TIME_OF_DAY.get(day)
        print(f"\n=== Uhr auf {day:%d.%m.%Y} ({day.isoformat()})" + (f", {at:%H:%M} Uhr" if at else "")
              + ("" if day in BROWSER_DAYS else ", ohne Browser") + " ===", flush=True)
        run = subprocess.run(faked(day, [sys.executable, "-m", "pytest", "-m", marks(day),
                                         "-p", "no:cacheprovider", *pytest_args]), cwd=ROOT)
        if run.returncode != 0:
            failed.append(f"{day.isoformat()} (Exit-Code {run.returncode})")
    ok = len(days) - len(failed)
    print(f"\ndays: {ok} passed, {len(failed)} failed" + (": " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
