"""The funder's participant report for the Land (ILB): the spreadsheet the lead would otherwise
keep by hand.

- **Teilnehmende**: one row per participant active in the period (first interview held on or
  before its end, not left before its start) with the entry data, exit and results, and whether
  the participant is counted (core entry data complete);
- **Indikatoren**: the result indicators by gender, leavers by end reason, and counted
  participants by each entry characteristic and gender;
- **Hinweise**: period, definitions, and how many participants are not counted.
Also as CSV (the participant rows) and as a one-page PDF of the indicators for the Sachbericht.
The report holds personal data: only the lead (and the command line) may make it, and every
export is audited.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import and_, select

from ..accounts.permissions import require_role
from ..actors import Actor
from ..casework.entry import (
    AGE_BANDS,
    FURTHER_LABELS,
    PROFILE_COLUMNS,
    PROFILE_LABELS,
    entry_of,
    missing_core,
)
from ..casework.outcomes import (
    INTO_WORK_OR_TRAINING,
    last_end_with_follow_up_due,
    latest_result,
    result_deadline,
)
from ..clock import today
from ..errors import ValidationError
from ..reporting.cells import safe_cell, safe_frame
from ..reporting.formats import fmt_int, fmt_percent
from ..reporting.pdf import ReportPdf
from ..reporting.registry import TARGET_RATE, definition, label
from ..store.audit import audit
from ..store.database import Database
from ..store.models import Case, Client, ExitOutcome
from ..vocabulary import (
    Answer,
    CaseStatus,
    Education,
    EndReason,
    EntryEmployment,
    ExitResult,
    FollowUpResult,
    Gender,
    Household,
    Role,
)
from .indicators import NOT_STATED, LeaverFigures, participant_profile
from .persons import identity_keys, same_persons

TITLE = "Integrationsbegleitung Jobcenter Spree-Neiße – Teilnehmendendaten für das Land (ESF+)"
PERSONAL = ("Enthält personenbezogene Daten (Sozialdaten, teils besondere Kategorien nach Art. 9 "
            "DSGVO): nur für die Meldung an die ILB, nicht weitergeben, nach der Meldung löschen.")
PARTICIPANT_COLUMNS = [
    "Kundennummer", "Nachname", "Vorname", "Geschlecht", "Geburtsdatum", "Altersgruppe bei Eintritt",
    "Postleitzahl", "Wohnort", "Erwerbsstatus bei Eintritt", "Bildung (ISCED)", "Haushalt",
    "Zahl der Kinder", *FURTHER_LABELS.values(), "Eintritt (Erstgespräch)", "Austritt",
    "Beendigungsgrund", "Verbleib nach 28 Tagen", "Verbleib am", "Nach sechs Monaten",
    "Nachgefragt am", "Fälle", "Gezählt", "Fehlende Kerndaten",
]


@dataclass(frozen=True)
class FunderReport:
    start: date
    end: date
    as_of: date
    participants: pd.DataFrame  # PARTICIPANT_COLUMNS
    indicators: list[tuple[str, pd.DataFrame]]  # titled blocks; rows × gender columns
    not_counted: int
    client_ids: list[int]  # the persons the report holds (ids only), for the audit entry

    @property
    def period(self) -> str:
        return f"{self.start:%d.%m.%Y} bis {self.end:%d.%m.%Y}"


def _label(value: object) -> object:
    return getattr(value, "label", value)


@dataclass(frozen=True)
class Participant:
    """One person in the project (all their cases together): the report's row and what the
    indicators need."""

    row: list[object]  # PARTICIPANT_COLUMNS
    client_ids: tuple[int, ...]  # every record of this person (for Art. 15: who received it)
    gender: str  # the column it is counted under
    counted: bool  # core entry data complete at the first entry
    entered: date  # the first Erstgespräch
    left: date | None  # the end of the last participation, if it ended
    still_open: date | None  # day the last case may still get its result (28 days), if unknown
    result: str | None  # ExitResult value of the last exit
    end_reason: str | None
    follow_up: str | None  # FollowUpResult value, six months after leaving
    six_months_passed: bool

    def active_in(self, start: date, end: date) -> bool:
        return self.entered <= end and (self.left is None or self.left >= start)

    def left_in(self, start: date, end: date) -> bool:
        return self.left is not None and start <= self.left <= end


def _participants(db: Database, start: date, end: date) -> list[Participant]:
    """Every person active in the period, once (db.results.persons), oldest entry first."""
    result_on = (select(ExitOutcome.occurred_on).where(ExitOutcome.case_id == Case.id)
                 .order_by(ExitOutcome.occurred_on.desc(), ExitOutcome.id.desc()).limit(1)
                 .scalar_subquery())
    began = and_(Case.start_date.is_not(None), Case.status != CaseStatus.DECLINED)
    with db.read() as session:
        records = session.execute(
            select(Case, Client, latest_result(Case.id), result_on)
            .join(Client, Case.client_id == Client.id).where(began)
            .order_by(Case.start_date, Case.id)).all()
        people = same_persons(records, lambda r: [("client", r[1].id), *identity_keys(
            r[1].first_name, r[1].last_name, r[1].postcode, r[1].birth_date)])
        out = [_participant(cases) for cases in people]
    passed = last_end_with_follow_up_due(today())
    out = [replace(p, six_months_passed=p.left is not None and p.left <= passed) for p in out]
    return sorted((p for p in out if p.active_in(start, end)), key=lambda p: (p.entered, p.row[0] or ""))


def _participant(cases: list) -> Participant:  # type: ignore[type-arg]
    first_case, client = cases[0][0], cases[0][1]
    last_case, _, result, result_day = cases[-1]
    entry = entry_of(client, first_case)
    missing = ([] if first_case.entry_complete else
               missing_core(entry, birth_year=client.birth_year) or ["anonymisiert"])
    left = last_case.end_date if last_case.status == CaseStatus.CLOSED else None
    row = [
        client.client_number, client.last_name, client.first_name, _label(client.gender),
        client.birth_date or client.birth_year, first_case.entry_age_band, client.postcode,
        client.town, _label(entry.employment), _label(entry.education),
        _label(entry.household), entry.children,
        *(_label(getattr(entry, name)) for name in FURTHER_LABELS),
        first_case.start_date, left, _label(last_case.end_reason) if left else None,
        _label(_exit_result(result)) if left else None, result_day if left else None,
        _label(last_case.follow_up_result) if left else None, last_case.follow_up_on if left else None,
        len(cases), "ja" if first_case.entry_complete else "nein", ", ".join(missing),
    ]
    return Participant(
        row=row, client_ids=tuple(sorted({c[1].id for c in cases})), gender=_label(client.gender) if client.gender else NOT_STATED,
        counted=bool(first_case.entry_complete), entered=first_case.start_date, left=left,
        still_open=result_deadline(left) if left and not result else None,
        result=result if left else None, end_reason=last_case.end_reason if left else None,
        follow_up=last_case.follow_up_result if left else None, six_months_passed=False)


def _exit_result(value: str | None) -> ExitResult | None:
    return ExitResult(value) if value else None


def _gender_columns(split: dict[str, LeaverFigures]) -> list[str]:
    return [g.label for g in Gender] + ([NOT_STATED] if NOT_STATED in split else []) + ["Gesamt"]


def leaver_table(split: dict[str, LeaverFigures]) -> pd.DataFrame:
    columns = _gender_columns(split)
    rows = {
        label("exits"): [split[c].leavers for c in columns],
        label("exits_work_or_training"): [split[c].into_work_or_training for c in columns],
        label("exits_minijob"): [split[c].minijob for c in columns],
        f"{label('integration_rate')} (%)": [split[c].rate for c in columns],
        label("exits_result_pending"): [split[c].result_pending for c in columns],
        label("exits_result_unknown"): [split[c].result_unknown for c in columns],
        "Sechs Monate nach dem Ende vergangen": [split[c].six_months_passed for c in columns],
        "davon bei der Nachfrage erwerbstätig": [split[c].six_months_in_work for c in columns],
        f"{label('six_month_rate')} (%)": [split[c].six_month_rate for c in columns],
        f"{label('average_days')} (Tage)": [split[c].average_days for c in columns],
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def reason_table(split: dict[str, LeaverFigures]) -> pd.DataFrame:
    columns = _gender_columns(split)
    return pd.DataFrame.from_dict(
        {r.label: [split[c].by_reason.get(r.value, 0) for c in columns] for r in EndReason},
        orient="index", columns=columns)


def _profile_block(profile: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Counted participants by each characteristic (and its answers) and gender."""
    rows: dict[str, list[int]] = {}
    for name, title in PROFILE_LABELS.items():
        if name not in PROFILE_COLUMNS:
            continue
        part = profile[profile["characteristic"] == name]
        for value, shown in _answers(name):
            hit = part[part["value"].isna()] if value is None else part[part["value"] == value]
            counts = {(_label(Gender(g)) if g else NOT_STATED): int(n)
                      for g, n in hit.groupby(hit["gender"].fillna(""))["count"].sum().items()}
            row = [counts.get(c, 0) for c in columns[:-1]]
            rows[f"{title}: {shown}"] = [*row, sum(row)]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def _answers(name: str) -> list[tuple[str | None, str]]:
    """Every possible value of a characteristic, in catalogue order, and "nicht erfasst"."""
    if name == "age_band":
        known = [(band, band) for band in AGE_BANDS]
    else:
        enum = {"employment": EntryEmployment, "education": Education,
                "household": Household}.get(name, Answer)
        known = [(m.value, m.label) for m in enum]
    return [*known, (None, "nicht erfasst")]


