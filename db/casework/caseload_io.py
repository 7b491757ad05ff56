"""The caseload as a spreadsheet: template, import of an existing caseload, export.

Most teams start from a spreadsheet. An import is checked row by row first (a German message
per row and column); nothing is written until the user confirms, and then it is one
transaction: all rows or none. A client number already in the programme with an open case is
skipped, so importing the same file twice creates nothing twice.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import thread_time

import pandas as pd
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.permissions import case_scope, require_role
from ..actors import Actor
from ..clock import today
from ..errors import ValidationError
from ..reporting.cells import safe_frame
from ..store.audit import audit
from ..store.database import Database, batched
from ..store.models import Activity, Case, Client, Employer, Placement, StatusChange, User
from ..validation import (ascii_number, clean_text, not_in_future, not_in_past, plausible_birth_year,
                          plausible_day)
from ..vocabulary import ActivityKind, CaseStatus, JobKind, ReferralSource, Role
from .entry import EntryData, validated
from .identity import Entered, KnownPerson, known_persons
from .rules import PERSON_LIMITS, REQUIRED_PERSON, History, history_breaches, person_breaches
from .workflow import ACCOMPANIED, OPEN_STATUSES
from .xlsx_bounds import check_xlsx_parts

# Column key -> German header, in the template's order.
COLUMNS: dict[str, str] = {
    "client_number": "Kundennummer",
    "first_name": "Vorname",
    "last_name": "Nachname",
    "birth_year": "Geburtsjahr",
    "birth_date": "Geburtsdatum",
    "postcode": "Postleitzahl",
    "town": "Wohnort",
    "phone": "Telefon",
    "consent_date": "Einwilligung am",
    "status": "Status",
    "companion": "Integrationsbegleitung",
    "case_manager": "Fallmanagement",
    "referred_on": "Zugewiesen am",
    "first_interview_at": "Erstgespräch am",
    "start_date": "Begleitung seit",
    "employer": "Arbeitgeber",
    "job_start": "Arbeitsbeginn",
    "next_step": "Nächster Schritt",
    "next_step_due": "Fällig am",
}
# Required cells and their limits: the person's from the one rule set (db/casework/rules.py).
REQUIRED = (*REQUIRED_PERSON, "status", "referred_on")
LIMITS = {**PERSON_LIMITS, "phone": 64, "next_step": 1000}
# Only running cases come over; a closed case belongs to the old file, not to the caseload.
IMPORTABLE = (CaseStatus.REFERRED, CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED)
MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
IMPORT_NOTE = "Übernommen aus Tabelle"

EXAMPLE_ROW = {
    "client_number": "123D456789", "first_name": "Erika", "last_name": "Beispiel",
    "birth_year": "1979", "birth_date": "14.05.1979", "postcode": "03172", "town": "Guben",
    "phone": "03561 000000", "consent_date": "02.03.2026",
    "status": "In Begleitung", "companion": "begleiter1", "case_manager": "fallmanager1",
    "referred_on": "01.03.2026", "first_interview_at": "05.03.2026 10:00",
    "start_date": "05.03.2026", "employer": "", "job_start": "",
    "next_step": "Termin Fahrschule vereinbaren", "next_step_due": "15.03.2026",
}


def require_import_rights(actor: Actor) -> None:
    """Import and export of the whole caseload: the team lead's (one place for the rule)."""
    require_role(actor, Role.LEAD)


# --- files ---------------------------------------------------------------------------------------


def template(fmt: str) -> bytes:
    """An empty sheet with the German headers and one example row to overwrite: its dates
    relative to today, so that the example passes the rules it shows (a due date ahead)."""
    frame = pd.DataFrame([{**EXAMPLE_ROW, **_example_dates(today())}])
    return _encode(frame.rename(columns=COLUMNS)[list(COLUMNS.values())], fmt)


def _example_dates(day: date) -> dict[str, str]:
    referred, held = day - timedelta(days=30), day - timedelta(days=25)
    return {"consent_date": f"{referred + timedelta(days=1):%d.%m.%Y}", "referred_on": f"{referred:%d.%m.%Y}",
            "first_interview_at": f"{held:%d.%m.%Y} 10:00", "start_date": f"{held:%d.%m.%Y}",
            "next_step_due": f"{day + timedelta(days=14):%d.%m.%Y}"}


