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
from dataclasses import dataclass
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import and_, select

from ..actors import Actor
from ..audit import audit
from ..clock import today
from ..database import Database
from ..errors import ValidationError
from ..figures.export import ReportPdf, safe_cell, safe_frame
from ..figures.formats import fmt_int, fmt_percent
from ..figures.registry import TARGET_RATE, definition, label
from ..models import Case, Client, ExitOutcome
from ..permissions import require_role
from ..vocabulary import (
    Answer,
    CaseStatus,
    Education,
    EndReason,
    EntryEmployment,
    ExitResult,
    Gender,
    Household,
    Role,
)
from .entry import (
    AGE_BANDS,
    FURTHER_LABELS,
    PROFILE_COLUMNS,
    PROFILE_LABELS,
    entry_of,
    missing_core,
)
from .indicators import NOT_STATED, LeaverFigures, by_gender, monthly_leavers, participant_profile
from .outcomes import latest_result

TITLE = "Integrationsbegleitung Jobcenter Spree-Neiße – Teilnehmendendaten für das Land (ESF+)"
PERSONAL = ("Enthält personenbezogene Daten (Sozialdaten, teils besondere Kategorien nach Art. 9 "
            "DSGVO): nur für die Meldung an die ILB, nicht weitergeben, nach der Meldung löschen.")
PARTICIPANT_COLUMNS = [
    "Kundennummer", "Nachname", "Vorname", "Geschlecht", "Geburtsdatum", "Altersgruppe bei Eintritt",
    "Postleitzahl", "Wohnort", "Erwerbsstatus bei Eintritt", "Bildung (ISCED)", "Haushalt",
    "Zahl der Kinder", *FURTHER_LABELS.values(), "Eintritt (Erstgespräch)", "Austritt",
    "Beendigungsgrund", "Verbleib nach 28 Tagen", "Verbleib am", "Nach sechs Monaten",
    "Nachgefragt am", "Gezählt", "Fehlende Kerndaten",
]


@dataclass(frozen=True)
class FunderReport:
    start: date
    end: date
    as_of: date
    participants: pd.DataFrame  # PARTICIPANT_COLUMNS
    indicators: list[tuple[str, pd.DataFrame]]  # titled blocks; rows × gender columns
    not_counted: int

    @property
    def period(self) -> str:
        return f"{self.start:%d.%m.%Y} bis {self.end:%d.%m.%Y}"


def _label(value: object) -> object:
    return getattr(value, "label", value)


def _participants(db: Database, start: date, end: date) -> pd.DataFrame:
    result_on = (select(ExitOutcome.occurred_on).where(ExitOutcome.case_id == Case.id)
                 .order_by(ExitOutcome.occurred_on.desc(), ExitOutcome.id.desc()).limit(1)
                 .scalar_subquery())
    active = and_(Case.start_date.is_not(None), Case.start_date <= end,
                  Case.end_date.is_(None) | (Case.end_date >= start),
                  Case.status != CaseStatus.DECLINED)
    rows = []
    with db.read() as session:
        for case, client, result, result_day in session.execute(
                select(Case, Client, latest_result(Case.id), result_on)
                .join(Client, Case.client_id == Client.id).where(active)
                .order_by(Case.start_date, Case.id)):
            entry = entry_of(client, case)
            missing = ([] if case.entry_complete else
                       missing_core(entry, birth_year=client.birth_year) or ["anonymisiert"])
            rows.append([
                client.client_number, client.last_name, client.first_name, _label(client.gender),
                client.birth_date or client.birth_year, case.entry_age_band, client.postcode,
                client.town, _label(entry.employment), _label(entry.education),
                _label(entry.household), entry.children,
                *(_label(getattr(entry, name)) for name in FURTHER_LABELS),
                case.start_date, case.end_date, _label(case.end_reason),
                _label(_exit_result(result)), result_day, _label(case.follow_up_result),
                case.follow_up_on, "ja" if case.entry_complete else "nein", ", ".join(missing),
            ])
    frame = pd.DataFrame(rows, columns=PARTICIPANT_COLUMNS)
    frame["Zahl der Kinder"] = frame["Zahl der Kinder"].astype("Int64")  # 3, not 3.0
    return frame


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


def funder_report(db: Database, actor: Actor, start: date, end: date) -> FunderReport:
    """Build the report for the days from `start` to `end` (both included)."""
    require_role(actor, Role.LEAD)
    if start > end:
        raise ValidationError("Der Zeitraum beginnt nach seinem Ende.", "period")
    split = by_gender(monthly_leavers(db, actor, ended_from=start, ended_to=end))
    profile = participant_profile(db, actor, start, end)
    participants = _participants(db, start, end)
    blocks = [
        ("Abgänge und Verbleib", leaver_table(split)),
        ("Abgänge nach Beendigungsgrund", reason_table(split)),
        ("Gezählte Teilnehmende im Zeitraum nach Merkmalen bei Eintritt",
         _profile_block(profile, _gender_columns(split))),
    ]
    return FunderReport(start, end, today(), participants, blocks,
                        int((participants["Gezählt"] == "nein").sum()))


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
        ("Teilnehmende", "Eine Zeile je Person, deren Teilnahme (ab dem Erstgespräch) in den "
                         "Zeitraum fällt; Abgänge zählen nach dem Tag des Austritts."),
        ("Ziel des Landes", f"{fmt_percent(TARGET_RATE)} der Abgänge in Arbeit oder Ausbildung; "
                            "Minijobs getrennt ausgewiesen."),
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
             f"{fmt_percent(TARGET_RATE)} der Abgänge in Arbeit oder Ausbildung.", size=9)
    pdf.ln(2)
    title, block = report.indicators[0]
    pdf.heading(title, level=1, rows_after=len(block))
    first = pdf.usable * 0.46
    widths = [first, *[(pdf.usable - first) / len(block.columns)] * len(block.columns)]
    pdf.table_of(["Kennzahl", *block.columns],
                 [[str(name), *(shown_cell(name, v) for v in values)] for name, values in block.iterrows()],
                 widths, size=8.5)
    pdf.para(f"Nicht gezählt wegen unvollständiger Eintrittsdaten: {report.not_counted} "
             "Teilnehmende.", size=9)
    pdf.ln(1)
    for key in ("exits", "exits_work_or_training", "integration_rate", "six_month_rate"):
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


RESULT_KEYS = ("exits", "exits_work_or_training", "exits_minijob", "integration_rate",
               "exits_result_pending", "exits_result_unknown", "six_month_rate", "average_days",
               "incomplete_participants")
FORMATS = {"xlsx": to_xlsx, "csv": to_csv, "pdf": to_pdf}


def export_funder_report(db: Database, actor: Actor, start: date, end: date, fmt: str) -> bytes:
    """The report as a file ("xlsx", "csv" or "pdf"); the export is audited."""
    if fmt not in FORMATS:
        raise ValidationError("Format bitte als xlsx, csv oder pdf angeben.", "format")
    report = funder_report(db, actor, start, end)
    data = FORMATS[fmt](report)
    with db.write() as session:
        audit(session, actor, "export", "funder_report", None,
              {"format": fmt, "from": start, "to": end, "rows": len(report.participants)})
    return data
