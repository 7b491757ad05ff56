"""Stichtag briefings: the council's figures for a committee date, not only for a closed quarter.

A committee meets when it meets; a year-end stock would otherwise be the newest figure until late
April. The lead releases the stocks as of a chosen day up to today – in accompaniment,
Nachbetreuung, planned first interviews – with the team and positions and the office hours of
that day. Like a quarter (db.figures.releases) it is

1. drafted from the status history of that day (db.figures.council.stock_counts, the same two
   tables a quarter prints for its last day) and protected table by table;
2. audited together with every earlier release, quarters and briefings, by the same integer
   program (db.figures.revisions.check) – after the calendar below has refused a day close to
   another release's stocks, so that no second briefing a few days later can show that one
   person moved;
3. stored exactly as printed, append-only, in the same table as the quarters (key: the day,
   eight digits), with its files made once.

Small numbers follow the quarter's rules and nothing else: a count of 1 or 2 is "< 3", a cell that
would give one away is "•". The staff figures, positions and office hours are no person's social
data and are printed as they are.

Which days may be released is a calendar, decided by dates alone (db.figures.stichtage): no day
fewer than 28 days from the stocks of a stored release (another briefing, a quarter's or year's
last day), and no second version of a released day. A difference rule that hid a stock cell when
it moved by 1 or 2 made the mark tell its reason; the calendar leaves nothing to hide by value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..accounts.permissions import require_role
from ..actors import Actor
from ..clock import LOCAL_TZ, today
from ..errors import ValidationError
from ..reporting.formats import plural
from ..reporting.pdf import ReportPdf
from ..reporting.registry import Tile, definition, label
from ..store.audit import audit
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.models import CouncilRelease, CouncilReleaseFile, OfficeHourLocation, Position
from . import flows
from .council import COUNCIL_ROLES, TERMS_EXPLAINED, CouncilTable, Staff, shown_phrase, staff_on, stock_counts
from .disclosure import MARKS_EXPLAINED, SECONDARY_MARK, SMALL_MARK, TOTAL, protect, widened
from .feasibility import Exposure
from .export import TITLE, _BriefingPdf, _notes, pdf_definitions, pdf_tables, tables_csv, tables_xlsx
from .periods import ReportingPeriod, final_quarters
from .releases import RELEASE_ROLES, Release, content_hash, releases, versions
from .revisions import NEW_DAY, Version, check
from .stichtage import (NEIGHBOUR_DAYS, DayBriefing, DayRelease, StockDay, conflict, day_key, day_releases,
                        first_allowed_after, nearest_allowed, Premise, premise_of,
                        refuse_what_was_released_since)

WEEKDAYS = ("montags", "dienstags", "mittwochs", "donnerstags", "freitags", "samstags", "sonntags")
PUBLISHED_ONLY = ("Nur Summen, keine Personendaten. Bestände am Stichtag, aus dem Statusverlauf der "
                  "Fälle; freigegebene Zahlen ändern sich nie, Berichtigungen erscheinen als neue, "
                  "gekennzeichnete Freigabe. Kleine Fallzahlen nach denselben Regeln wie die Quartale.")


@dataclass(frozen=True)
class DayCandidate:
    day: date
    briefing: DayBriefing
    content_hash: str
    hidden: int
    widened: int
    current: DayRelease | None
    premise: Premise = (0, 0)  # the releases the audit was run against (stichtage.premise_of)

    @property
    def unchanged(self) -> bool:
        return self.current is not None and (
            [t.to_json() for t in self.current.briefing.tables] == [t.to_json() for t in self.briefing.tables])


# --- drafting -----------------------------------------------------------------------------------

def office_hours_on(db: Database, day: date) -> list[tuple[str, str]]:
    """Every place of the catalogue and where it stood on `day`: running since, planned from, or
    planned without a date."""
    with db.read() as session:
        places = session.scalars(select(OfficeHourLocation).order_by(OfficeHourLocation.id)).all()
    out = []
    for p in places:
        hours = (f", {WEEKDAYS[p.weekday]} {p.time_from:%H:%M}–{p.time_to:%H:%M} Uhr"
                 if p.weekday is not None and p.time_from and p.time_to else "")
        venue = f" ({p.venue})" if p.venue else ""
        if p.start_date is None:
            when = "geplant, Beginn noch offen"
        elif p.start_date <= day:
            when = f"seit {p.start_date:%d.%m.%Y}{hours}"
        else:
            when = f"geplant ab {p.start_date:%d.%m.%Y}{hours}"
        out.append((f"{p.town}{venue}", when))
    return out


def positions_later(db: Database, day: date) -> list[date]:
    """The first funded day of each position whose money starts after `day` (promised)."""
    with db.read() as session:
        return list(session.scalars(select(Position.funded_from).where(Position.funded_from > day)
                                    .order_by(Position.funded_from)))


def _team(staff: Staff, later: list[date]) -> str:
    text = ("Im Dienst ist " if staff.working == 1 else "Im Dienst sind ") + plural(
        staff.working, "Integrationsbegleiter:in", "Integrationsbegleiter:innen")
    if staff.starting:
        text += f", {plural(staff.starting, 'weitere Person beginnt', 'weitere Personen beginnen')} in Kürze"
    text += (f". Finanziert {'ist' if staff.positions_total == 1 else 'sind'} "
             f"{plural(staff.positions_total, 'Stelle', 'Stellen')}, davon "
             f"{'ist' if staff.positions_open == 1 else 'sind'} {staff.positions_open} unbesetzt.")
    if later:
        text += (f" Mittel für {plural(len(later), 'weitere Stelle', 'weitere Stellen')} "
                 f"ab {min(later):%d.%m.%Y} in Aussicht gestellt.")
    return text


def _briefing(day: date, printed: dict, staff: Staff, later: list[date],  # type: ignore[type-arg]
              office_hours: list[tuple[str, str]]) -> DayBriefing:
    stichtag = f"{day:%d.%m.%Y}"
    planned_text = (f"Fälle im Status „Erstgespräch geplant“ am {stichtag} (Stichtag), aus dem "
                    "Statusverlauf der Fälle, mit einem Termin am Stichtag oder danach.")
    tables = [
        CouncilTable("stichtag", f"Teilnehmende am {stichtag}",
                     f"{label('participants')}: {definition('participants')} Stand am {stichtag} "
                     "(Stichtag), aus dem Statusverlauf der Fälle.", "Status", printed["stichtag"], chart=False),
        CouncilTable("geplant", f"Erstgespräche geplant am {stichtag}", planned_text, "Status",
                     printed["geplant"], chart=False),
    ]
    stock, planned = printed["stichtag"], printed["geplant"].cells[0][0]
    accompanied = stock.cell(label("active_cases"), "Personen")
    follow_up = stock.cell(label("employed"), "Personen")
    tiles = [
        Tile(f"{label('active_cases')} am {stichtag}", accompanied, definition("active_cases")),
        Tile(f"{label('planned_first_interviews')} am {stichtag}", planned, planned_text),
        Tile(f"{label('employed')} am {stichtag}", follow_up, definition("employed")),
        Tile(f"{label('participants')} am {stichtag}", stock.cell(TOTAL, "Personen"), definition("participants")),
    ]
    summary = (f"Am {stichtag} waren {shown_phrase(accompanied, 'Person', 'Personen')} in Begleitung "
               f"und {shown_phrase(follow_up, 'Person', 'Personen')} in der Nachbetreuung nach einer "
               f"Arbeitsaufnahme; {shown_phrase(planned, 'Erstgespräch war', 'Erstgespräche waren')} "
               f"vereinbart. Team am {stichtag}: {_team(staff, later)}")
    return DayBriefing(day, tiles, summary, tables, office_hours)


FIELD = "stichtag"  # the date field a refusal belongs beside (pages/council.py)
# Why a day is refused, for the lead (the difference rule it replaces: db.figures.stichtage).
TOO_CLOSE = ("Bestände, die weniger als {n} Tage auseinanderliegen, zeigten nebeneinander, wie "
             "sich einzelne Fälle bewegt haben.")
NOT_CORRECTED = ("Ein freigegebener Lagebericht zu einem Stichtag wird nicht berichtigt: eine zweite "
                 "Fassung desselben Tages zeigte, wie sich einzelne Fälle geändert haben. Neuere "
                 "Zahlen bringt ein Lagebericht zu einem späteren Stichtag.")


def stock_days(quarters: list[Release], days: list[DayRelease]) -> list[StockDay]:
    """The stock day of every stored release: a briefing's day, a quarter's or year's last day."""
    return [*(StockDay(d.day, d.id, f"der Lagebericht zum {d.briefing.label} ist freigegeben (Nr. {d.id})", True)
              for d in days),
            *(StockDay(r.period.end, r.id, f"die Freigabe Nr. {r.id} ({r.period.label}) zeigt Bestände am "
                       f"{r.period.end:%d.%m.%Y}", False) for r in quarters)]