def _encode(frame: pd.DataFrame, fmt: str) -> bytes:
    frame = safe_frame(frame).reset_index(drop=True)
    if fmt == "csv":
        # Semicolons and a byte-order mark: what German Excel opens without an import dialog.
        return frame.to_csv(sep=";", index=False).encode("utf-8-sig")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="Fälle", index=False)
    return buffer.getvalue()


def read_upload(filename: str, data: bytes) -> pd.DataFrame:
    """The uploaded sheet as text cells with German headers; a clear error if it is unreadable."""
    if len(data) > MAX_BYTES:
        raise ValidationError("Die Datei ist zu groß (höchstens 10 MB).", "file")
    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            rows = _xlsx_rows(data)
        elif name.endswith(".csv"):
            rows = _csv_rows(data)
        else:
            raise ValidationError("Bitte eine CSV- oder Excel-Datei (.xlsx) hochladen.", "file")
        frame = _bounded_frame(rows)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - any parser failure means the same to the user
        raise ValidationError("Die Datei lässt sich nicht lesen. Ist sie eine gültige CSV- oder "
                              "Excel-Datei?", "file") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [label for key, label in COLUMNS.items() if key in REQUIRED and label not in frame.columns]
    if missing:
        raise ValidationError("Es fehlen Spalten: " + ", ".join(missing) +
                              ". Bitte die Vorlage verwenden.", "file")
    return frame.map(_cell_text)


# Rows and columns are read one at a time and reading stops at the limit: a small file can
# unpack to hundreds of thousands of rows (an xlsx is a zip), and a page must not spend minutes
# and a gigabyte on a file it refuses anyway. What bounds the work is what is read, not what is
# kept: blank rows count too (a reader hands out every row up to the last filled one, and an
# xlsx may claim a size such as A1:Q100000000), and the reading thread has a CPU-time budget.
MAX_COLUMNS = 2 * len(COLUMNS)
MAX_LINES = 50_000  # rows read, blank ones included: 20,000 cases and room for gaps
READ_SECONDS = 30.0  # CPU seconds of the reading thread (21,000 full template rows: about 10 s)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _too_many_lines(row: int, *, claimed: bool) -> ValidationError:
    where = f"reicht laut Datei bis Zeile {_number(row)}" if claimed else "ist länger"
    return ValidationError(f"Die Tabelle {where}: erlaubt sind höchstens {_number(MAX_LINES)} "
                           "Zeilen, leere mitgezählt. Bitte nur den Bereich mit den Fällen "
                           f"speichern (höchstens {_number(MAX_ROWS)} Fälle).", "file")


def _csv_rows(data: bytes) -> Iterator[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")  # older German Excel saves CSV in Windows-1252
    first_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";"
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        yield row[:MAX_COLUMNS]


# An xlsx is a zip: what it unpacks to is checked before any XML is parsed. 20,000 rows of the
# template with long next steps unpack to well under this.
MAX_UNPACKED = 64 * 1024 * 1024


def _xlsx_rows(data: bytes) -> Iterator[list[object]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED:
            raise ValidationError("Die Datei ist entpackt zu groß (höchstens 64 MB). Bitte nur die "
                                  "Tabelle der Fälle, höchstens 20.000 Zeilen.", "file")
        # Rows, cells per row, styles, shared strings: counted before openpyxl builds one object.
        check_xlsx_parts(archive, max_lines=MAX_LINES,
                         too_many_lines=lambda row: _too_many_lines(row, claimed=False))
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)  # streams the sheet
    try:
        sheet = book.worksheets[0]
        if (sheet.max_row or 0) > MAX_LINES:  # the size the file claims, refused before reading
            raise _too_many_lines(sheet.max_row, claimed=True)
        # openpyxl fills gaps and a claimed size with blank rows: it is asked for one row past
        # the limit at most, whatever the file says (_bounded_frame refuses that one).
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, max_row=MAX_LINES + 1, values_only=True):
            yield list(row)
    finally:
        book.close()


