"""Accessibility as a screen-reader or keyboard user meets the app (BITV 2.0 / WCAG 2.1 AA).

axe-core (the npm package, installed into tests/a11y by `make test`) is injected into every page
of every role; a violation of impact "serious" or "critical" fails the run. HTML_CodeSniffer
(npm html_codesniffer, same place) runs beside it and fails the run on any of its errors, and no
id may occur twice on a page. The full findings of each run are written to
screenshots/axe-report.md and axe-report.json.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .conftest import RunningApp
from .test_browser import SHOTS, log_in, log_out, nav_to, settled, visit

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
# HTML_CodeSniffer (npm html_codesniffer), a second checker with rules of its own (WCAG 2 AA).
HTMLCS = Path(__file__).resolve().parent / "a11y" / "node_modules" / "html_codesniffer" / "build" / "HTMLCS.js"
FAILING = {"serious", "critical"}

# Every page of every role, as the menu shows it; "Fall" is opened from the case list. "Mein
# Konto" and "Barrierefreiheit" are the same page for every role: looked at once.
ROLE_PAGES: list[tuple[str, list[str]]] = [
    ("begleiter1", ["Termine", "Fälle", "Fall", "Zuweisungen", "Sprechstunden", "Arbeitgeber",
                    "Mein Konto", "Barrierefreiheit"]),
    ("leitung", ["Lagebild", "Ergebnisse", "Fälle", "Fall", "Zuweisungen", "Termine", "Sprechstunden",
                 "Team & Stellen", "Arbeitgeber", "Import & Export", "Kreistag"]),
    ("fallmanager1", ["Zuweisungen", "Sprechstunden"]),
    ("kreistag", ["Kreistag"]),
    ("admin", ["Benutzer", "Protokoll"]),
    ("datenschutz", ["Protokoll"]),
]


def _axe_source() -> str:
    if not AXE.exists() or not HTMLCS.exists():
        message = f"{AXE.parent.parent} fehlt: `make test` installiert axe-core und html_codesniffer mit npm (tests/a11y)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, source: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """axe-core's violations for the page as drawn now (WCAG 2.x A and AA rules)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary
                                        .split('\\n').slice(1).join(' ').slice(0, 200))}));
        }""")
    return result


def htmlcs_errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    """HTML_CodeSniffer's errors (not its warnings and notices) for the page as drawn now."""
    if not page.evaluate("() => typeof window.HTMLCS !== 'undefined'"):
        page.add_script_tag(content=HTMLCS.read_text(encoding="utf-8"))
    return page.evaluate("""() => new Promise((done) => HTMLCS.process('WCAG2AA', document, () => done(
        HTMLCS.getMessages().filter((m) => m.type === HTMLCS.ERROR).map((m) => m.code.split('.').slice(-2).join('.')
          + ' :: ' + (m.element.id || m.element.getAttribute('data-testid') || m.element.tagName)
          + ' :: ' + m.msg.slice(0, 140)))))""")


