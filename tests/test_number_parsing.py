"""Numbers and ids read from text go through one parser that takes ASCII digits only
(db/validation.py: ascii_digits, ascii_number). "²".isdigit() is true, int("²") raises, int("٣")
is 3: each reader that took such a digit either crashed or stored a number nobody typed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from db.casework.caseload_io import COLUMNS, EXAMPLE_ROW, check_import
from db.casework.entry import EntryData, validated
from db.clock import today
from db.errors import ValidationError
from db.figures.periods import ReportingPeriod
from db.settings import ConfigurationError, session_limits
from db.validation import ascii_digits, ascii_number

from .conftest import World, log_in

ROOT = Path(__file__).resolve().parent.parent
# Digits str.isdigit() (or int()) takes that are not 0–9: superscript, Arabic-Indic, circled,
# full width, Devanagari, mathematical bold.
UNICODE_DIGITS = ["²", "٣", "①", "３", "७", "𝟗"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_the_parser_takes_ascii_digits_and_nothing_else(text: str) -> None:
    expected = int(text) if text and re.fullmatch(r"[0-9]+", text, re.ASCII) else None
    assert ascii_number(text) == expected
    assert ascii_digits(text) == (text if expected is not None else None)


@pytest.mark.parametrize("digit", UNICODE_DIGITS)
def test_the_case_page_shows_its_hint_for_a_unicode_digit_id(app: AppTest, digit: str) -> None:
    log_in(app, "begleiter1")
    app.query_params["id"] = digit
    app.switch_page("pages/case.py").run()
    assert not app.exception
    assert any("Bitte wählen Sie einen Fall" in info.value for info in app.info)


@pytest.mark.parametrize("digit", UNICODE_DIGITS)
def test_every_reader_of_numbers_refuses_unicode_digits(world: World, digit: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A quarter's key (stored releases, the council page's choice).
    with pytest.raises(ValueError):
        ReportingPeriod.from_key(f"202{digit}-Q3")
    with pytest.raises(ValueError):
        ReportingPeriod.from_key(f"2026-Q{digit}")
    # A setting from the environment.
    with pytest.raises(ConfigurationError, match="Ziffern 0–9"):
        session_limits({"SESSION_IDLE_MINUTES": f"6{digit}"})
    # A postcode typed in a form or a sheet.
    with pytest.raises(ValidationError, match="Postleitzahl"):
        validated(EntryData(postcode=f"0317{digit}"), on=today())
    # A birth year in an imported sheet: a problem of its row, not a year nobody wrote.
    row = {**EXAMPLE_ROW, "client_number": "U-1", "birth_year": f"19{digit}9"}
    frame = pd.DataFrame([{COLUMNS[k]: v for k, v in row.items()}])
    problems = check_import(world.db, world.actor("leitung"), frame).problems
    assert any(p.column == COLUMNS["birth_year"] and "keine Jahreszahl" in p.message for p in problems)


def _sources() -> list[Path]:
    return [*ROOT.glob("db/**/*.py"), *ROOT.glob("pages/**/*.py"), ROOT / "app.py"]


def test_no_other_reader_asks_str_whether_it_is_a_digit() -> None:
    """The sweep for the next one: str.isdigit/isdecimal/isnumeric and a regular expression's
    \\d (all Unicode digits in Python) appear nowhere but in the one parser's module."""
    found = []
    for path in _sources():
        if path == ROOT / "db" / "validation.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in ("isdigit", "isdecimal", "isnumeric"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}()")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and "\\d" in str(node.args[0].value)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} re with \\d")
    assert found == []