def _bounded_frame(rows: Iterator[list[object]]) -> pd.DataFrame:
    """Header and at most MAX_ROWS non-blank rows out of at most MAX_LINES rows read, within
    READ_SECONDS of CPU time; one more of any and reading stops with a refusal."""
    started = thread_time()  # the reading thread's own CPU: other sessions' work does not count
    header = next(rows, None)
    if header is None:
        raise ValueError("no header")  # read_upload: "lässt sich nicht lesen"
    while header and _cell_text(header[-1]) == "":
        header = header[:-1]  # a sheet read to a fixed width has empty columns on the right
    width = len(header)
    body: list[list[object]] = []
    positions: list[int] = []  # each row's place under the header, so messages name its line
    for position, row in enumerate(rows):
        if position + 2 > MAX_LINES:  # its line in the file: after the header, 1-based
            raise _too_many_lines(position + 2, claimed=False)
        if thread_time() - started > READ_SECONDS:
            raise ValidationError(f"Die Datei braucht zu lange zum Lesen (mehr als "
                                  f"{READ_SECONDS:.0f} Sekunden Rechenzeit, abgebrochen bei Zeile "
                                  f"{_number(position + 2)}). Bitte nur die Tabelle der Fälle "
                                  "speichern, ohne Formeln und Formatierung ganzer Zeilen.", "file")
        if all(_cell_text(v) == "" for v in row):
            continue  # blank lines (at the end of a sheet) are no rows
        if len(body) == MAX_ROWS:
            raise ValidationError(f"Zu viele Zeilen (höchstens {_number(MAX_ROWS)}).", "file")
        body.append((list(row) + [None] * width)[:width])
        positions.append(position)
    return pd.DataFrame(body, index=positions, columns=[str(h) if h is not None else "" for h in header],
                        dtype=object)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M") if value.time() != time(0) else value.strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 1979 as 1979.0
    text = clean_text(str(value))
    return text.removeprefix("'")  # our own exports escape formulas so


# --- checking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    @property
    def text(self) -> str:
        return f"Zeile {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class ImportRow:
    row: int
    client_number: str
    first_name: str
    last_name: str
    town: str
    birth_year: int | None
    phone: str | None
    consent_date: date | None
    status: CaseStatus
    companion_id: int | None
    case_manager_id: int | None
    referred_on: date
    first_interview_at: datetime | None
    start_date: date | None
    employer_id: int | None
    job_start: date | None
    next_step: str | None
    next_step_due: date | None
    existing_client_id: int | None = None
    birth_date: date | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class LikelyKnown:
    """A row whose person is probably a stored client under another number: the lead decides."""

    row: int
    known: KnownPerson

    @property
    def pair(self) -> tuple[int, int]:
        """What a confirmation names: this row is not that stored client."""
        return self.row, self.known.match.client_id

    @property
    def text(self) -> str:
        match = self.known.match
        return (f"Zeile {self.row}: vermutlich {match.name} ({match.town}), Kundennummer "
                f"{match.client_number} – {self.known.reason}")


@dataclass
class ImportCheck:
    rows: list[ImportRow] = field(default_factory=list)  # to be created
    skipped: list[int] = field(default_factory=list)  # row numbers already in the programme
    problems: list[Problem] = field(default_factory=list)
    likely_known: list[LikelyKnown] = field(default_factory=list)  # created only if confirmed

    @property
    def ok(self) -> bool:
        return not self.problems


