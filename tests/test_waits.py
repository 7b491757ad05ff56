"""Tests wait as long as a busy machine needs. Streamlit's AppTest gives a script run 3 s unless
told otherwise; CI shares its two cores with everything else (a run took 5 s there, and a page
test failed that was right). Every AppTest in tests/ and bench/ names its own timeout – a sweep
over every file, so a new one cannot forget it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_apptest_names_its_timeout() -> None:
    forgotten = []
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("from_file", "from_function", "from_string")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "AppTest"
                    and not any(k.arg == "default_timeout" for k in node.keywords)):
                forgotten.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert forgotten == [], "AppTest ohne default_timeout (Streamlits 3 s reichen unter Last nicht):\n" + "\n".join(forgotten)


# Synchronisation objects whose timed wait takes an absolute deadline from the clock: under
# faketime (tests/clock_sweep.py moves the clock by days) the deadline lies days ahead of the real
# clock the kernel waits by, and a wait that should end after 3 s hangs the sweep (it did: the
# release lock test on 31.12.2026). Sleeps are relative and end; tests poll with them instead.
SYNCHRONISERS = {"Event", "Condition", "Semaphore", "BoundedSemaphore", "Lock", "RLock", "Barrier"}


def timed_waits(source: str, filename: str = "<source>") -> list[str]:
    """'file:line' of every timed wait on a threading object made in `source`."""
    tree = ast.parse(source, filename)
    made: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets
                       for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value] * len(targets)
            for target, value in zip(targets, values):
                if (isinstance(target, ast.Name) and isinstance(value, ast.Call)
                        and isinstance(value.func, ast.Attribute | ast.Name)
                        and (value.func.attr if isinstance(value.func, ast.Attribute) else value.func.id)
                        in SYNCHRONISERS):
                    made.add(target.id)
    return [f"{filename}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id in made
            and node.func.attr in ("wait", "acquire", "wait_for")
            and (node.args[1:] if node.func.attr == "wait_for" else node.args
                 or any(k.arg == "timeout" for k in node.keywords))]


def test_no_test_waits_on_a_deadline_the_faked_clock_moves() -> None:
    found = [hit for path in sorted((ROOT / "tests").rglob("*.py"))
             for hit in timed_waits(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert found == [], "Zeitgebundenes Warten hängt unter faketime (clock_sweep): mit time.sleep abfragen\n" + \
        "\n".join(found)


def test_the_sweep_finds_timed_waits() -> None:
    for sibling in ("done = threading.Event()\ndone.wait(3)", "a, b = Event(), Event()\nb.wait(timeout=1)",
                    "lock = threading.Lock()\nlock.acquire(timeout=2)", "c = threading.Condition()\nc.wait(0.5)"):
        assert timed_waits(sibling), sibling
    assert timed_waits("done = threading.Event()\ndone.wait()\nb = threading.Barrier(2)\nb.wait()\n"
                       "proc.wait(timeout=5)") == []
