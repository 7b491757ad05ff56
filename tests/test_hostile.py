"""Hostile input: whatever people type or upload, a service either stores it as text or says
in German why not – it never crashes, never half-writes and never runs it as SQL or markup."""

from __future__ import annotations

import contextlib
import itertools
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bench.hostile_import import cell_row, sheet_with
from db.casework.activities import record_activity
from db.casework.caseload import CaseFilter, caseload, case_detail
from db.casework.caseload_io import MAX_LINES, check_import, read_upload
from db.casework.cases import NewClient, refer_client
from db.errors import ValidationError
from db.validation import clean_text
from db.store.models import Activity, Case
from db.vocabulary import ActivityKind, CaseStatus
from pages.ui.shown import plain

from .conftest import World

RUNS = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_numbers = itertools.count(1)

# Text as people and attackers produce it: every plane of Unicode, control characters included.
NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=20),
    st.sampled_from(["<script>alert(1)</script>", "**fett** _kursiv_ [Link](http://x.invalid)",
                     "Robert'); DROP TABLE clients;--", "' OR '1'='1", "😀👩‍👩‍👧", "=HYPERLINK(\"x\")",
                     "x" * 5000, "\u202eevil", "\x00null"]),
)


def count(world: World, model: type) -> int:
    with world.db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@RUNS
@given(first=NASTY, last=NASTY, town=NASTY, phone=NASTY)
def test_referral_stores_text_as_typed_or_refuses_it(world: World, first: str, last: str, town: str,
                                                     phone: str) -> None:
    lead = world.actor("leitung")
    before = count(world, Case)
    try:
        case_id = refer_client(world.db, lead, client=NewClient(
            client_number=f"H-{next(_numbers)}", first_name=first, last_name=last, town=town, phone=phone),
            case_manager_id=world.user_id("fallmanager1"))
    except ValidationError as exc:
        assert exc.message and count(world, Case) == before  # German message, nothing written
        return
    detail = case_detail(world.db, lead, case_id, new_view=False)
    assert (detail.first_name, detail.last_name) == (clean_text(first), clean_text(last))
    assert not any(ord(ch) < 32 for ch in detail.first_name + detail.last_name + detail.town)


@RUNS
@given(note=NASTY, day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_contact_notes_and_dates_are_checked(world: World, note: str, day: date) -> None:
    lead = world.actor("leitung")
    case_id = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0].case_id
    before = count(world, Activity)
    try:
        record_activity(world.db, lead, case_id, ActivityKind.HOME_VISIT, occurred_on=day, note=note)
    except ValidationError:
        assert count(world, Activity) == before
        return
    assert count(world, Activity) == before + 1
    assert day <= date.today()


@RUNS
@given(needle=NASTY)
def test_search_is_never_sql(world: World, needle: str) -> None:
    lead = world.actor("leitung")
    everything = caseload(world.db, lead, CaseFilter(), limit=1).total
    found = caseload(world.db, lead, CaseFilter(search=needle), limit=5)
    assert 0 <= found.total <= everything
    if needle.strip() in ("' OR '1'='1", "Robert'); DROP TABLE clients;--"):
        assert found.total == 0


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt"]))
def test_any_uploaded_bytes_give_a_frame_or_a_german_message(data: bytes, name: str) -> None:
    try:
        read_upload(name, data)
    except ValidationError as exc:
        assert exc.message


def test_blank_rows_within_the_limit_are_no_rows(world: World) -> None:
    header = "Kundennummer;Vorname;Nachname;Wohnort;Status;Zugewiesen am\n"
    frame = read_upload("leer.csv", (header + ";;;;;\n" * 1_000).encode())
    assert len(frame) == 0
    assert check_import(world.db, world.actor("leitung"), frame).rows == []


# Files that make a reader walk far more rows than they hold: a claimed size of 10^8 rows, one cell
# far down (with a claimed size that fits, or none), more explicitly blank rows than the limit.
# LIMIT stands in for MAX_LINES, which the tests lower to it: the same rule, smaller files.
LIMIT = 1_000
BOMBS = {
    "claimed size": lambda: sheet_with(cell_row(100_000_000), "A1:Q100000000"),
    "cell far down, no size": lambda: sheet_with(cell_row(100_000_000), None),
    "cell far down, size that lies": lambda: sheet_with(cell_row(100_000_000), "A1:Q2"),
    "cell just past the limit": lambda: sheet_with(cell_row(LIMIT + 1), None),
    "blank row elements": lambda: sheet_with(
        "".join(f'<row r="{n}"/>' for n in range(2, LIMIT + 2)), None),
    "blank rows with empty cells": lambda: sheet_with("".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t></t></is></c></row>'
        for n in range(2, LIMIT + 2)), None),
}