def _parse_date(text: str) -> date:
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _parse_datetime(text: str) -> datetime:
    for fmt in ("%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return datetime.combine(_parse_date(text), time(10))  # a date alone: the usual 10 o'clock


_STATUS_NAMES = {name.casefold(): s for s in CaseStatus for name in (s.label, s.value)}


class _RowReader:
    """Reads one row's cells, collecting a problem per bad cell instead of stopping at the first."""

    def __init__(self, number: int, cells: dict[str, str], problems: list[Problem]) -> None:
        self.number = number
        self.cells = cells
        self.problems = problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.number, COLUMNS[key], message))

    def text(self, key: str) -> str | None:
        value = self.cells.get(COLUMNS[key], "").strip()
        if not value:
            if key in REQUIRED:
                self.problem(key, "fehlt")
            return None
        if key in LIMITS and len(value) > LIMITS[key]:
            self.problem(key, f"zu lang (höchstens {LIMITS[key]} Zeichen)")
            return None
        return value

    def day(self, key: str, rule: Callable[[date, str, str], date] = plausible_day) -> date | None:
        """A date cell, checked by `rule` (db.validation: plausible, not in the future …); the
        events of the history are checked together afterwards (rules.history_breaches)."""
        value = self.text(key)
        if value is None:
            return None
        try:
            return rule(_parse_date(value), key, COLUMNS[key])
        except ValueError:
            self.problem(key, f"„{value}“ ist kein Datum (TT.MM.JJJJ)")
        except ValidationError as exc:
            self.problem(key, exc.message)
        return None


def _people(session: Session, role: Role) -> dict[str, int]:
    """Active staff of a role by user name and by display name (either may be in the sheet)."""
    rows = session.execute(select(User.id, User.username, User.display_name)
                           .where(User.role == role, User.active.is_(True))).all()
    names: dict[str, int] = {}
    for uid, username, display in rows:
        names[username.casefold()] = uid
        names[display.casefold()] = uid
    return names


def _check(session: Session, frame: pd.DataFrame) -> ImportCheck:
    check = ImportCheck()
    companions = _people(session, Role.COMPANION)
    case_managers = _people(session, Role.CASE_MANAGER)
    employers = {name.casefold(): eid for eid, name in session.execute(select(Employer.id, Employer.name))}
    numbers = [str(n).strip() for n in frame.get(COLUMNS["client_number"], pd.Series(dtype=str))]
    known = _known_clients(session, [n for n in numbers if n])
    seen = Counter[str]()

    for offset, cells in enumerate(frame.to_dict("records")):
        r = _RowReader(offset + 2, cells, check.problems)
        before = len(check.problems)
        number = r.text("client_number")
        first_name, last_name, town = r.text("first_name"), r.text("last_name"), r.text("town")
        if number is not None:
            seen[number] += 1
            if seen[number] > 1:
                r.problem("client_number", f"{number} steht mehrfach in der Datei")
        existing = known.get(number) if number else None
        if existing is not None:
            _, known_first, known_last, has_open_case = existing
            same_person = (known_first.casefold(), known_last.casefold()) == (
                (first_name or "").casefold(), (last_name or "").casefold())
            if same_person and has_open_case and len(check.problems) == before:
                # Imported before, or referred since: nothing to do, whatever the other cells say
                # (an export of the caseload holds statuses an import does not take, like no-shows).
                check.skipped.append(r.number)
                continue
        birth_year = None
        if raw_year := r.text("birth_year"):
            try:
                if (year := ascii_number(raw_year)) is None:
                    raise ValueError(raw_year)
                birth_year = plausible_birth_year(year)
            except ValueError:
                r.problem("birth_year", f"„{raw_year}“ ist keine Jahreszahl")
            except ValidationError as exc:
                r.problem("birth_year", exc.message)
        status = None
        if raw_status := r.text("status"):
            status = _STATUS_NAMES.get(raw_status.casefold())
            if status is None:
                r.problem("status", f"unbekannter Status „{raw_status}“")
            elif status not in IMPORTABLE:
                r.problem("status", f"„{status.label}“: nur laufende Fälle werden übernommen")
                status = None
        companion_id = _person(r, "companion", companions)
        if status is not None and status != CaseStatus.REFERRED and companion_id is None \
                and not r.cells.get(COLUMNS["companion"], "").strip():
            r.problem("companion", f"für „{status.label}“ nötig")
        case_manager_id = _person(r, "case_manager", case_managers)
        referred_on = r.day("referred_on")
        consent_date = r.day("consent_date", not_in_future)
        interview_at = None
        if raw_interview := r.text("first_interview_at"):
            try:
                interview_at = _parse_datetime(raw_interview)
            except ValueError:
                r.problem("first_interview_at", f"„{raw_interview}“ ist kein Datum (TT.MM.JJJJ HH:MM)")
        if status == CaseStatus.INTERVIEW_PLANNED and not raw_interview:
            r.problem("first_interview_at", "für „Erstgespräch geplant“ nötig")
        start_date = r.day("start_date")
        employer_id = job_start = None
        if status == CaseStatus.EMPLOYED:
            raw_employer = r.text("employer")
            employer_id = employers.get(raw_employer.casefold()) if raw_employer else None
            if raw_employer and employer_id is None:
                r.problem("employer", f"unbekannter Arbeitgeber „{raw_employer}“")
            elif not raw_employer:
                r.problem("employer", "für „In Arbeit – Nachbetreuung“ nötig")
            job_start = r.day("job_start")
            if job_start is None and not r.cells.get(COLUMNS["job_start"], "").strip():
                r.problem("job_start", "für „In Arbeit – Nachbetreuung“ nötig")
        next_step = r.text("next_step")
        next_step_due = r.day("next_step_due", not_in_past)
        phone = r.text("phone")
        birth_date, postcode = r.day("birth_date"), r.text("postcode")
        try:  # the referral form's rule for both (db/casework/entry.py)
            person = validated(EntryData(birth_date=birth_date, postcode=postcode), on=today())
            birth_date, postcode = person.birth_date, person.postcode
        except ValidationError as exc:
            r.problem("birth_date" if "Geburtsdatum" in exc.message else "postcode", exc.message)
        # The same rules as every form (db/casework/rules.py): the person, the events' order.
        for breach in person_breaches({"phone": phone, "client_number": number, "first_name": first_name,
                                       "last_name": last_name, "town": town}):
            if breach.field == "phone":  # the required cells were named above already
                r.problem("phone", breach.message)
        accompanied = status in ACCOMPANIED
        for breach in history_breaches(History(
                referred_on, interview_at.date() if interview_at else None,
                _start(start_date, interview_at, referred_on) if accompanied and referred_on else None,
                job_start)):
            r.problem(breach.field, breach.message)

        if existing is not None and (known_first.casefold(), known_last.casefold()) != (
                (first_name or "").casefold(), (last_name or "").casefold()):
            r.problem("client_number", f"{number} gehört zu einer anderen Person")
        if len(check.problems) > before:
            continue
        assert number and first_name and last_name and town and status and referred_on
        check.rows.append(ImportRow(
            row=r.number, client_number=number, first_name=first_name, last_name=last_name,
            town=town, birth_year=birth_year, phone=phone, consent_date=consent_date,
            status=status, companion_id=companion_id, case_manager_id=case_manager_id,
            referred_on=referred_on, first_interview_at=interview_at,
            start_date=start_date if status in ACCOMPANIED else None,
            employer_id=employer_id, job_start=job_start, next_step=next_step,
            next_step_due=next_step_due, existing_client_id=existing[0] if existing else None,
            birth_date=birth_date, postcode=postcode,
        ))
    _known_persons(session, check)
    return check