WORK_OR_TRAINING = {r.value for r in INTO_WORK_OR_TRAINING}
EMPLOYMENT = {ExitResult.EMPLOYED.value, ExitResult.SELF_EMPLOYED.value}
LAND_RATE = "Anteil an allen Teilnehmenden seit Programmstart, Rechnung des Landes (%)"
LAND_DENOMINATOR = "Nenner: gezählte Teilnehmende seit Programmstart"


def _person_columns(people: list[Participant]) -> list[str]:
    extra = [NOT_STATED] if any(p.gender == NOT_STATED for p in people) else []
    return [g.label for g in Gender] + extra + ["Gesamt"]


def _of(people: list[Participant], column: str) -> list[Participant]:
    return people if column == "Gesamt" else [p for p in people if p.gender == column]


def _by_gender(people: list[Participant], columns: list[str],
               rows: dict[str, Callable[[list[Participant]], int | float | None]]) -> pd.DataFrame:
    """One row per figure, one column per gender and "Gesamt" (ESF+ splits every indicator)."""
    return pd.DataFrame.from_dict({name: [figure(_of(people, c)) for c in columns] for name, figure in rows.items()},
                                  orient="index", columns=columns)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


def _indicator_blocks(people: list[Participant], start: date, end: date) -> list[tuple[str, pd.DataFrame]]:
    """Everything counted per person, for the counted participants (core data complete)."""
    counted = [p for p in people if p.counted]  # every listed person is active in the period
    columns = _person_columns(counted)
    leavers = [p for p in counted if p.left_in(start, end)]

    def results(values: set[str]) -> Callable[[list[Participant]], int]:
        return lambda group: sum(1 for p in group if p.result in values)

    def in_work_or_training(group: list[Participant]) -> int:
        return sum(1 for p in group if p.result in WORK_OR_TRAINING)

    def follow(values: set[str]) -> Callable[[list[Participant]], int]:
        return lambda group: sum(1 for p in group if p.six_months_passed and p.follow_up in values)

    def passed(group: list[Participant]) -> int:
        return sum(1 for p in group if p.six_months_passed)

    employed = {FollowUpResult.EMPLOYED.value}
    improved = {FollowUpResult.IMPROVED.value}
    entered = _by_gender(counted, columns, {
        "Eingetreten im Zeitraum (erstes Erstgespräch)": lambda g: sum(1 for p in g if start <= p.entered <= end),
        "Teilnehmende im Zeitraum (auch früher eingetreten)": len,
    })
    on_leaving = _by_gender(leavers, columns, {
        label("persons_left"): len,
        "davon arbeitsuchend": results({ExitResult.JOB_SEEKING.value}),
        "davon in schulischer oder beruflicher Bildung": results({ExitResult.EDUCATION.value}),
        "davon mit erlangter Qualifizierung": results({ExitResult.QUALIFICATION.value}),
        "davon erwerbstätig, auch selbständig (ohne Minijob)": results(EMPLOYMENT),
        "davon im Minijob (getrennt ausgewiesen)": results({ExitResult.MINIJOB.value}),
        "davon sonstiger Verbleib": results({ExitResult.OTHER.value}),
        label("persons_left_result_pending"): lambda g: sum(1 for p in g if p.still_open and p.still_open >= today()),
        label("persons_left_result_unknown"): lambda g: sum(1 for p in g if p.still_open and p.still_open < today()),
        f"{label('persons_rate')} (%)": lambda g: _share(in_work_or_training(g), len(g)),
    })
    # The Land's worked example divides by all participants of the programme: (12 + 4) / 63 =
    # 25 %. Over a period that starts after some entered, the leavers of the period are divided
    # by participants who mostly leave later: a few percent beside a 25 % target. Shown only
    # where it means the target's figure, with its denominator in the row above.
    whole = all(start <= p.entered for p in counted)
    on_leaving.loc[LAND_DENOMINATOR] = [len(_of(counted, c)) if whole else None for c in columns]
    on_leaving.loc[LAND_RATE] = [_share(in_work_or_training(_of(leavers, c)), len(_of(counted, c)))
                                 if whole else None for c in columns]
    six_months = _by_gender(leavers, columns, {
        "Sechs Monate nach dem Austritt vergangen": passed,
        "davon erwerbstätig, auch selbständig": follow(employed),
        "davon im Minijob": follow({FollowUpResult.MINIJOB.value}),
        "davon mit verbesserter Lage am Arbeitsmarkt": follow(improved),
        f"{label('persons_six_month_rate')} (%)": lambda g: _share(follow(employed)(g), passed(g)),
        "Anteil erwerbstätig oder mit verbesserter Lage (%)": lambda g: _share(follow(employed | improved)(g), passed(g)),
    })
    reasons = _by_gender(leavers, columns, {
        r.label: (lambda g, r=r: sum(1 for p in g if p.end_reason == r.value)) for r in EndReason})
    return [("Teilnehmende (je Person)", entered),
            ("Verbleib bei Austritt (innerhalb 28 Tagen)", on_leaving),
            ("Sechs Monate nach dem Austritt", six_months),
            ("Ausgetretene Personen nach Beendigungsgrund", reasons)]


