"""German for the parts of the screen Streamlit writes itself (WCAG 3.1.1, BITV 2.0).

Streamlit's page says <html lang="en"> and its own texts – input hints, the date picker's
placeholder and names, the file uploader, the table toolbar, "Skip to main content" – are
English with no setting to change them. One small script, run in the page (no installed file is
edited, so it survives upgrades), sets the page language and translates those texts and their
accessible names (aria-label, aria-valuetext, placeholder, title) as Streamlit draws them.

Date fields: Streamlit (1.5x, react-aria) draws a date's parts under a fixed "en-US" ("day,
Geburtsdatum", "Empty", placeholders dd/mm/yyyy, "Selected Date: December 06, 2026") and its
calendar in the browser's language, named "Choose date, …" with an English keyboard hint. The
parts are translated here (placeholders and "Empty" only inside a date field), and the browser's
language is reported as German, so the calendar's days and months are German in any browser. A Streamlit upgrade
that rewords a text makes it English again: the accessibility browser test lists every English
text it still finds (tests/test_accessibility.py), and the statement names what is left.
"""

from __future__ import annotations

import json

import streamlit as st

# Whole texts, exactly as Streamlit writes them → German.
GERMAN: dict[str, str] = {
    "Skip to main content": "Zum Inhalt springen",
    "Link to heading": "Link zu dieser Überschrift",
    "No results": "Keine Treffer",
    "Choose an option": "Bitte wählen",
    "Choose options": "Bitte wählen",
    "Choose date": "Datum wählen",
    "Choose date range": "Zeitraum wählen",
    "Clear value": "Auswahl löschen",
    "Clear all": "Alle entfernen",
    "Clear date": "Datum löschen",
    "Clear dates": "Daten löschen",
    "Clear time": "Uhrzeit löschen",
    "Selected values": "Ausgewählt",
    "Open": "Öffnen",
    "Close": "Schließen",
    "Sidebar": "Seitenleiste",
    "App pages": "Seiten",
    "Expand sidebar": "Seitenleiste einblenden",
    "Collapse sidebar": "Seitenleiste ausblenden",
    "Navigate to home page": "Zur Startseite",
    "Notifications": "Hinweise",
    "Running...": "Wird geladen …",
    "Upload": "Datei auswählen",
    "Browse files": "Datei auswählen",
    "Add files": "Dateien hinzufügen",
    "Drag and drop file here": "Datei hierher ziehen",
    "Drag and drop files here": "Dateien hierher ziehen",
    "Remove file": "Datei entfernen",
    "Delete": "Löschen",
    "Show/hide columns": "Spalten ein- oder ausblenden",
    "Search": "Suchen",
    "Close Search": "Suche schließen",
    "Next Result": "Nächster Treffer",
    "Previous Result": "Vorheriger Treffer",
    "Fullscreen": "Vollbild",
    "Close fullscreen": "Vollbild schließen",
    "Download as CSV": "Als CSV herunterladen",
    "Dataframe column menu": "Spaltenmenü",
    "Copy column name": "Spaltenname kopieren",
    "Sort ascending": "Aufsteigend sortieren",
    "Sort descending": "Absteigend sortieren",
    "Pin column": "Spalte fixieren",
    "Unpin column": "Fixierung lösen",
    "Hide column": "Spalte ausblenden",
    "Autosize": "Breite anpassen",
    "Format": "Format",
    "Select all": "Alle auswählen",
    "Previous month.": "Vorheriger Monat.",
    "Next month.": "Nächster Monat.",
    "Previous month": "Vorheriger Monat",
    "Next month": "Nächster Monat",
    "Show password": "Passwort anzeigen",
    "Hide password": "Passwort verbergen",
    "Increment": "Erhöhen",
    "Decrement": "Verringern",
    "Show data": "Daten anzeigen",
    "Show chart": "Grafik anzeigen",
    "Download as PNG": "Als PNG herunterladen",
    "Copy Vega-Lite spec": "Vega-Lite-Beschreibung kopieren",
    "Month": "Monat",
    "Year": "Jahr",
    "Date range": "Zeitraum",
    # The calendar's hint for screen readers (aria-describedby of the date picker).
    "Use arrow keys to navigate dates. Enter to select. Escape to close.":
        "Mit den Pfeiltasten durch die Tage gehen, Eingabetaste wählt, Escape schließt.",
    "Use arrow keys to navigate. Enter to select. Tab to switch between calendar and time. "
    "Escape to close.": "Mit den Pfeiltasten durch die Tage gehen, Eingabetaste wählt, Tab wechselt "
                        "zwischen Kalender und Uhrzeit, Escape schließt.",
}

# Only inside a date or time field: its parts' placeholders and the empty part's value. Short
# words like "mm" may be anybody's text elsewhere on the page.
DATE_FIELD_PARTS: dict[str, str] = {
    "dd": "TT",
    "mm": "MM",
    "yyyy": "JJJJ",
    "Empty": "leer",
}
DATE_FIELDS = "[data-testid=stDateInput], [data-testid=stDateTimeInput], [data-testid=stTimeInput]"