def _known_persons(session: Session, check: ImportCheck) -> None:
    """The referral's duplicate check for every new person of the file: spelled alike with the
    same postcode or birth date as a stored client is a problem of the row (their number
    belongs in it); only sounding alike is listed for the lead to decide."""
    new = [row for row in check.rows if row.existing_client_id is None]
    found = known_persons(session, [Entered(row.first_name, row.last_name, row.postcode, row.birth_date)
                                    for row in new])
    refused = set()
    for row, known in zip(new, found, strict=True):
        if known is None:
            continue
        if known.exact:
            refused.add(row.row)
            check.problems.append(Problem(row.row, COLUMNS["client_number"], (
                f"{known.match.name} ist bereits unter der Kundennummer {known.match.client_number} "
                f"erfasst ({known.reason}): bitte diese Kundennummer eintragen")))
        else:
            check.likely_known.append(LikelyKnown(row.row, known))
    check.rows = [row for row in check.rows if row.row not in refused]


def _person(r: _RowReader, key: str, people: dict[str, int]) -> int | None:
    name = r.text(key)
    if name is None:
        return None
    found = people.get(name.casefold())
    if found is None:
        role = "Integrationsbegleitung" if key == "companion" else "Fallmanagement"
        r.problem(key, f"„{name}“ ist keine aktive Person im {role}")
    return found