def funder_report(db: Database, actor: Actor, start: date, end: date) -> FunderReport:
    """Build the report for the days from `start` to `end` (both included)."""
    require_role(actor, Role.LEAD)
    if start > end:
        raise ValidationError("Der Zeitraum beginnt nach seinem Ende.", "period")
    people = _participants(db, start, end)
    participants = pd.DataFrame([p.row for p in people], columns=PARTICIPANT_COLUMNS)
    participants["Zahl der Kinder"] = participants["Zahl der Kinder"].astype("Int64")  # 3, not 3.0
    profile = participant_profile(db, actor, start, end)
    blocks = [*_indicator_blocks(people, start, end),
              ("Gezählte Teilnehmende im Zeitraum nach Merkmalen bei Eintritt",
               _profile_block(profile, _person_columns([p for p in people if p.counted])))]
    return FunderReport(start, end, today(), participants, blocks, sum(1 for p in people if not p.counted),
                        sorted({i for p in people for i in p.client_ids}))


# --- files ------------------------------------------------------------------------------------

def _cell(value: object) -> object:
    """Numbers stay numbers, dates stay dates, missing values empty; text is formula-safe."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return safe_cell(int(value) if hasattr(value, "item") and not isinstance(value, float) else value)


def to_xlsx(report: FunderReport) -> bytes:
    book = Workbook()
    book.remove(book.active)
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F5F8B")

    sheet = book.create_sheet("Teilnehmende")
    sheet.append(PARTICIPANT_COLUMNS)
    for cell in sheet[1]:
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in report.participants.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY"
    sheet.freeze_panes = "D2"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = min(40, max(
            12, *(len(str(c.value or "")) + 2 for c in column[1:] or column)))

    sheet = book.create_sheet("Indikatoren")
    sheet.append([TITLE])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Zeitraum: {report.period}", f"Stand: {report.as_of:%d.%m.%Y}"])
    for title, block in report.indicators:
        sheet.append([])
        sheet.append([title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)
        sheet.append(["", *block.columns])
        for cell in sheet[sheet.max_row][1:]:
            cell.font, cell.fill = header_font, header_fill
        for name, values in block.iterrows():
            sheet.append([name, *(_cell(v) for v in values)])
            if name.endswith("(%)"):
                for cell in sheet[sheet.max_row][1:]:
                    cell.number_format = '0.0" %"'
    sheet.column_dimensions["A"].width = 70
    for letter in "BCDEF":
        sheet.column_dimensions[letter].width = 14

    sheet = book.create_sheet("Hinweise")
    notes = [
        ("Bericht", TITLE), ("Zeitraum", report.period), ("Stand", f"{report.as_of:%d.%m.%Y}"),
        ("Nicht gezählt", f"{report.not_counted} Teilnehmende mit unvollständigen Kerndaten bei "
                          "Eintritt (Spalte „Gezählt“ = nein); sie fehlen in allen Indikatoren."),
        ("Teilnehmende", "Eine Zeile je Person und Projekt, deren Teilnahme (ab dem ersten "
                         "Erstgespräch) in den Zeitraum fällt. Wer mehrmals zugewiesen wurde (dieselbe "
                         "Kundennummer, oder Vor- und Nachname mit Postleitzahl oder Geburtsdatum), ist "
                         "eine Person: Eintrittsdaten vom ersten Fall, Austritt und Verbleib vom letzten "
                         "(Spalte „Fälle“). Ausgetretene Personen zählen nach dem Tag des letzten Austritts; "
                         "die Abgänge im Cockpit und beim Kreistag zählen dagegen Fälle."),
        ("Quoten", f"Zwei Nenner: „{label('persons_rate')}“ teilt durch die ausgetretenen "
                   f"Personen des Zeitraums, „{LAND_RATE}“ durch alle gezählten Teilnehmenden seit "
                   "Programmstart, wie im Rechenbeispiel des Landes ((12 + 4) / 63 = 25 %). Diesen "
                   "zweiten Anteil gibt es nur für einen Zeitraum ab Programmstart: für einen "
                   "späteren Zeitraum stünde er neben dem Ziel, ohne dasselbe zu messen („–“)."),
        ("Ziel des Landes", f"{fmt_percent(TARGET_RATE)} der ausgetretenen Personen in Arbeit oder "
                            "Ausbildung; Minijobs getrennt ausgewiesen."),
        ("Datenschutz", PERSONAL), ("", ""), ("Kennzahl", "Definition"),
        *[(label(key), definition(key)) for key in RESULT_KEYS],
    ]
    for key, text in notes:
        sheet.append([safe_cell(key), safe_cell(text)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.cell(row=sheet.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(report: FunderReport) -> bytes:
    """The participant rows for German Excel (;, dates as TT.MM.JJJJ)."""
    frame = safe_frame(report.participants.map(
        lambda v: v.strftime("%d.%m.%Y") if isinstance(v, date) else v))
    return frame.to_csv(sep=";", index=False).encode("utf-8-sig")


def to_pdf(report: FunderReport) -> bytes:
    """One page of indicators for the Sachbericht: leavers and results by gender, the target."""
    pdf = ReportPdf(TITLE, f"Indikatoren {report.period}")
    pdf.add_page()
    pdf.heading("Indikatoren der Integrationsbegleitung", level=0)
    pdf.para(f"Zeitraum: {report.period} · Stand: {report.as_of:%d.%m.%Y} · Ziel des Landes: "
             f"{fmt_percent(TARGET_RATE)} der ausgetretenen Personen in Arbeit oder Ausbildung.", size=9)
    pdf.ln(2)
    for title, block in report.indicators[:3]:  # participants, results on leaving, after six months
        pdf.heading(title, level=1, rows_after=len(block))
        first = pdf.usable * 0.46
        widths = [first, *[(pdf.usable - first) / len(block.columns)] * len(block.columns)]
        pdf.table_of(["Kennzahl", *block.columns],
                     [[str(name), *(shown_cell(name, v) for v in values)] for name, values in block.iterrows()],
                     widths, size=8)
    pdf.para(f"Nicht gezählt wegen unvollständiger Eintrittsdaten: {report.not_counted} "
             "Teilnehmende.", size=9)
    pdf.ln(1)
    for key in ("persons_left", "persons_rate", "persons_six_month_rate"):
        pdf.para(f"{label(key)}: {definition(key)}", size=7.5, height=3.6)
    return bytes(pdf.output())


def shown_cell(name: str, value: object) -> str:
    """A cell of an indicator table as text: "–" when empty, percent rows as "25,3 %"."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if name.endswith("(%)"):
        return fmt_percent(float(value))  # type: ignore[arg-type]
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return fmt_int(int(value))  # type: ignore[call-overload]


RESULT_KEYS = ("persons_left", "persons_rate", "persons_left_result_pending",
               "persons_left_result_unknown", "persons_six_month_rate", "incomplete_participants")
FORMATS = {"xlsx": to_xlsx, "csv": to_csv, "pdf": to_pdf}


def export_funder_report(db: Database, actor: Actor, start: date, end: date, fmt: str) -> bytes:
    """The report as a file ("xlsx", "csv" or "pdf"); the export is audited."""
    if fmt not in FORMATS:
        raise ValidationError("Format bitte als xlsx, csv oder pdf angeben.", "format")
    report = funder_report(db, actor, start, end)
    data = FORMATS[fmt](report)
    with db.write() as session:
        audit(session, actor, "export", "funder_report", None,
              {"format": fmt, "from": start, "to": end, "rows": len(report.participants),
               "clients": report.client_ids})
    return data