def next_allowed(db: Database, actor: Actor, day: date) -> date | None:
    """The day nearest to `day`, from the programme's start to today, that a briefing may be
    released for – None if there is none yet."""
    require_role(actor, *RELEASE_ROLES)
    start = flows.programme_start(db)
    if start is None:
        return None
    return nearest_allowed(day, stock_days(releases(db, actor), day_releases(db, actor)), start, today())


def _suggestion(db: Database, day: date, stored: list[StockDay]) -> str:
    start = flows.programme_start(db)
    nearest = nearest_allowed(day, stored, start, today()) if start is not None else None
    if nearest is not None:
        return f"Nächster möglicher Stichtag: {nearest:%d.%m.%Y}."
    return f"Ein Stichtag ist frühestens am {first_allowed_after(stored, today()):%d.%m.%Y} möglich."


def _calendar(db: Database, day: date, quarters: list[Release], days: list[DayRelease]) -> None:
    """Refuse a day whose stocks are close to those of a stored release (other than a briefing of
    the same day, which prepare_day treats: unchanged it is shown, changed it is refused)."""
    stored = stock_days(quarters, days)
    other = [s for s in stored if not (s.briefing and s.day == day)]
    found = conflict(day, other)
    if found is None:
        return
    distance = abs((found.day - day).days)
    apart = "derselbe Tag" if distance == 0 else (
        "1 Tag entfernt" if distance == 1 else f"{distance} Tage entfernt")
    raise ValidationError(
        f"Zum Stichtag {day:%d.%m.%Y} kann kein Lagebericht freigegeben werden: {found.what} – "
        f"{apart}. {TOO_CLOSE.format(n=NEIGHBOUR_DAYS)} "
        + _suggestion(db, day, stored), field=FIELD)