# The names react-aria gives a date's parts, read before the field's own label ("day, Geburtsdatum").
PART_NAMES = {"day": "Tag", "month": "Monat", "year": "Jahr", "hour": "Stunde", "minute": "Minute",
              "second": "Sekunde", "dayPeriod": "Tageszeit", "era": "Epoche"}
MONTHS = {"January": "Januar", "February": "Februar", "March": "März", "April": "April", "May": "Mai",
          "June": "Juni", "July": "Juli", "August": "August", "September": "September",
          "October": "Oktober", "November": "November", "December": "Dezember"}

# Texts with a part that varies (regular expression → replacement, JavaScript syntax).
PATTERNS: list[tuple[str, str]] = [
    (r"^Press (?:Enter|Ctrl\+Enter|⌘\+Enter) to apply$", "Eingabetaste zum Übernehmen"),
    (r"^Press (?:Enter|Ctrl\+Enter|⌘\+Enter) to submit form$", "Eingabetaste zum Absenden"),
    (r"^(\d+)\s?(KB|MB|GB) per file", "bis $1 $2 je Datei"),
    (r"^Limit (\d+)\s?(KB|MB|GB) per file", "bis $1 $2 je Datei"),
    (r"^DD\.MM\.YYYY$|^dd\.mm\.yyyy$", "TT.MM.JJJJ"),
    (r"^(?:HH|hh):mm$", "hh:mm"),
    (r"^Choose a date\. (.*)$", "Datum wählen. $1"),
    # The calendar's name with the month it shows ("Choose date, Dezember 2026").
    (r"^Choose date, (.+)$", "Datum wählen, $1"),
    (r"^Choose date range, (.+)$", "Zeitraum wählen, $1"),
    (r"^Choose date and time, (.+)$", "Datum und Uhrzeit wählen, $1"),
    *((rf"^{english}, (.+)$", f"{german}, $1") for english, german in PART_NAMES.items()),
    # A month part's value: "12 – December"; the field's description of its value.
    *((rf"^(\d+) – {english}$", f"$1 – {german}") for english, german in MONTHS.items()),
    *((rf"^Selected Date: {english} 0?(\d+), (\d+)$", f"Gewähltes Datum: $1. {german} $2")
      for english, german in MONTHS.items()),
    (r"^Selected date is (.*)\.$", "Gewählt: $1."),
    (r"^(\d+) selected$", "$1 ausgewählt"),
    (r"^Help for (.+)$", "Hilfe zu $1"),
]

_SCRIPT = """
<script>
(() => {
  document.documentElement.lang = "de";
  if (window.__germanChrome) return;
  window.__germanChrome = true;
  // Streamlit hands the browser's language to its calendars (weekdays, months, the first day of
  // the week) with each redraw: German, whatever language the browser is set to.
  for (const [name, value] of [["language", "de-DE"], ["languages", ["de-DE", "de"]]]) {
    try { Object.defineProperty(navigator, name, {get: () => value, configurable: true}); } catch (e) {}
  }
  const whole = new Map(Object.entries(%(whole)s));
  const patterns = %(patterns)s.map(([source, german]) => [new RegExp(source), german]);
  const parts = new Map(Object.entries(%(parts)s));
  const attributes = ["aria-label", "aria-valuetext", "placeholder", "title"];
  const german = (text, element) => {
    const core = text.trim();
    if (!core) return null;
    if (whole.has(core)) return text.replace(core, whole.get(core));
    if (parts.has(core) && element && element.closest(%(fields)s)) return text.replace(core, parts.get(core));
    for (const [pattern, replacement] of patterns) {
      if (pattern.test(core)) return text.replace(core, core.replace(pattern, replacement));
    }
    return null;
  };
  const translate = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = german(node.nodeValue, node.parentElement);
      if (text !== null && text !== node.nodeValue) node.nodeValue = text;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const name of attributes) {
      const value = node.getAttribute(name);
      const text = value && german(value, node);
      if (text && text !== value) node.setAttribute(name, text);
    }
  };
  const translateAll = (root) => {
    translate(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) translate(walker.currentNode);
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "childList") change.addedNodes.forEach(translateAll);
      else translate(change.target);
    }
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true,
                                        attributes: true, attributeFilter: attributes});
  translateAll(document.body);
})();
</script>
"""

# The script's element takes no room on the page (shown by app.py with the other style sheets).
STYLE = "<style>.element-container:has(.stHtml script) { display: none; }</style>"


# Built once per server process, not on every rerun.
_PAGE_SCRIPT = _SCRIPT % {"whole": json.dumps(GERMAN, ensure_ascii=False),
                          "patterns": json.dumps(PATTERNS, ensure_ascii=False),
                          "parts": json.dumps(DATE_FIELD_PARTS, ensure_ascii=False),
                          "fields": json.dumps(DATE_FIELDS)}


def german_page() -> None:
    """Page language and Streamlit's own texts in German; call once per run, before any page."""
    st.html(_PAGE_SCRIPT, unsafe_allow_javascript=True)
