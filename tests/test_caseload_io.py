"""Import of an existing caseload from CSV/XLSX, and its export."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from db.casework.caseload_io import COLUMNS, check_import, export_caseload, import_cases, read_upload, template
from db.errors import PermissionDenied, ValidationError
from db.store.models import Case, Client, Placement
from db.vocabulary import CaseStatus

from .conftest import World
from .helpers import audit_count

H = COLUMNS  # key -> German header


def row(**cells: str) -> dict[str, str]:
    values = {"client_number": "IMP-001", "first_name": "Karl", "last_name": "Import",
              "town": "Forst (Lausitz)", "status": "In Begleitung", "companion": "begleiter1",
              "case_manager": "fallmanager2", "referred_on": "01.10.2026",
              "first_interview_at": "08.10.2026 09:30", "birth_year": "1975"} | cells
    return {H[k]: v for k, v in values.items()}


def sheet(*rows: dict[str, str], fmt: str = "csv") -> tuple[str, bytes]:
    frame = pd.DataFrame([{h: r.get(h, "") for h in H.values()} for r in rows])
    if fmt == "csv":
        return "faelle.csv", frame.to_csv(sep=";", index=False).encode("utf-8-sig")
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return "faelle.xlsx", buffer.getvalue()


def counts(world: World) -> tuple[int, int]:
    with world.db.read() as session:
        return (session.scalar(select(func.count()).select_from(Client)) or 0,
                session.scalar(select(func.count()).select_from(Case)) or 0)


VALID = [
    row(),
    row(client_number="IMP-002", first_name="Lena", status="Zugewiesen", companion="",
        first_interview_at=""),
    row(client_number="IMP-003", first_name="Mia", status="Erstgespräch geplant",
        first_interview_at="10.12.2026 10:00", companion="Bianca Begleitmann (Demo)"),
    row(client_number="IMP-004", first_name="Otto", status="In Arbeit – Nachbetreuung",
        employer="Bäckerei Probemann (Demo)", job_start="01.11.2026"),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_valid_sheet_is_previewed_then_imported_in_full(world: World, fmt: str) -> None:
    lead = world.actor("leitung")
    before = counts(world)
    frame = read_upload(*sheet(*VALID, fmt=fmt))
    preview = check_import(world.db, lead, frame)
    assert preview.ok and [r.row for r in preview.rows] == [2, 3, 4, 5]
    assert counts(world) == before  # a preview writes nothing

    result = import_cases(world.db, lead, frame, "faelle." + fmt)
    assert (result.created, result.skipped) == (4, 0)
    assert counts(world) == (before[0] + 4, before[1] + 4)
    with world.db.read() as session:
        imported = {c.client.client_number: c for c in session.scalars(
            select(Case).join(Client).where(Client.client_number.like("IMP-%")))}
        assert imported["IMP-001"].status == CaseStatus.ACTIVE
        assert imported["IMP-001"].companion_id == world.user_id("begleiter1")
        assert imported["IMP-002"].companion_id is None
        assert imported["IMP-003"].first_interview_at.hour == 10
        placement = session.scalars(select(Placement).where(
            Placement.case_id == imported["IMP-004"].id)).one()
        assert placement.start_date.day == 1
    assert audit_count(world.db, action="import", entity="case") == 4
    assert audit_count(world.db, action="import", entity="caseload") == 1


def test_importing_the_same_file_again_creates_nothing(world: World) -> None:
    lead = world.actor("leitung")
    frame = read_upload(*sheet(*VALID))
    import_cases(world.db, lead, frame, "faelle.csv")
    after_first = counts(world)
    again = check_import(world.db, lead, frame)
    assert again.rows == [] and again.skipped == [2, 3, 4, 5] and again.ok
    assert import_cases(world.db, lead, frame, "faelle.csv").created == 0
    assert counts(world) == after_first


def test_every_kind_of_error_is_named_by_row_and_column_and_nothing_is_written(world: World) -> None:
    lead = world.actor("leitung")
    before = counts(world)
    bad = [
        row(client_number="E-01", companion="niemand"),                       # unknown companion
        row(client_number="E-02", referred_on="31.02.2026"),                  # bad date
        row(client_number="E-03", status="Irgendwie"),                        # unknown status
        row(client_number="E-04"), row(client_number="E-04", first_name="B"),  # duplicate number
        row(client_number="E-05", last_name=""),                               # missing name
        row(client_number="E-06", status="Beendet"),                           # closed case
        row(client_number="E-07", birth_year="neunzehn"),                      # not a year
        row(client_number="E-08", referred_on="01.01.2099"),                   # future
        row(client_number="E-09", status="Erstgespräch geplant", first_interview_at=""),
        row(client_number="E-10", status="In Arbeit – Nachbetreuung", employer="Unbekannt AG",
            job_start="01.11.2026"),
        row(client_number="DEMO-1003", first_name="Jemand", last_name="Anders"),  # someone else's number
        row(client_number="E-11", case_manager="begleiter1"),                  # not a case manager
        row(client_number="E-12"),                                             # fine on its own
    ]
    frame = read_upload(*sheet(*bad))
    problems = {(p.row, p.column) for p in check_import(world.db, lead, frame).problems}
    assert problems == {
        (2, H["companion"]), (3, H["referred_on"]), (4, H["status"]), (6, H["client_number"]),
        (7, H["last_name"]), (8, H["status"]), (9, H["birth_year"]), (10, H["referred_on"]),
        (11, H["first_interview_at"]), (12, H["employer"]), (13, H["client_number"]),
        (14, H["case_manager"]),
    }
    with pytest.raises(ValidationError, match="nichts gespeichert"):
        import_cases(world.db, lead, frame, "faelle.csv")
    assert counts(world) == before
    assert audit_count(world.db, action="import") == 0


def test_messages_are_german_and_say_what_is_wrong(world: World) -> None:
    frame = read_upload(*sheet(row(companion="niemand"), row(client_number="X-2", referred_on="gestern")))
    messages = [p.message for p in check_import(world.db, world.actor("leitung"), frame).problems]
    assert messages == ["„niemand“ ist keine aktive Person im Integrationsbegleitung",
                        "„gestern“ ist kein Datum (TT.MM.JJJJ)"]


def test_a_client_referred_between_preview_and_confirmation_is_skipped(world: World) -> None:
    lead = world.actor("leitung")
    frame = read_upload(*sheet(row()))
    assert len(check_import(world.db, lead, frame).rows) == 1
    import_cases(world.db, lead, read_upload(*sheet(row())), "other.csv")  # somebody else was quicker
    assert import_cases(world.db, lead, frame, "faelle.csv").created == 0


@pytest.mark.parametrize(("name", "data", "message"), [
    ("faelle.pdf", b"%PDF-1.4", "CSV- oder Excel"),
    ("faelle.xlsx", b"PK\x03\x04 not really a zip", "nicht lesen"),
    ("faelle.csv", "Name;Ort\nA;B\n".encode(), "Es fehlen Spalten"),
    ("faelle.csv", b"", "nicht lesen"),
])
def test_unreadable_files_get_a_clear_message(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        read_upload(name, data)


def test_windows_encoding_commas_and_blank_lines_are_read(world: World) -> None:
    frame = pd.DataFrame([{h: row(last_name="Müßig").get(h, "") for h in H.values()}])
    data = (frame.to_csv(sep=",", index=False) + ",,,,\n" * 50).encode("cp1252")
    parsed = read_upload("alt.csv", data)
    assert len(parsed) == 1 and parsed.iloc[0][H["last_name"]] == "Müßig"
    assert check_import(world.db, world.actor("leitung"), parsed).ok


def test_template_has_german_headers_and_checks_clean(world: World) -> None:
    for fmt in ("csv", "xlsx"):
        frame = read_upload(f"vorlage.{fmt}", template(fmt))
        assert list(frame.columns) == list(H.values())
        assert check_import(world.db, world.actor("leitung"), frame).ok


def test_export_is_formula_safe_audited_and_imports_again_as_nothing_new(world: World) -> None:
    lead = world.actor("leitung")
    import_cases(world.db, lead, read_upload(*sheet(row(first_name="=HYPERLINK(\"x\")"))), "f.csv")
    data = export_caseload(world.db, lead, "csv")
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=" not in text and ";=" not in text
    assert audit_count(world.db, action="export", entity="caseload") == 1
    frame = read_upload("export.csv", data)
    assert len(frame) == 35  # 3 referred + 20 planned + 11 active (demo) + the imported one
    again = check_import(world.db, lead, frame)
    assert again.ok and again.rows == [] and len(again.skipped) == 35
    xlsx = read_upload("export.xlsx", export_caseload(world.db, lead, "xlsx"))
    assert len(xlsx) == 35


def test_import_and_export_are_for_leads_only(world: World) -> None:
    frame = read_upload(*sheet(row()))
    for username in ("begleiter1", "fallmanager1", "kreistag", "admin"):
        actor = world.actor(username)
        with pytest.raises(PermissionDenied):
            check_import(world.db, actor, frame)
        with pytest.raises(PermissionDenied):
            import_cases(world.db, actor, frame, "x.csv")
        with pytest.raises(PermissionDenied):
            export_caseload(world.db, actor, "csv")
    assert audit_count(world.db, action="import") == 0


def test_dates_relative_to_today_are_checked(world: World) -> None:
    tomorrow = (world.today + timedelta(days=1)).strftime("%d.%m.%Y")
    frame = read_upload(*sheet(row(consent_date=tomorrow)))
    [problem] = check_import(world.db, world.actor("leitung"), frame).problems
    assert problem.column == H["consent_date"]
    assert problem.message.startswith("„Einwilligung am“ darf nicht in der Zukunft liegen")


def test_an_exported_no_show_is_skipped_on_re_import(world: World) -> None:
    from .helpers import case_in

    lead = world.actor("leitung")
    case_in(world.db, lead, CaseStatus.NO_SHOW, companion_id=world.user_id("begleiter1"),
            case_manager_id=world.user_id("fallmanager1"))
    frame = read_upload("export.csv", export_caseload(world.db, lead, "csv"))
    assert "Nicht erschienen" in set(frame[H["status"]])
    again = check_import(world.db, lead, frame)
    assert again.ok and again.rows == [] and len(again.skipped) == len(frame)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_sheet_with_too_many_rows_is_refused_while_reading(world: World, monkeypatch: pytest.MonkeyPatch,
                                                             fmt: str) -> None:
    """Reading stops at the limit (the rows are streamed): one row more is refused, blank lines
    between rows do not count, and a refused file writes nothing."""
    from db.casework import caseload_io

    monkeypatch.setattr(caseload_io, "MAX_ROWS", 50)
    fine = [row(client_number=f"L-{n:03d}") for n in range(50)]
    assert len(read_upload(*sheet(*fine, {}, {}, fmt=fmt))) == 50  # trailing blank lines ignored
    with pytest.raises(ValidationError, match="Zu viele Zeilen \\(höchstens 50\\)"):
        read_upload(*sheet(*fine, row(client_number="L-999"), fmt=fmt))
    before = counts(world)
    with pytest.raises(ValidationError):
        import_cases(world.db, world.actor("leitung"),
                     read_upload(*sheet(*fine, row(client_number="L-999"), fmt=fmt)), "f." + fmt)
    assert counts(world) == before


def test_an_xlsx_that_unpacks_too_large_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    from db.casework import caseload_io

    name, data = sheet(row(), fmt="xlsx")
    monkeypatch.setattr(caseload_io, "MAX_UNPACKED", 2_000)  # the small file unpacks to more
    monkeypatch.setattr(caseload_io, "load_workbook", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(ValidationError, match="entpackt zu groß"):
        read_upload(name, data)