def _not_corrected(db: Database, candidate: DayCandidate, stored: list[StockDay]) -> None:
    """A released briefing is shown again while its figures are unchanged; changed, it is not
    corrected (NOT_CORRECTED)."""
    if candidate.current is not None and not candidate.unchanged:
        raise ValidationError(f"Zum {candidate.briefing.label} ist der Lagebericht Nr. {candidate.current.id} "
                              "freigegeben; die Zahlen haben sich seitdem geändert. " + NOT_CORRECTED + " "
                              + _suggestion(db, candidate.day, stored), field=FIELD)


def _allowed(db: Database, day: date) -> None:
    start = flows.programme_start(db)
    if day > today():
        raise ValidationError(f"Der Stichtag {day:%d.%m.%Y} liegt in der Zukunft. Bestände gibt es "
                              f"bis heute ({today():%d.%m.%Y}).", field=FIELD)
    if start is None or day < start:
        raise ValidationError(f"Der Stichtag {day:%d.%m.%Y} liegt vor der ersten Zuweisung des "
                              "Programms: es gibt noch nichts zu berichten.", field=FIELD)


def _exposed_here(exposure: Exposure) -> tuple[str, tuple[str, str]] | None:
    """The cell of the briefing being prepared that a finding is about, if any."""
    for ref in (exposure.cell, exposure.other):
        if ref is not None and ref[0][0] == NEW_DAY:
            return ref[0][1], (ref[1], ref[2])
    return None