def _known_clients(session: Session, numbers: list[str]) -> dict[str, tuple[int, str, str, bool]]:
    """Client numbers of the file that exist already: id, names, and whether a case is open."""
    known: dict[str, tuple[int, str, str, bool]] = {}
    open_case = (select(func.count()).where(Case.client_id == Client.id, Case.status.in_(OPEN_STATUSES))
                 .correlate(Client).scalar_subquery())
    for part in batched(numbers):
        for cid, number, first, last, n_open in session.execute(
                select(Client.id, Client.client_number, Client.first_name, Client.last_name, open_case)
                .where(Client.client_number.in_(part))):
            known[number] = (cid, first, last, n_open > 0)
    return known


def check_import(db: Database, actor: Actor, frame: pd.DataFrame) -> ImportCheck:
    """The preview: what would be created, what is skipped, and every problem found."""
    require_import_rights(actor)
    with db.read() as session:
        return _check(session, frame)


# --- writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int


def import_cases(db: Database, actor: Actor, frame: pd.DataFrame, filename: str, *,
                 confirmed_others: Collection[tuple[int, int]] = ()) -> ImportResult:
    """Write the checked sheet: one transaction, audited; refuses if any row has a problem, or
    a row's person is probably a stored client and the lead has not confirmed that they are
    somebody else (`confirmed_others`: the (row, client id) pairs shown, LikelyKnown.pair).

    The rows are checked again inside the transaction, so a change made between preview and
    confirmation (somebody referred one of the clients meanwhile) cannot slip through.
    """
    require_import_rights(actor)
    with db.write() as session:
        check = _check(session, frame)
        if not check.ok:
            shown = "; ".join(p.text for p in check.problems[:3])
            more = f" (und {len(check.problems) - 3} weitere)" if len(check.problems) > 3 else ""
            raise ValidationError(
                f"Import abgebrochen: {len(check.problems)} Fehler in der Datei – {shown}{more}. "
                "Es wurde nichts gespeichert.", "file")
        unconfirmed = [likely for likely in check.likely_known if likely.pair not in set(confirmed_others)]
        if unconfirmed:
            raise ValidationError(
                f"Import angehalten: {len(unconfirmed)} Personen sind vermutlich schon erfasst – "
                + "; ".join(likely.text for likely in unconfirmed[:3])
                + ". Bitte die Kundennummern prüfen oder bestätigen, dass es andere Personen sind. "
                "Es wurde nichts gespeichert.", "file")
        clients = [
            Client(client_number=row.client_number, first_name=row.first_name, last_name=row.last_name,
                   town=row.town, birth_year=row.birth_year, phone=row.phone, consent_date=row.consent_date,
                   birth_date=row.birth_date, postcode=row.postcode)
            for row in check.rows if row.existing_client_id is None
        ]
        session.add_all(clients)
        session.flush()  # one batched INSERT; the ids come back with it
        client_ids = {c.client_number: c.id for c in clients}
        cases = [_case(row, row.existing_client_id or client_ids[row.client_number], actor)
                 for row in check.rows]
        session.add_all(cases)
        session.flush()
        for row, case in zip(check.rows, cases, strict=True):
            # The same events the forms make, each on its own day: the history, the Erstgespräch
            # as a contact, the job. Every figure then counts an imported case like any other.
            for source, target, on in _history(row, case):
                session.add(StatusChange(case_id=case.id, from_status=source, to_status=target,
                                         changed_on=on, changed_by_id=actor.id, reason=IMPORT_NOTE))
            if case.start_date is not None:
                session.add(Activity(case_id=case.id, kind=ActivityKind.FIRST_INTERVIEW,
                                     occurred_on=case.start_date, created_by_id=actor.id, note=IMPORT_NOTE))
            if row.status == CaseStatus.EMPLOYED:
                session.add(Placement(case_id=case.id, employer_id=row.employer_id,
                                      job_kind=JobKind.FULL_TIME, start_date=row.job_start))
            audit(session, actor, "import", "case", case.id,
                  {"status": row.status, "client_id": case.client_id, "row": row.row})
        audit(session, actor, "import", "caseload", None,
              {"file": filename[:200], "created": len(cases), "skipped": len(check.skipped),
               # confirmed as others than these records: [row, client id] (ids, never names)
               **({"other_than_client_ids": [list(likely.pair) for likely in check.likely_known]}
                  if check.likely_known else {})})
        return ImportResult(created=len(cases), skipped=len(check.skipped))