# Ids that occur more than once on a page (WCAG 4.1.1 in 2.0; assistive technology follows ids).
DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
}"""


# Every text and accessible name on the page that Streamlit wrote in English and the app knows a
# German word for (pages/german_chrome.py): what is still found was missed by the translation.
ENGLISH_CHROME = """
(args) => {
  const [whole, patterns] = args;
  const found = new Set();
  const check = (text) => {
    const core = (text || "").trim();
    if (!core) return;
    if (whole.includes(core) || patterns.some((p) => new RegExp(p).test(core))) found.add(core);
  };
  // Names for assistive technology that start like an English control text.
  const english = /^(Show|Hide|Download|Copy|Help for|Increment|Decrement|Press|Choose|Clear|Search|Upload|Drag|Browse|Close|Open|Select|Fullscreen|Expand|Collapse|Delete|Remove|Sort|Pin|No results|Running|Link to|View|Toggle|Add|Edit|Previous|Next)\\b/;
  const checkName = (text) => { if (english.test((text || "").trim())) found.add(text.trim()); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.nodeType === Node.TEXT_NODE) { check(node.nodeValue); continue; }
    for (const name of ["aria-label", "placeholder", "title"]) {
      check(node.getAttribute(name));
      checkName(node.getAttribute(name));
    }
  }
  return [...found];
}
"""

# Text drawn in the charts' SVG (axis labels, titles, legends) with its contrast on white:
# axe-core does not look into SVG text.
CHART_TEXT_CONTRAST = """
() => {
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map((c) => {
      c = c / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const charts = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')];
  return {
    unnamed: charts.filter((c) => !c.querySelector('[aria-label]')).length,
    weakest: Math.min(99, ...charts.flatMap((c) => [...c.querySelectorAll('svg text')])
      .filter((t) => t.textContent.trim())
      .map((t) => 1.05 / (luminance(getComputedStyle(t).fill) + 0.05))),
    count: charts.length,
  };
}
"""


# Buttons and links that share a name on one page: a screen-reader user hears a list of
# "Fand statt, Fand statt, …" and cannot tell whose appointment each belongs to.
REPEATED_NAMES = """
() => {
  const seen = new Map();
  const own = '[data-testid^=stBaseButton], [data-testid=stPageLink-NavLink], [data-testid=stDownloadButton] button';
  for (const el of document.querySelectorAll(own)) {
    // Streamlit's toolbar above each table and chart (search, full screen) sits next to its
    // table; the app's own buttons are what must tell the person or thing apart.
    if (!el.offsetParent || el.closest('[data-testid=stElementToolbar]')) continue;
    // The accessible name without the icon (its ligature text is hidden from screen readers).
    const copy = el.cloneNode(true);
    copy.querySelectorAll('[aria-hidden=true], [data-testid=stIconMaterial]').forEach((i) => i.remove());
    const name = (el.getAttribute('aria-label') || copy.textContent || '').replace(/\\s+/g, ' ').trim();
    if (name) seen.set(name, (seen.get(name) || 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([name, n]) => `${name} (${n}×)`);
}
"""


def english_chrome(page) -> list[str]:  # type: ignore[no-untyped-def]
    from pages.german_chrome import GERMAN, PATTERNS

    return page.evaluate(ENGLISH_CHROME, [list(GERMAN), [p for p, _ in PATTERNS]])


def _open(page, title: str) -> None:  # type: ignore[no-untyped-def]
    if title == "Fall":  # the case page is reached from the list, never from the menu
        nav_to(page, "Fälle")
        page.get_by_test_id("stTable").first.wait_for()  # the box lies below the list, once drawn
        settled(page)
        box = page.get_by_role("combobox", name="Fall auswählen", exact=True)
        box.scroll_into_view_if_needed()
        box.click()
        page.get_by_role("option").first.click()
        page.get_by_role("button", name="Fall öffnen").wait_for()
        settled(page)
        page.get_by_role("button", name="Fall öffnen").click()
        page.get_by_text("Kontakt erfassen").first.wait_for()
    else:
        heading = page.get_by_role("heading", level=1, name=title).first
        if not heading.is_visible():  # the start page is open already after the login
            nav_to(page, title)
        heading.wait_for()
    settled(page)
    # Charts draw after the script run is over.
    page.wait_for_timeout(600)


def _report(findings: dict[str, list[dict]]) -> str:
    lines = ["| Seite | kritisch | ernst | mittel | gering | Regeln |", "|---|---|---|---|---|---|"]
    for where, violations in findings.items():
        counts = {impact: sum(len(v["nodes"]) for v in violations if v["impact"] == impact)
                  for impact in ("critical", "serious", "moderate", "minor")}
        rules = ", ".join(sorted({f"{v['id']} ({v['impact']})" for v in violations})) or "–"
        lines.append(f"| {where} | {counts['critical']} | {counts['serious']} | {counts['moderate']} "
                     f"| {counts['minor']} | {rules} |")
    return "\n".join(lines) + "\n"


def test_no_serious_accessibility_violation_on_any_page_of_any_role(  # type: ignore[no-untyped-def]
        page, running_app: RunningApp) -> None:
    source = _axe_source()
    findings: dict[str, list[dict]] = {}
    english: dict[str, list[str]] = {}
    repeated: dict[str, list[str]] = {}
    chart_problems: dict[str, dict] = {}

    visit(page, running_app.url)
    page.get_by_role("button", name="Anmelden").wait_for()
    settled(page)
    page.wait_for_function("document.documentElement.lang === 'de'")
    findings["Anmeldung"] = axe_violations(page, source)
    english["Anmeldung"] = english_chrome(page)
    sniffed: dict[str, list[str]] = {"Anmeldung": htmlcs_errors(page)}
    duplicates: dict[str, list[str]] = {"Anmeldung": page.evaluate(DUPLICATE_IDS)}

    for username, titles in ROLE_PAGES:
        log_in(page, running_app, username)
        for title in titles:
            _open(page, title)
            assert page.evaluate("document.documentElement.lang") == "de", title
            where = f"{title} ({username})"
            findings[where] = axe_violations(page, source)
            english[where] = english_chrome(page)
            sniffed[where] = htmlcs_errors(page)
            duplicates[where] = page.evaluate(DUPLICATE_IDS)
            repeated[where] = page.evaluate(REPEATED_NAMES)
            charts = page.evaluate(CHART_TEXT_CONTRAST)
            if charts["count"]:
                chart_problems[where] = charts
        log_out(page)

    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "axe-report.md").write_text(_report(findings), encoding="utf-8")
    (SHOTS / "axe-report.json").write_text(json.dumps(
        {"axe": findings, "english": english, "charts": chart_problems, "repeated": repeated,
         "htmlcs": sniffed, "duplicate_ids": duplicates}, ensure_ascii=False, indent=1),
                                           encoding="utf-8")
    serious = {where: [f"{v['id']}: {v['help']} – {v['nodes'][:3]}" for v in violations
                       if v["impact"] in FAILING]
               for where, violations in findings.items()}
    assert not {where: found for where, found in serious.items() if found}
    assert not {where: found for where, found in english.items() if found}
    assert not {where: found for where, found in repeated.items() if found}
    assert not {where: found for where, found in duplicates.items() if found}
    assert not {where: found for where, found in sniffed.items() if found}
    # Every chart is named for screen readers, its text readable (WCAG 1.1.1, 1.4.3).
    assert chart_problems and all(c["unnamed"] == 0 and c["weakest"] >= 4.5
                                  for c in chart_problems.values()), chart_problems


# What the keyboard focus is on, as a screen reader would name it.
FOCUSED = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "";
  const copy = e.cloneNode(true);  // the name without an icon's ligature text
  copy.querySelectorAll('[aria-hidden=true], [data-testid=stIconMaterial]').forEach((i) => i.remove());
  const label = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText)
    || copy.textContent || '';
  return label.replace(/\\s+/g, ' ').trim();
}
"""


def tab_to(page, wanted, limit: int = 120) -> str:  # type: ignore[no-untyped-def]
    """Press Tab until the focus is on a control whose name matches `wanted` (a regex)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        name = page.evaluate(FOCUSED)
        if re.search(wanted, name):
            return name
    raise AssertionError(f"Mit der Tabulatortaste nicht erreicht: {wanted}")


def in_focus(page, key: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => !!document.activeElement.closest('.st-key-{key}')")


def test_a_companions_day_without_a_mouse(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    """Log in, mark yesterday's interview as held, open a case from the list, record a contact:
    keyboard only – Tab, typing, Enter and the arrow keys; no click anywhere."""
    visit(page, running_app.url)
    page.get_by_label("Benutzername").wait_for()
    settled(page)
    tab_to(page, "^Benutzername$")
    page.keyboard.type("begleiter1")
    tab_to(page, "^Passwort$")
    page.keyboard.type("demo-passwort")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Abmelden").wait_for()
    settled(page)

    held = tab_to(page, "^Fand statt – ")
    name = held.split("–", 1)[1].strip()
    page.keyboard.press("Enter")
    page.get_by_text(f"Erstgespräch mit {name} am").first.wait_for()
    # The focus is on the message that says what happened, not back at the page start.
    page.wait_for_function("() => !!document.activeElement.closest('.st-key-flash_message')")
    settled(page)

    # The case list from the menu, a case chosen in the select box by typing.
    tab_to(page, "Fälle$")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="Fälle").wait_for()
    settled(page)
    tab_to(page, "^Fall auswählen$")
    page.keyboard.type(name.split()[0])
    page.get_by_role("option", name=re.compile(re.escape(name))).first.wait_for()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Fall öffnen").wait_for()
    settled(page)
    tab_to(page, "^Fall öffnen$")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=name).wait_for()
    settled(page)

    tab_to(page, "^Notiz$")
    page.keyboard.type("Hausbesuch, nur mit der Tastatur erfasst")
    tab_to(page, "^Kontakt speichern$")
    page.keyboard.press("Enter")
    page.get_by_text(f"Hausbesuch bei {name} gespeichert.").first.wait_for()
    page.wait_for_function("() => !!document.activeElement.closest('.st-key-flash_message')")
    page.get_by_text("Hausbesuch, nur mit der Tastatur erfasst").first.wait_for()
