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
