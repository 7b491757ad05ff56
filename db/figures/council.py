"""The council (Kreistag) briefing for one calendar quarter: aggregates, disclosure-controlled.

A briefing is drafted here from the monthly counts (db.figures.flows) and protected table by
table (db.figures.disclosure). The council never sees a draft: it sees releases
(db.figures.releases), which store the briefing exactly as printed – `PublishedTable`s, tiles and
summary made from printed cells only – after the disclosure audit over every release has passed.
Nothing here returns a name, client number, note or date of birth.

Two kinds of figures, both for the quarter:
- **stocks on its last day** (Stichtag), read from the status history, so a release can be
  drafted again later and still show the same day;
- **events in the quarter** (flows), each counted on its own date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import func, select

from ..accounts.permissions import require_role
from ..casework.activities import LOGGABLE_KINDS
from ..actors import Actor
from ..clock import LOCAL_TZ
from ..reporting.formats import fmt_percent, plural
from ..reporting.registry import Tile, definition, indicator, label
from ..store.database import Database
from ..store.models import Position, User
from ..validation import ascii_digits
from ..vocabulary import ActivityKind, Barrier, CaseStatus, Role
from . import flows
from .disclosure import (
    SECONDARY_MARK,
    SMALL_MARK,
    TOTAL,
    ProtectedTable,
    PublishedTable,
    protect,
    with_totals,
)
from .periods import ReportingPeriod

COUNCIL_ROLES = (Role.COUNCIL, Role.LEAD)
PROVISIONAL = "vorläufig"
FINAL = "endgültig"
WITHHELD = "in der ersetzten Fassung gedruckt, hier nicht ausgewiesen"


@dataclass(frozen=True)
class CouncilTable:
    slug: str
    title: str
    explanation: str  # what is counted, for the page, the PDF and the "Hinweise" sheet
    row_title: str
    table: PublishedTable
    chart: bool = True  # drawn as a bar chart (from the printed cells only)
    # A revision's cells that the version it revises printed and it hides: (row, column, why –
    # German, the audit's proof). Printed next to the table (db.figures.releases).
    withheld: tuple[tuple[str, str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "slug": self.slug, "title": self.title, "explanation": self.explanation,
            "row_title": self.row_title, "chart": self.chart, "table": self.table.to_json()}
        if self.withheld:  # releases stored before revisions said why keep their bytes
            data["withheld"] = [list(w) for w in self.withheld]
        return data

    @classmethod
    def from_json(cls, data: dict) -> CouncilTable:  # type: ignore[type-arg]
        return cls(data["slug"], data["title"], data["explanation"], data["row_title"],
                   PublishedTable.from_json(data["table"]), bool(data["chart"]),
                   tuple((str(r), str(c), str(w)) for r, c, w in data.get("withheld", ())))

    def withheld_text(self) -> list[str]:
        """Why the revision hides a cell its earlier version printed, one sentence per cell."""
        return [f"„{row}“, {col}: {WITHHELD} – {why}" for row, col, why in self.withheld]


@dataclass(frozen=True)
class Staff:
    """Team figures on the Stichtag: no person's social data, so never suppressed."""

    working: int
    starting: int
    positions_total: int
    positions_open: int


