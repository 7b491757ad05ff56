"""Hostile input: whatever people type or upload, a service either stores it as text or says
in German why not – it never crashes, never half-writes and never runs it as SQL or markup."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import zipfile
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bench.hostile_import import cell_row, sheet_with, styles_bomb, wide_row
from db.casework.activities import record_activity
from db.casework.caseload import CaseFilter, caseload, case_detail
from db.casework import xlsx_bounds
from db.casework.caseload_io import COLUMNS, MAX_LINES, check_import, read_upload
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


# Every bound of the pre-scan (db/casework/xlsx_bounds.py) as a pair: the file at the bound
# passes, one element more is refused with a German message naming the bound. MAX_LINES is
# lowered to LIMIT where the total depends on it. A new bound gets its pair here.
def _extra_part(name: str, xml: str) -> Callable[[], bytes]:
    """The template's header plus one more zip member (no relationship points at it: the
    pre-scan goes by content, not by name)."""
    def make() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(sheet_with("", None))) as source, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                target.writestr(item, source.read(item.filename))
            target.writestr(name, xml)
        return out.getvalue()
    return make


def _rows(count: int, cells: int) -> str:
    return "".join(f'<row r="{n}">' + "<c/>" * cells + "</row>" for n in range(2, count + 2))


def _strings(count: int) -> str:
    return f'<sst xmlns="{MAIN}">' + "<si><t>x</t></si>" * count + "</sst>"


def _style_entries() -> int:
    """The entries (fonts, fills, formats …) openpyxl writes into every workbook's styles."""
    from xml.etree import ElementTree

    with zipfile.ZipFile(io.BytesIO(sheet_with("", None))) as archive:
        root = ElementTree.fromstring(archive.read("xl/styles.xml"))
    return sum(len(collection) for collection in root)


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = len(COLUMNS)  # the cells of the template's header (inline strings: no shared ones)
BOUNDS = {  # name: (bound, file with n elements, words of the refusal)
    "cells in one row": (xlsx_bounds.MAX_ROW_CELLS, wide_row, "je Zeile"),
    "style entries": (xlsx_bounds.MAX_STYLE_ENTRIES - _style_entries(), styles_bomb, "Formatvorlagen (höchstens 5.000)"),
    "elements in one cell": (xlsx_bounds.MAX_CELL_ELEMENTS - 1, lambda n: sheet_with(
        '<row r="2"><c t="inlineStr"><is>' + "<r><t>x</t></r>" * (n // 2) + "<t>x</t>" * (n % 2)
        + "</is></c></row>", None), "Elemente je Zelle"),
    "cells of all sheets": (LIMIT * xlsx_bounds.MAX_ROW_CELLS - HEADER, lambda n: _extra_part(
        "xl/media/image9.png",  # a worksheet under a picture's name counts as a worksheet
        f'<worksheet xmlns="{MAIN}"><sheetData>{_rows(n // 100, 100)}{_rows(1, n % 100)}'
        "</sheetData></worksheet>")(), "zu viele Zellen (höchstens 100.000)"),
    "shared strings": (LIMIT * xlsx_bounds.MAX_ROW_CELLS, lambda n: _extra_part(
        "xl/sharedStrings2.xml", _strings(n))(), "mehr Texte"),
    "elements of any other part": (xlsx_bounds.MAX_PART_ELEMENTS - 1, lambda n: _extra_part(
        "customXml/item9.xml", "<names>" + "<n/>" * n + "</names>")(), "höchstens 100.000 Elemente"),
}


@pytest.mark.parametrize("bound", BOUNDS, ids=list(BOUNDS))
def test_each_bound_of_the_pre_scan_admits_its_limit_and_refuses_one_more(
        bound: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from db.casework import caseload_io

    monkeypatch.setattr(caseload_io, "MAX_LINES", LIMIT)
    limit, make, words = BOUNDS[bound]
    with zipfile.ZipFile(io.BytesIO(make(limit))) as archive:  # at the bound: passes the scan
        xlsx_bounds.check_xlsx_parts(archive, max_lines=LIMIT, too_many_lines=ValueError)
    with pytest.raises(ValidationError) as refused:
        read_upload("bombe.xlsx", make(limit + 1))
    assert words in refused.value.message


@pytest.mark.parametrize("make", [lambda: wide_row(2_000_000), lambda: styles_bomb(2_500_000)],
                         ids=["2.000.000 cells in a row", "2.500.000 <xf/>"])
def test_the_auditors_bombs_are_refused_before_openpyxl_reads_them(make: Callable[[], bytes]) -> None:
    data = make()
    assert len(data) < 30_000  # what the bomb is: a few kilobytes
    with pytest.raises(ValidationError, match="höchstens"):
        read_upload("bombe.xlsx", data)


def test_a_styles_part_over_its_size_is_refused_unread() -> None:
    with pytest.raises(ValidationError, match="höchstens 1 MB entpackt"):
        read_upload("bombe.xlsx", styles_bomb(xlsx_bounds.MAX_STYLES_BYTES // 5))


def test_a_doctype_is_no_xlsx() -> None:
    """Entity expansion needs a DOCTYPE; no workbook part has one."""
    make = _extra_part("docProps/custom9.xml",
                       '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(ValidationError, match="nicht lesen"):
        read_upload("bombe.xlsx", make())


def test_ordinary_workbooks_pass_the_pre_scan() -> None:
    """The template, and a workbook as people save it: shared strings, styles, dates, two sheets."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from db.casework.caseload_io import EXAMPLE_ROW, template

    assert len(read_upload("vorlage.xlsx", template("xlsx"))) == 1
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS.values()))
    for n in range(300):
        sheet.append([f"K{n}", *(EXAMPLE_ROW[k] for k in list(COLUMNS)[1:])])
    for n, cell in enumerate(sheet[1]):
        cell.font = Font(bold=True, color=f"FF{n:02d}0000")
        cell.fill = PatternFill("solid", fgColor=f"FF00{n:02d}00")
    book.create_sheet("Notizen").append(["frei"] * 30)
    buffer = io.BytesIO()
    book.save(buffer)
    assert len(read_upload("faelle.xlsx", buffer.getvalue())) == 300


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


def test_clean_text_takes_its_short_way_only_for_texts_it_would_keep() -> None:
    """clean_text skips its character loop when nothing in the text is a control or bidi
    character (it runs on every shown cell): on every code point of Unicode it must answer as
    the loop does – Unicode's category Cc – between letters, in both modes."""
    import unicodedata

    from db.validation import BIDI_CONTROLS, CONTROLS

    assert {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"} == CONTROLS

    def by_loop(text: str, multiline: bool) -> str:
        kept = "\n\t" if multiline else ""
        return "".join(ch if ch in kept or (unicodedata.category(ch) != "Cc" and ch not in BIDI_CONTROLS)
                       else (" " if ch in "\n\r\t" else "") for ch in text).strip()

    for ch in [*map(chr, range(0x3000)), *BIDI_CONTROLS, "\ufeff", "\U0001f600", "\U000e0001"]:
        for multiline in (False, True):
            assert clean_text(f"a{ch}b", multiline=multiline) == by_loop(f"a{ch}b", multiline), hex(ord(ch))
    assert clean_text(" \u202eAnna\x00 ") == "Anna" and clean_text(None) == ""
