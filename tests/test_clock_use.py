"""One way to ask for the time: db/clock.py.

A server's own zone is whatever its administrator left (UTC on most installs), the programme's day
is Brandenburg's. `date.today()` in a page gave yesterday between midnight in Berlin and midnight
UTC: a form offered yesterday as "today", the results page ended a day early. So the application
reads the clock only through db/clock.py (today(), utcnow(), as_local()), and this test finds every
other reading of the process's local clock – in every module there is and every one yet to come.
The app servers of the browser tests run in UTC, as such a server does (tests/conftest.app_env).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK = ROOT / "db" / "clock.py"


def application_modules() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py")), *sorted((ROOT / "db").rglob("*.py"))]


def local_clock_readings(source: str) -> list[tuple[int, str]]:
    """Calls that read the process's local clock or zone: date.today(), datetime.today(),
    datetime.now() without a zone, datetime.fromtimestamp(x) without one, .astimezone() without a
    target, time.localtime(), time.strftime()/time.ctime(), pandas' and numpy's "now"/"today"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
        zone_given = bool(node.args) or any(k.arg == "tz" for k in node.keywords)
        if name == "today" and owner_name in ("date", "datetime"):
            found.append((node.lineno, f"{owner_name}.today()"))
        elif name in ("now", "today") and owner_name == "Timestamp" and not zone_given:
            found.append((node.lineno, f"Timestamp.{name}() ohne Zeitzone"))
        elif name in ("Timestamp", "to_datetime", "datetime64") and any(
                isinstance(a, ast.Constant) and a.value in ("now", "today") for a in node.args):
            found.append((node.lineno, f'{name}("now"/"today")'))
        elif name == "now" and owner_name == "datetime" and not zone_given:
            found.append((node.lineno, "datetime.now() ohne Zeitzone"))
        elif name == "fromtimestamp" and owner_name == "datetime" and len(node.args) < 2 and not any(
                k.arg == "tz" for k in node.keywords):
            found.append((node.lineno, "datetime.fromtimestamp() ohne Zeitzone"))
        elif name == "astimezone" and not node.args and not node.keywords:
            found.append((node.lineno, ".astimezone() ohne Ziel"))
        elif owner_name == "time" and name in ("localtime", "strftime", "ctime", "mktime"):
            found.append((node.lineno, f"time.{name}()"))
    return found


def test_the_application_reads_the_clock_only_through_db_clock() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in application_modules() if path != CLOCK
                 for line, what in local_clock_readings(path.read_text(encoding="utf-8"))]
    assert offenders == [], "Uhr nur über db/clock.py lesen (Tag in Brandenburg):\n" + "\n".join(offenders)


def test_the_finder_sees_each_way_of_reading_the_local_clock() -> None:
    # Each spelling once, and the zone-aware forms that are fine.
    source = "\n".join([
        "date.today()", "datetime.date.today()", "datetime.today()", "datetime.now()", "dt.datetime.now()",
        "datetime.fromtimestamp(1)", "moment.astimezone()", "time.localtime()", "time.strftime('%H')",
        "pd.Timestamp.now()", "pd.Timestamp('today')", "pd.to_datetime('now')", "np.datetime64('today')",
        "datetime.now(UTC)", "pd.Timestamp.now(tz='Europe/Berlin')", "pd.Timestamp('2026-01-01')", "datetime.now(tz=LOCAL_TZ)", "datetime.fromtimestamp(1, UTC)",
        "moment.astimezone(LOCAL_TZ)", "x.now()", "clock.today()",
    ])
    assert [line for line, _ in local_clock_readings(source)] == list(range(1, 14))