@dataclass(frozen=True)
class Briefing:
    period: ReportingPeriod
    as_of: date  # the day of the team figures: the Stichtag (period.end); before, the day drafted
    stock_tiles: list[Tile]
    period_tiles: list[Tile]
    summary: str
    tables: list[CouncilTable]  # every printed cell: stocks first, then the quarter's events
    # "endgültig": revised once in the annual release (or the year's own totals); a quarter's
    # first release and its corrections are "vorläufig" (README, revision policy).
    final: bool = False

    @property
    def status(self) -> str:
        return FINAL if self.final else PROVISIONAL

    @property
    def status_text(self) -> str:
        """What "vorläufig" / "endgültig" means for this briefing, for the page and every file."""
        year = self.period.start.year
        if self.period.is_year:
            return (f"Endgültig: die Summen des Jahres {year}, zusammen mit den endgültigen Zahlen "
                    "seiner Quartale freigegeben (Jahresbericht); sie ändern sich nicht mehr.")
        if self.final:
            return (f"Endgültig: im Jahresbericht {year} ein letztes Mal berichtigt, mit allen "
                    "Nachträgen bis dahin; die Zahlen ändern sich nicht mehr.")
        return (f"Vorläufig: später erfasste Vorgänge werden im Jahresbericht {year} "
                f"(freigegeben ab dem {ReportingPeriod.year(year).revision_from:%d.%m.%Y}) "
                "eingerechnet; erst dann sind die Zahlen endgültig.")

    def to_json(self) -> dict[str, object]:
        tiles = lambda ts: [[t.label, t.value, t.help] for t in ts]
        data = {"period": self.period.key, "as_of": self.as_of.isoformat(),
                "stock_tiles": tiles(self.stock_tiles), "period_tiles": tiles(self.period_tiles),
                "summary": self.summary, "tables": [t.to_json() for t in self.tables]}
        if self.final:
            data["final"] = True
        return data

    @classmethod
    def from_json(cls, data: dict) -> Briefing:  # type: ignore[type-arg]
        return cls(ReportingPeriod.from_key(data["period"]), date.fromisoformat(data["as_of"]),
                   [Tile(*t) for t in data["stock_tiles"]], [Tile(*t) for t in data["period_tiles"]],
                   data["summary"], [CouncilTable.from_json(t) for t in data["tables"]],
                   bool(data.get("final", False)))

    def table(self, slug: str) -> CouncilTable:
        return next(t for t in self.tables if t.slug == slug)


# --- the period tables, each built from monthly counts ------------------------------------------

@dataclass(frozen=True)
class _Spec:
    slug: str
    title: str
    explanation: str
    row_title: str
    column_totals: bool
    build: Callable[[dict[str, pd.DataFrame], list[str], list[date]], pd.DataFrame]


# Words of the briefing a council member may not know, explained once at the top of the page and
# on page 1 of the PDF.
TERMS = (
    ("Abgänge", "beendete Teilnahmen (Fälle) im Zeitraum; wer zweimal teilnahm, zählt zweimal."),
    ("Verbleib", "wo jemand 28 Tage nach dem Ende der Begleitung steht: Arbeit, Ausbildung, "
                 "Minijob oder anderes."),
    ("Zulauf", "vereinbarte Erstgespräche: Personen, die demnächst in die Begleitung kommen."),
    ("Nachbetreuung", "Begleitung nach der Aufnahme einer Arbeit."),
)
TERMS_EXPLAINED = "Begriffe: " + " ".join(f"„{term}“: {text}" for term, text in TERMS)


def shows_a_mark(briefing: Briefing) -> bool:
    """Whether the tiles or summary on top already print "< 3" or "•"."""
    return any(t.value in (SMALL_MARK, SECONDARY_MARK)
               for t in (*briefing.stock_tiles, *briefing.period_tiles))


def shown_phrase(shown: str, singular: str, plural_form: str) -> str:
    """A published count in a sentence: the number, or what its mark means in words."""
    if shown == SMALL_MARK:
        return f"weniger als 3 {plural_form}"
    if shown == SECONDARY_MARK:
        return f"eine nicht ausgewiesene Anzahl {plural_form}"
    return plural(int(shown), singular, plural_form)



def _in(frame: pd.DataFrame, months: list[date]) -> pd.DataFrame:
    return frame[frame["month"].isin(months)]


def _one_column(frame: pd.DataFrame, key: str, rows: list[str], column: str,
                labels: Callable[[str], str] = str) -> pd.DataFrame:
    counts = frame.groupby(key)["count"].sum() if not frame.empty else pd.Series(dtype=int)
    return pd.DataFrame({column: [int(counts.get(r, 0)) for r in rows]},
                        index=pd.Index([labels(r) for r in rows]))