@until_data_change
def prepare_day(db: Database, actor: Actor, day: date) -> DayCandidate:
    """The briefing of `day` as it would be released, after the audit over all releases."""
    require_role(actor, *RELEASE_ROLES)
    _allowed(db, day)
    quarters, days = releases(db, actor), day_releases(db, actor)
    _calendar(db, day, quarters, days)
    protected = {slug: protect(c.counts, row_totals=c.row_totals, column_totals=c.column_totals)
                 for slug, c in stock_counts(db, actor, day).items()}
    before = sum(len(t.hidden) for t in protected.values())
    earlier = versions(quarters, days)

    def audited() -> list[Exposure]:
        new = Version(NEW_DAY, None, {s: t.as_published() for s, t in protected.items()}, day)
        return check(earlier, {}, new_day=new)

    while exposures := audited():
        place = next(filter(None, map(_exposed_here, exposures)), None)
        if place is None:
            raise ValidationError("Die bisherigen Freigaben bestehen die Prüfung nicht: "
                                  + exposures[0].what + ". Bitte den Datenschutz einbeziehen.")
        slug, cell = place
        wider = widened(protected[slug], cell)
        if wider is None:
            raise ValidationError("Eine Tabelle lässt sich nicht schützen: " + exposures[0].what)
        protected[slug] = wider
    printed = {slug: t.as_published() for slug, t in protected.items()}
    briefing = _briefing(day, printed, staff_on(db, day), positions_later(db, day), office_hours_on(db, day))
    current = next((d for d in days if d.day == day and d.corrected_by is None), None)
    hidden = sum(len(t.hidden) for t in protected.values())
    candidate = DayCandidate(day, briefing, content_hash(briefing.to_json()), hidden, hidden - before, current,
                            premise_of(quarters, days))
    _not_corrected(db, candidate, stock_days(quarters, days))
    return candidate


def release_day(db: Database, actor: Actor, day: date, expected_hash: str) -> DayRelease:
    """Store the briefing of `day` as the lead saw it in the preview (`expected_hash`), with its
    files. Refused when the figures moved since the preview or equal the valid release of the day."""
    candidate = prepare_day(db, actor, day)
    if candidate.content_hash != expected_hash:
        raise ValidationError("Die Zahlen haben sich seit der Vorschau geändert. Bitte die neue "
                              "Vorschau prüfen und dann freigeben.")
    if candidate.unchanged:
        raise ValidationError(f"Der Lagebericht zum {candidate.briefing.label} ist mit genau diesen "
                              "Zahlen schon freigegeben.")
    key = day_key(day)
    with db.write() as session:
        refuse_what_was_released_since(session, candidate.premise)
        row = CouncilRelease(period_key=key, released_by_id=actor.id, content=candidate.briefing.to_json(),
                             content_hash=candidate.content_hash,
                             corrects_id=candidate.current.id if candidate.current else None)
        session.add(row)
        session.flush()
        stored = DayRelease(row.id, row.released_at, actor.display_name, row.content_hash, row.corrects_id,
                            None, candidate.briefing)
        for name, data in day_files(stored).items():
            session.add(CouncilReleaseFile(release_id=row.id, name=name, data=data,
                                           sha256=hashlib.sha256(data).hexdigest()))
        audit(session, actor, "release", "council_release", row.id,
              {"stichtag": day.isoformat(), "hash": candidate.content_hash, "corrects": row.corrects_id})
    return stored


