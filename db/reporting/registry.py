"""The indicator registry: every published figure is defined here, once.

Each indicator has a key (also its name in `python -m db kpis --json`), the German label every
page, export and the CLI show, a definition in plain German (tooltips, "Definitionen" in the
PDF, the "Hinweise" sheet in Excel), a unit, and whether it is a stock on a day, a flow over a
period or a share. A label is never used for two different counts: a test reads them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..vocabulary import CaseStatus
from .formats import plural


class Kind(Enum):
    STOCK = "Bestand am Stichtag"
    FLOW = "Ereignisse im Zeitraum"
    SHARE = "Anteil im Zeitraum"
    STAFF = "Personal am Stichtag"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    unit: str
    kind: Kind
    statuses: tuple[CaseStatus, ...] = ()


S = CaseStatus

INDICATORS: tuple[Indicator, ...] = (
    # --- stocks: cases by their status today ----------------------------------------------
    Indicator("participants", "Teilnehmende (Begleitung und Nachbetreuung)",
              "Personen, die am Stichtag begleitet werden: Status „In Begleitung“ oder „In Arbeit – "
              "Nachbetreuung“. Diese Zahl zählt gegen die Kapazität (höchstens 20 je Vollzeitstelle) "
              "und gegen den Plan „Aktive Fälle“.", "Personen", Kind.STOCK, (S.ACTIVE, S.EMPLOYED)),
    Indicator("active_cases", "In Begleitung",
              "Personen im Status „In Begleitung“ am Stichtag: Erstgespräch geführt, noch keine "
              "Arbeitsaufnahme (ohne Nachbetreuung).", "Personen", Kind.STOCK, (S.ACTIVE,)),
    Indicator("employed", "In Arbeit – Nachbetreuung",
              "Personen, die eine Arbeit aufgenommen haben und weiter betreut werden, am Stichtag.",
              "Personen", Kind.STOCK, (S.EMPLOYED,)),
    Indicator("planned_first_interviews", "Erstgespräche geplant",
              "Fälle mit vereinbartem Erstgespräch am Stichtag oder später. Liegt der Termin vor "
              "dem Stichtag und ist kein Ergebnis erfasst, zählt er unter „Erstgespräche ohne "
              "Ergebnis“.", "Fälle",
              Kind.STOCK, (S.INTERVIEW_PLANNED,)),
    Indicator("referred", "Neue Zuweisungen (offen)",
              "Zugewiesene Fälle, für die noch kein Erstgespräch vereinbart ist, am Stichtag.",
              "Fälle", Kind.STOCK, (S.REFERRED,)),
    Indicator("no_show", "Nicht erschienen",
              "Fälle, deren Erstgespräch ohne die Person stattfinden sollte und noch nicht neu "
              "vereinbart ist, am Stichtag.", "Fälle", Kind.STOCK, (S.NO_SHOW,)),
    Indicator("paused", "Ruhend",
              "Teilnehmende, deren Begleitung am Stichtag ruht (z. B. Krankheit, Maßnahme, "
              "Elternzeit); sie zählen nicht gegen die Kapazität.", "Personen", Kind.STOCK,
              (S.PAUSED,)),
    Indicator("closed", "Beendet", "Fälle im Status „Beendet“ am Stichtag (seit Programmstart).",
              "Fälle", Kind.STOCK, (S.CLOSED,)),
    Indicator("declined", "Teilnahme abgelehnt",
              "Fälle, in denen die Person die Teilnahme abgelehnt hat (seit Programmstart).", "Fälle",
              Kind.STOCK, (S.DECLINED,)),
    Indicator("overdue_next_steps", "Überfällige nächste Schritte",
              "Offene Fälle, deren nächster Schritt vor dem Stichtag fällig war.", "Fälle", Kind.STOCK),
    Indicator("interviews_outcome_missing", "Erstgespräche ohne Ergebnis",
              "Vereinbarte Erstgespräche, deren Termin vor dem Stichtag lag, ohne erfasstes "
              "Ergebnis (fand statt, nicht erschienen, abgelehnt) – „Ergebnis fehlt“.", "Fälle",
              Kind.STOCK),
    Indicator("incomplete_participants", "Nicht zählbar (Eintrittsdaten unvollständig)",
              "Teilnehmende seit Programmstart (Erstgespräch geführt), deren Kerndaten bei Eintritt "
              "(Geschlecht, Geburtsdatum, Postleitzahl, Erwerbsstatus, Bildung, Haushalt) "
              "unvollständig sind. Das Land zählt sie nicht: sie fehlen in allen Ergebniszahlen.",
              "Personen", Kind.STOCK),
    # --- staff ------------------------------------------------------------------------------
    Indicator("companions_working", "Integrationsbegleiter:innen im Dienst",
              "Aktive Konten der Integrationsbegleitung mit Dienstbeginn bis zum Stichtag.",
              "Personen", Kind.STAFF),
    Indicator("companions_starting", "Integrationsbegleiter:innen mit baldigem Dienstbeginn",
              "Aktive Konten der Integrationsbegleitung mit Dienstbeginn nach dem Stichtag.",
              "Personen", Kind.STAFF),
    Indicator("companions_over_cap", "Integrationsbegleiter:innen über der Kapazität",
              "Aktive Integrationsbegleiter:innen mit mehr Teilnehmenden (In Begleitung und "
              "Nachbetreuung; ruhende nicht) als ihre Kapazität: höchstens 20 je Vollzeitstelle "
              "nach den Regeln des Landes, bei Teilzeit anteilig weniger. Geplante Erstgespräche "
              "sind Zulauf und zählen nicht mit.",
              "Personen", Kind.STAFF),
    Indicator("positions_total", "Stellen gesamt",
              "Finanzierte Stellen der Integrationsbegleitung, besetzt oder nicht.", "Stellen",
              Kind.STAFF),
    Indicator("positions_open", "Offene Stellen", "Finanzierte Stellen ohne Stelleninhaber:in.",
              "Stellen", Kind.STAFF),
    # --- flows: events dated on the day they happened ---------------------------------------
    Indicator("referrals", "Zuweisungen",
              "Fälle, die im Zeitraum von Fallmanager:innen zugewiesen wurden (Datum der Zuweisung).",
              "Fälle", Kind.FLOW),
    Indicator("interviews_held", "Erstgespräche geführt",
              "Erstgespräche, die im Zeitraum stattgefunden haben (Datum des Gesprächs); damit "
              "beginnt die Begleitung.", "Personen", Kind.FLOW),
    Indicator("job_starts", "Arbeitsaufnahmen",
              "Aufnahmen einer Arbeit oder Ausbildung während der Begleitung im Zeitraum (Datum der "
              "Arbeitsaufnahme), Minijobs eingeschlossen; wer zweimal eine Arbeit aufnimmt, zählt "
              "zweimal.", "Arbeitsaufnahmen", Kind.FLOW),
    # Abgänge count cases: a person who took part twice and left twice is two Abgänge. The
    # funder's report counts persons and has its own labels (PERSON_INDICATORS below).
    Indicator("exits", "Abgänge",
              "Beendete Teilnahmen gezählter Teilnehmender (Erstgespräch geführt, Kerndaten bei "
              "Eintritt vollständig), deren Ende im Zeitraum liegt (Enddatum des Falls); wer zweimal "
              "teilgenommen hat, zählt je Teilnahme.", "Fälle", Kind.FLOW),
    Indicator("exits_work_or_training", "Abgänge in Arbeit oder Ausbildung",
              "Abgänge, deren Verbleib innerhalb von 28 Tagen nach dem Ende eine "
              "sozialversicherungspflichtige oder selbständige Erwerbstätigkeit oder eine schulische "
              "oder berufliche Ausbildung ist; es zählt das letzte erfasste Ereignis der 28 Tage.",
              "Fälle", Kind.FLOW),
    Indicator("exits_minijob", "Abgänge in einen Minijob",
              "Abgänge, deren Verbleib nach 28 Tagen ein Minijob ist (getrennt ausgewiesen, wie vom "
              "Land verlangt; nicht im Anteil enthalten).", "Fälle", Kind.FLOW),
    Indicator("integration_rate", "Anteil der Abgänge in Arbeit oder Ausbildung",
              "Abgänge in Arbeit oder Ausbildung geteilt durch alle Abgänge des Zeitraums, in "
              "Prozent (Integrationsquote). Abgänge mit noch offenem Verbleib zählen im Nenner mit. "
              "Zielwert des Landes: 25 %. Ohne Abgänge wird kein Anteil ausgewiesen.",
              "Prozent", Kind.SHARE),
    Indicator("exits_result_pending", "Abgänge, Verbleib noch offen (innerhalb 28 Tagen)",
              "Abgänge ohne erfassten Verbleib, deren Ende höchstens 28 Tage zurückliegt: der "
              "Verbleib kann noch nachgetragen werden.", "Fälle", Kind.FLOW),
    Indicator("exits_result_unknown", "Abgänge, Verbleib unbekannt",
              "Abgänge ohne erfassten Verbleib, deren Ende mehr als 28 Tage zurückliegt: der "
              "Verbleib bleibt unbekannt und zählt im Nenner der Quote mit.", "Fälle", Kind.FLOW),
    Indicator("six_month_rate", "Nach sechs Monaten in Arbeit",
              "Abgänge, deren Ende mindestens sechs Monate zurückliegt und die bei der Nachfrage "
              "erwerbstätig waren (auch selbständig, ohne Minijob), geteilt durch alle diese "
              "Abgänge, in Prozent; „nicht erreichbar“ und fehlende Antworten zählen nicht als "
              "erwerbstätig.", "Prozent", Kind.SHARE),
    Indicator("average_days", "Durchschnittliche Dauer der Teilnahme",
              "Tage vom Erstgespräch bis zum Ende, gemittelt über die Abgänge des Zeitraums.",
              "Tage", Kind.FLOW),
)

# The funder's report (db.results.report) counts persons, each once however often referred, as
# the Land asks. Its figures never borrow a label of the cases' figures above: "Abgänge" there
# would be a second number under one word.
PERSON_INDICATORS: tuple[Indicator, ...] = (
    Indicator("persons_left", "Ausgetretene Personen",
              "Gezählte Teilnehmende (Kerndaten bei Eintritt vollständig), deren letzte Teilnahme "
              "im Zeitraum endete, je Person einmal – auch wer zweimal teilgenommen hat "
              "(Meldung an das Land).", "Personen", Kind.FLOW),
    Indicator("persons_left_result_pending", "Ausgetretene Personen, Verbleib noch offen",
              "Ausgetretene Personen ohne erfassten Verbleib, deren Austritt höchstens 28 Tage "
              "zurückliegt.", "Personen", Kind.FLOW),
    Indicator("persons_left_result_unknown", "Ausgetretene Personen, Verbleib unbekannt",
              "Ausgetretene Personen ohne erfassten Verbleib, deren Austritt mehr als 28 Tage "
              "zurückliegt; sie zählen im Nenner des Anteils mit.", "Personen", Kind.FLOW),
    Indicator("persons_rate", "Anteil der Ausgetretenen in Arbeit oder Ausbildung",
              "Ausgetretene Personen in Arbeit oder Ausbildung (Verbleib innerhalb von 28 Tagen) "
              "geteilt durch alle ausgetretenen Personen des Zeitraums, in Prozent. Zielwert des "
              "Landes: 25 %.", "Prozent", Kind.SHARE),
    Indicator("persons_six_month_rate", "Ausgetretene nach sechs Monaten in Arbeit",
              "Ausgetretene Personen, deren Austritt mindestens sechs Monate zurückliegt und die bei "
              "der Nachfrage erwerbstätig waren (auch selbständig, ohne Minijob), geteilt durch alle "
              "diese Personen, in Prozent.", "Prozent", Kind.SHARE),
)

BY_KEY: dict[str, Indicator] = {i.key: i for i in (*INDICATORS, *PERSON_INDICATORS)}
# Flows without a chosen period (the CLI, the Lagebild's rate) count from the first referral to
# today; the label says so, so that they are never mistaken for a closed period's figure.
TO_DATE = "seit Programmstart bis heute"
TARGET_RATE = 25.0  # the Land's target: 25 % of leavers in work or training


@dataclass(frozen=True)
class Tile:
    """A figure as a page or report shows it: label, value as text, definition for the tooltip."""

    label: str
    value: str
    help: str


def indicator(key: str) -> Indicator:
    return BY_KEY[key]


def label(key: str) -> str:
    return BY_KEY[key].label


# Labels that are plural nouns, in the singular: "1 Erstgespräch ohne Ergebnis", never
# "1 Erstgespräche …". Labels that name a state ("In Begleitung") read right with any number.
SINGULAR = {
    "planned_first_interviews": "Erstgespräch geplant",
    "overdue_next_steps": "Überfälliger nächster Schritt",
    "interviews_outcome_missing": "Erstgespräch ohne Ergebnis",
}


def counted(key: str, n: int) -> str:
    """A count with its label in the right number: "1 Erstgespräch geplant", "3 Erstgespräche geplant"."""
    return plural(n, SINGULAR.get(key, label(key)), label(key))


def definition(key: str) -> str:
    return BY_KEY[key].definition