def _events(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    keys = ["referrals", "interviews_held", "job_starts"]
    return _one_column(_in(data["events"], months), "key", keys, "Anzahl", label)


def _exits(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    return _one_column(_in(data["exits"], months), "result", list(flows.EXIT_RESULTS), "Abgänge")


def _barriers(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    frame = _in(data["barriers"], months)
    out = pd.DataFrame(index=pd.Index([b.label for b in Barrier]))
    for state, column in (("noted", "neu erfasst"), ("resolved", "erledigt")):
        out[column] = _one_column(frame[frame["state"] == state], "barrier", [b.value for b in Barrier],
                                  column)[column].to_numpy()
    return out


def _contacts(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    # Without "Erstgespräch": each held interview is one such contact, already printed as
    # "Erstgespräche geführt" – printed twice it only ties the two tables (db.figures.identities).
    return _one_column(_in(data["contacts"], months), "kind", [k.value for k in LOGGABLE_KINDS],
                       "Kontakte", lambda k: ActivityKind(k).label)


def _visitors(data: dict[str, pd.DataFrame], towns: list[str], months: list[date]) -> pd.DataFrame:
    return _one_column(_in(data["visitors"], months), "town", towns, "Besuche")


PERIOD_TABLES: tuple[_Spec, ...] = (
    _Spec("zugaenge", "Zuweisungen, Erstgespräche und Arbeitsaufnahmen",
          " ".join(f"{label(k)}: {definition(k)}" for k in ("referrals", "interviews_held", "job_starts")),
          "Kennzahl", False, _events),
    _Spec("abgaenge", "Abgänge nach Verbleib",
          f"{definition('exits')} Verbleib beim Ende der Begleitung; „Summe“ = {label('exits')}.",
          "Verbleib", True, _exits),
    _Spec("hemmnisse", "Vermittlungshemmnisse",
          "Im Zeitraum neu erfasste und im Zeitraum erledigte Hemmnisse der begleiteten Fälle "
          "(ein Fall kann mehrere haben). Alle Hemmnisse des Katalogs in fester Reihenfolge.",
          "Hemmnis", True, _barriers),
    _Spec("kontakte", "Kontakte nach Art",
          "Im Zeitraum erfasste Kontakte und Begleitungen (Datum des Kontakts), ohne die "
          f"Erstgespräche (sie stehen als „{label('interviews_held')}“ oben).", "Kontaktart", True,
          _contacts),
    _Spec("sprechstunden", "Besuche der Sprechstunden",
          "Besuche in den Sprechstunden im Zeitraum, je Ort (eine Person kann mehrmals kommen).",
          "Ort", True, _visitors),
)


@dataclass(frozen=True)
class Draft:
    """A quarter's tables before release: protected, not yet audited against earlier releases."""

    period: ReportingPeriod
    as_of: date
    staff: Staff
    tables: dict[str, ProtectedTable]  # by slug, in the order published


STOCK_ROWS = ("active_cases", "employed")
# As on the Lagebild, an appointment that lay before the day without an outcome is not planned
# any more (db.figures.flows.interviews_overdue_on).
PLANNED_ON_DAY = ("Fälle im Status „Erstgespräch geplant“ am letzten Tag des Quartals (Stichtag), "
                  "aus dem Statusverlauf der Fälle, mit einem Termin am Stichtag oder danach.")


def _stock_counts(by_status: dict[CaseStatus, int], key: str) -> int:
    return sum(by_status.get(s, 0) for s in indicator(key).statuses)


@dataclass(frozen=True)
class Counts:
    """One table before protection: the counts and which totals it prints."""

    counts: pd.DataFrame
    column_totals: bool
    row_totals: bool = False
    stock: bool = False  # a stock on the period's last day, not the period's events

    def grid(self) -> pd.DataFrame:
        """Every cell the table prints, totals included (what an identity can relate)."""
        return with_totals(self.counts, row_totals=self.row_totals, column_totals=self.column_totals)


def stock_counts(db: Database, actor: Actor, day: date) -> dict[str, Counts]:
    """The stocks at the end of `day` (Stichtag): a quarter's last day or a briefing's day
    (db.figures.briefings) – the same two tables, so the audit can pair them by day."""
    require_role(actor, *COUNCIL_ROLES)
    by_status = flows.statuses_on(db, actor, day)
    stock = pd.DataFrame({"Personen": [_stock_counts(by_status, k) for k in STOCK_ROWS]},
                         index=pd.Index([label(k) for k in STOCK_ROWS]))
    overdue = flows.interviews_overdue_on(db, actor, day)
    planned = pd.DataFrame({"Fälle": [_stock_counts(by_status, "planned_first_interviews") - overdue]},
                           index=pd.Index([label("planned_first_interviews")]))
    return {"stichtag": Counts(stock, column_totals=True, stock=True),
            "geplant": Counts(planned, column_totals=False, stock=True)}


def staff_on(db: Database, day: date) -> Staff:
    """The team at the end of `day`: companions at work (started on or before it), companions
    already hired then who start later, funded positions and those without a holder. A release
    shows the team of its Stichtag, not of the day it was released. Deactivated accounts are not
    counted (their last working day is not recorded)."""
    hired_by = datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    companion = (User.role == Role.COMPANION, User.active.is_(True))
    with db.read() as session:
        working, starting = session.execute(select(
            func.count().filter(User.start_date <= day),
            func.count().filter(User.start_date > day, User.created_at < hired_by),
        ).where(*companion)).one()
        total, open_ = session.execute(
            select(func.count(), func.count().filter(Position.holder_id.is_(None)))
            .where(Position.funded_from <= day)).one()
    return Staff(working or 0, starting or 0, total or 0, open_ or 0)


def counts(db: Database, actor: Actor, period: ReportingPeriod) -> dict[str, Counts]:
    """Every table the council gets for the period, unprotected, by slug in the order published.

    The one list of council tables: the draft protects these, and the identity test
    (tests/test_identities.py) searches them for relations between cells."""
    require_role(actor, *COUNCIL_ROLES)
    data = {
        "events": flows.monthly_events(db, actor),
        "exits": flows.monthly_exits(db, actor),
        "barriers": flows.monthly_barriers(db, actor),
        "contacts": flows.monthly_contacts(db, actor),
        "visitors": flows.monthly_visitors(db, actor),
    }
    towns, months = flows.office_hour_towns(db), period.month_starts()
    tables = stock_counts(db, actor, period.end)
    for spec in PERIOD_TABLES:
        tables[spec.slug] = Counts(spec.build(data, towns, months), column_totals=spec.column_totals)
    return tables


def draft(db: Database, actor: Actor, period: ReportingPeriod, as_of: date,
          revises: dict[str, PublishedTable] | None = None) -> Draft:
    """The quarter's tables, each protected on its own (primary and secondary suppression), and
    the team on `as_of` (the period's last day).

    A revision of released tables (`revises`, by slug) keeps their hidden cells hidden and
    hides a cell they printed only where no other cell protects (disclosure.protect)."""
    revises = revises or {}

    def kept(slug: str) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
        table = revises.get(slug)
        if table is None:
            return frozenset(), frozenset()
        hidden = frozenset(table.hidden)
        every = frozenset((r, c) for r in table.rows for c in table.columns)
        return hidden, every - hidden

    tables = {}
    for slug, t in counts(db, actor, period).items():
        keep_hidden, costly = kept(slug)
        tables[slug] = protect(t.counts, row_totals=t.row_totals, column_totals=t.column_totals,
                               keep_hidden=keep_hidden, costly=costly)
    return Draft(period, as_of, staff_on(db, as_of), tables)


def briefing_of(draft: Draft) -> Briefing:
    """The briefing as printed: tables, tiles and summary from the printed cells only."""
    period = draft.period
    printed = {slug: t.as_published() for slug, t in draft.tables.items()}
    stichtag = f"{period.end:%d.%m.%Y}"
    tables = [
        CouncilTable("stichtag", f"Teilnehmende am {stichtag}",
                     f"{label('participants')}: {definition('participants')} Stand am letzten Tag "
                     "des Quartals (Stichtag), aus dem Statusverlauf der Fälle.", "Status",
                     printed["stichtag"], chart=False),
        CouncilTable("geplant", f"Erstgespräche geplant am {stichtag}", PLANNED_ON_DAY, "Status",
                     printed["geplant"], chart=False),
        *[CouncilTable(s.slug, s.title, s.explanation, s.row_title, printed[s.slug],
                       chart=s.slug != "zugaenge") for s in PERIOD_TABLES],
    ]
    stock = printed["stichtag"]
    planned = printed["geplant"].cells[0][0]
    events = printed["zugaenge"]
    exits = printed["abgaenge"]
    rate_text = _rate(exits)
    exit_total = exits.cell(TOTAL, "Abgänge")
    staff = draft.staff
    # A stock of the Stichtag carries its date in the label: the same words without it mean
    # today's figure on the Lagebild, the case list and the CLI.
    stock_tiles = [
        Tile(f"{label('participants')} am {stichtag}", stock.cell(TOTAL, "Personen"), definition("participants")),
        Tile(f"{label('employed')} am {stichtag}", stock.cell(label("employed"), "Personen"), definition("employed")),
        Tile(f"{label('planned_first_interviews')} am {stichtag}", planned, PLANNED_ON_DAY),
    ]
    period_tiles = [
        *[Tile(label(key), events.cell(label(key), "Anzahl"), definition(key))
          for key in ("referrals", "interviews_held", "job_starts")],
        Tile(label("exits"), exit_total, definition("exits")),
        Tile(label("integration_rate"), rate_text, definition("integration_rate")),
    ]
    summary = _summary(staff, stock, planned, events, exit_total, rate_text, period, draft.as_of)
    return Briefing(period, draft.as_of, stock_tiles, period_tiles, summary, tables)


# --- the briefing ---------------------------------------------------------------------------------

def _rate(table: PublishedTable) -> str:
    """The share of leavers in work or training, if every part of it is printed."""
    col = "Abgänge"
    parts_and_total = (*flows.INTO_WORK_OR_TRAINING, TOTAL)
    if any(table.mark(r, col) for r in parts_and_total):
        return "nicht ausgewiesen (Geheimhaltung)"
    # The share needs only the parts and the total; hidden other results stay hidden.
    total = int(table.cell(TOTAL, col))
    parts = {r: int(table.cell(r, col)) for r in flows.INTO_WORK_OR_TRAINING}
    share = flows.share_into_work_or_training({**parts, flows.EXIT_OTHER: total - sum(parts.values())})
    return "noch keine Abgänge" if share is None else fmt_percent(share)


def _summary(staff: Staff, stock: PublishedTable, planned: str, events: PublishedTable, exits: str,
             rate: str, period: ReportingPeriod, as_of: date) -> str:
    participants = stock.cell(TOTAL, "Personen")
    follow_up = stock.cell(label("employed"), "Personen")
    count = lambda key: events.cell(label(key), "Anzahl")
    team = ("im Dienst ist " if staff.working == 1 else "im Dienst sind ") + plural(
        staff.working, "Integrationsbegleiter:in", "Integrationsbegleiter:innen")
    if staff.starting:
        team += f", {plural(staff.starting, 'weitere Person beginnt', 'weitere Personen beginnen')} in Kürze"
    team += (f". Finanziert {'ist' if staff.positions_total == 1 else 'sind'} "
             f"{plural(staff.positions_total, 'Stelle', 'Stellen')}, davon "
             f"{'ist' if staff.positions_open == 1 else 'sind'} {staff.positions_open} noch nicht besetzt.")
    rate_sentence = (f"Der Anteil der Abgänge in Arbeit oder Ausbildung beträgt {rate} (Ziel des Landes: 25 %)."
                     if ascii_digits(rate[:1]) else f"Anteil der Abgänge in Arbeit oder Ausbildung: {rate}.")
    return (
        f"Am {period.end:%d.%m.%Y} wurden {shown_phrase(participants, 'Person', 'Personen')} begleitet, "
        f"davon {shown_phrase(follow_up, 'Person', 'Personen')} in der Nachbetreuung nach einer "
        f"Arbeitsaufnahme; {shown_phrase(planned, 'Erstgespräch war', 'Erstgespräche waren')} vereinbart. "
        f"Im {period.label} ({period.span}): "
        f"{shown_phrase(count('referrals'), 'Zuweisung', 'Zuweisungen')}, "
        f"{shown_phrase(count('interviews_held'), 'geführtes Erstgespräch', 'geführte Erstgespräche')}, "
        f"{shown_phrase(count('job_starts'), 'Arbeitsaufnahme', 'Arbeitsaufnahmen')} und "
        f"{shown_phrase(exits, 'Abgang', 'Abgänge')}. {rate_sentence} "
        f"Team am {as_of:%d.%m.%Y}: {team}"
    )