# --- files --------------------------------------------------------------------------------------

def heading(release: DayRelease) -> list[str]:
    lines = [f"Bestände am {release.day:%d.%m.%Y} (Stichtag)",
             f"Freigabe Nr. {release.id} vom {release.released_at.astimezone(LOCAL_TZ):%d.%m.%Y}, "
             f"Prüfsumme {release.content_hash[:16]}"]
    if release.corrects_id:
        lines.append(f"Berichtigung: ersetzt Freigabe Nr. {release.corrects_id}")
    return lines


def day_files(release: DayRelease) -> dict[str, bytes]:
    """PDF, Excel and CSV of a Stichtag briefing (no charts: three stocks need none)."""
    tables, lines = release.briefing.tables, heading(release)
    return {"pdf": day_pdf(release),
            "xlsx": tables_xlsx(tables, lines, _notes(tables, lines, PUBLISHED_ONLY)),
            "csv": tables_csv(tables, release.briefing.label, release.id, release.briefing.status)}


def day_pdf(release: DayRelease) -> bytes:
    briefing = release.briefing
    pdf: ReportPdf = _BriefingPdf(f"Lagebericht zum {briefing.label}", heading(release), release.released_at)
    pdf.add_page()
    pdf.heading(TITLE, level=0)
    pdf.para(briefing.summary)
    if any(t.value in (SMALL_MARK, SECONDARY_MARK) for t in briefing.stock_tiles):
        pdf.para(MARKS_EXPLAINED, size=8, style="I", height=4)
    pdf.para(TERMS_EXPLAINED, size=8, style="I", height=4)
    pdf.ln(2)
    usable = pdf.usable
    pdf.heading(briefing.label, level=1, rows_after=2)
    pdf.table_of(["Kennzahl", "Wert"], [[t.label, t.value] for t in briefing.stock_tiles],
                 [usable * 0.7, usable * 0.3])
    pdf_tables(pdf, briefing.tables)
    pdf.heading("Sprechstunden", level=1, rows_after=2)
    pdf.table_of(["Ort", "Stand am Stichtag"], [list(o) for o in briefing.office_hours],
                 [usable * 0.45, usable * 0.55])
    pdf.para(MARKS_EXPLAINED, size=8, style="I", height=4)
    pdf_definitions(pdf, PUBLISHED_ONLY)
    return bytes(pdf.output())


# --- what the council's page lists ----------------------------------------------------------------

def every_release(db: Database, actor: Actor) -> list[Release | DayRelease]:
    """Quarters and Stichtag briefings together, newest release first (the council's list)."""
    return sorted([*releases(db, actor), *day_releases(db, actor)], key=lambda r: r.id, reverse=True)


def calendar_note(db: Database, actor: Actor) -> str:
    """The running quarter and when the next quarter can be released, for the page's top."""
    require_role(actor, *COUNCIL_ROLES)
    now = today()
    running = ReportingPeriod.containing(now)
    released = {r.period for r in releases(db, actor)}
    waiting = [p for p in final_quarters(flows.programme_start(db), now) if p not in released]
    if waiting:
        nxt = f"{waiting[0].label} kann seit {waiting[0].final_from:%d.%m.%Y} freigegeben werden."
    else:
        last = max(released, default=None)
        upcoming = last.next() if last else ReportingPeriod.containing(flows.programme_start(db) or now)
        nxt = (f"Nächste Quartalsfreigabe: {upcoming.label}, frühestens am {upcoming.final_from:%d.%m.%Y} "
               "(28 Tage nach Quartalsende, wenn die Ergebnisse der Abgänge vorliegen).")
    return (f"Laufendes Quartal: {running.label} ({running.span}). {nxt} Zu einer Sitzung kann die "
            "Teamleitung zusätzlich einen Lagebericht zu einem Stichtag freigeben.")