@pytest.mark.parametrize("bomb", BOMBS, ids=list(BOMBS))
def test_sheets_claiming_or_padding_many_rows_are_refused_by_what_is_read(
        bomb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from db.casework import caseload_io

    monkeypatch.setattr(caseload_io, "MAX_LINES", LIMIT)
    data = BOMBS[bomb]()
    with pytest.raises(ValidationError) as refused:
        read_upload("bombe.xlsx", data)
    limit = f"höchstens {LIMIT:,}".replace(",", ".")
    assert f"{limit} Zeilen, leere mitgezählt" in refused.value.message
    # The reader itself never hands out more than one row past the limit, whatever the file says.
    read = 0
    with contextlib.suppress(ValidationError):
        for _ in caseload_io._xlsx_rows(data):
            read += 1
    assert read <= LIMIT + 1


def test_the_limit_leaves_room_for_every_case_and_gaps() -> None:
    from db.casework.caseload_io import MAX_ROWS

    assert MAX_LINES > MAX_ROWS + 1


def test_csv_with_blank_lines_past_the_limit_is_refused() -> None:
    header = "Kundennummer;Vorname;Nachname;Wohnort;Status;Zugewiesen am\n"
    with pytest.raises(ValidationError, match="leere mitgezählt"):
        read_upload("leer.csv",
                    (header + "\n" * MAX_LINES + "K1;A;B;Forst;Zugewiesen;01.01.2026\n").encode())


def test_reading_stops_when_the_cpu_budget_is_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget, not a count, stops a file that is slow for a reason no limit here names."""
    from db.casework import caseload_io

    monkeypatch.setattr(caseload_io, "READ_SECONDS", -1.0)  # every row is over budget
    for fmt in ("csv", "xlsx"):
        name, data = f"a.{fmt}", caseload_io.template(fmt)
        with pytest.raises(ValidationError, match="Rechenzeit"):
            read_upload(name, data)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_plain_leaves_no_markdown_or_html_active(text: str) -> None:
    shown = plain(text)
    assert re.search(r"(?<!\\)[*_`#<>\[\]|~$]", shown.replace("\\\\", "")) is None


@pytest.mark.parametrize("needle", ["%", "_", "\\", "%_%"])
def test_like_wildcards_are_taken_literally(world: World, needle: str) -> None:
    assert caseload(world.db, world.actor("leitung"), CaseFilter(search=needle), limit=1).total == 0


@RUNS
@given(text=NASTY, due=st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))))
def test_next_steps_take_any_text_and_date_or_refuse(world: World, text: str, due: date | None) -> None:
    from db.casework.cases import set_next_step

    lead = world.actor("leitung")
    row = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
    try:
        set_next_step(world.db, lead, row.case_id, row.version, text, due)
    except ValidationError:
        return
    detail = case_detail(world.db, lead, row.case_id, new_view=False)
    assert detail.next_step == (clean_text(text, multiline=True) or None)


@RUNS
@given(name=NASTY, town=NASTY, contact=NASTY)
def test_employer_records_take_any_text_or_refuse(world: World, name: str, town: str, contact: str) -> None:
    from db.programme.employers import EmployerInput, list_employers, save_employer

    lead = world.actor("leitung")
    before = list_employers(world.db, lead)
    try:
        employer_id = save_employer(world.db, lead, EmployerInput(name=f"{name}{next(_numbers)}",
                                                                  town=town, contact_person=contact))
    except ValidationError:
        assert list_employers(world.db, lead) == before
        return
    saved = next(e for e in list_employers(world.db, lead) if e.id == employer_id)
    assert saved.town == (clean_text(town, multiline=True) or None)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_plain_defuses_directives_and_bare_links(text: str) -> None:
    shown = plain(text).replace("\\\\", "")
    assert re.search(r"(?<!\\):", shown) is None  # no :red[…] or :material/…: directive
    assert re.search(r"(?i)www\.|://", shown) is None  # no bare link Markdown would make active


@pytest.mark.parametrize("text", ["![x](http://host/x.png)", "<img src=x onerror=alert(1)>",
                                  "[klick](javascript:alert(1))", "www.beispiel.de", "http://host/x"])
def test_plain_shows_the_text_and_nothing_else(text: str) -> None:
    shown = plain(text)
    assert shown.replace("\\", "").replace("\u200b", "") == text


def test_bidi_overrides_are_removed_from_every_text() -> None:
    from db.validation import clean_text

    assert clean_text("Anna\u202eredeirF\u2066x\u2069") == "AnnaredeirFx"