def _history(row: ImportRow, case: Case) -> list[tuple[CaseStatus | None, CaseStatus, date]]:
    """The status changes the forms would have recorded on the way to the row's status. The day
    an appointment was made is not in the sheet: the referral day stands for it."""
    steps: list[tuple[CaseStatus | None, CaseStatus, date]] = [(None, CaseStatus.REFERRED, row.referred_on)]
    if row.status != CaseStatus.REFERRED:
        steps.append((CaseStatus.REFERRED, CaseStatus.INTERVIEW_PLANNED, row.referred_on))
    if case.start_date is not None:  # the Erstgespräch was held: accompaniment began that day
        steps.append((CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, case.start_date))
    if row.status == CaseStatus.EMPLOYED:
        steps.append((CaseStatus.ACTIVE, CaseStatus.EMPLOYED, row.job_start or case.start_date))
    return steps


def _start(start_date: date | None, interview_at: datetime | None, referred_on: date) -> date:
    """When accompaniment began: the sheet's day, else the first interview's, else the referral."""
    return start_date or (interview_at.date() if interview_at else referred_on)


def _case(row: ImportRow, client_id: int, actor: Actor) -> Case:
    return Case(
        client_id=client_id,
        companion_id=row.companion_id,
        case_manager_id=row.case_manager_id,
        referral_source=ReferralSource.CASE_MANAGER,
        status=row.status,
        referred_on=row.referred_on,
        first_interview_at=row.first_interview_at,
        start_date=_start(row.start_date, row.first_interview_at, row.referred_on)
        if row.status in ACCOMPANIED else None,
        next_step=row.next_step,
        next_step_due=row.next_step_due,
        updated_by_id=actor.id,
    )


# --- export --------------------------------------------------------------------------------------


def export_caseload(db: Database, actor: Actor, fmt: str) -> bytes:
    """The open caseload this actor may see, in the template's columns (so it imports again)."""
    require_import_rights(actor)
    companion = select(User.username).where(User.id == Case.companion_id).scalar_subquery()
    case_manager = select(User.username).where(User.id == Case.case_manager_id).scalar_subquery()
    employer = (select(Employer.name).join(Placement, Placement.employer_id == Employer.id)
                .where(Placement.case_id == Case.id, Placement.end_date.is_(None))
                .order_by(Placement.start_date.desc()).limit(1).scalar_subquery())
    job_start = (select(Placement.start_date).where(Placement.case_id == Case.id,
                                                    Placement.end_date.is_(None))
                 .order_by(Placement.start_date.desc()).limit(1).scalar_subquery())
    with db.write() as session:
        rows = session.execute(
            select(Client.id, Client.client_number, Client.first_name, Client.last_name, Client.birth_year,
                   Client.birth_date, Client.postcode, Client.town, Client.phone, Client.consent_date, Case.status, companion,
                   case_manager, Case.referred_on, Case.first_interview_at, Case.start_date,
                   employer, job_start, Case.next_step, Case.next_step_due)
            .join(Client, Case.client_id == Client.id)
            .where(case_scope(actor), Case.status.in_(OPEN_STATUSES))
            .order_by(Client.last_name, Client.first_name)).all()
        # Which persons the file holds (ids, never names): a request under Art. 15 lists it.
        audit(session, actor, "export", "caseload", None,
              {"format": fmt, "rows": len(rows), "clients": sorted({row[0] for row in rows})})
    frame = pd.DataFrame([_export_cells(row[1:]) for row in rows], columns=list(COLUMNS.values()))
    return _encode(frame, fmt)


def _export_cells(row: tuple) -> dict[str, str]:
    values = dict(zip(COLUMNS, row, strict=True))
    values["status"] = values["status"].label
    return {COLUMNS[key]: _cell_text(value) if not isinstance(value, int) else str(value)
            for key, value in values.items()}
