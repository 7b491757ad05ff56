"""Accessibility as a screen-reader or keyboard user meets the app (BITV 2.0 / WCAG 2.1 AA).

axe-core (the npm package, installed into tests/a11y by `make test`) is injected into every page
of every role; a violation of impact "serious" or "critical" fails the run. The full findings of
each run are written to screenshots/axe-report.md, the table the issue asks for.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import RunningApp
from .test_browser import SHOTS, log_in, log_out, nav_to, settled, visit

pytestmark = [pytest.mark.browser]

AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
FAILING = {"serious", "critical"}

# Every page of every role, as the menu shows it; "Fall" is opened from the case list.
ROLE_PAGES: list[tuple[str, list[str]]] = [
    ("begleiter1", ["Termine", "Fälle", "Fall", "Zuweisungen", "Sprechstunden", "Arbeitgeber",
                    "Mein Konto", "Barrierefreiheit"]),
    ("leitung", ["Lagebild", "Ergebnisse", "Fälle", "Fall", "Zuweisungen", "Termine", "Sprechstunden",
                 "Team & Stellen", "Arbeitgeber", "Import & Export", "Kreistag", "Mein Konto", "Barrierefreiheit"]),
    ("fallmanager1", ["Zuweisungen", "Sprechstunden", "Mein Konto", "Barrierefreiheit"]),
    ("kreistag", ["Kreistag", "Mein Konto", "Barrierefreiheit"]),
    ("admin", ["Benutzer", "Protokoll", "Mein Konto", "Barrierefreiheit"]),
    ("datenschutz", ["Protokoll", "Mein Konto", "Barrierefreiheit"]),
]


def _axe_source() -> str:
    if not AXE.exists():
        message = f"{AXE} fehlt: `make test` installiert axe-core mit npm (tests/a11y)"
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
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.nodeType === Node.TEXT_NODE) { check(node.nodeValue); continue; }
    for (const name of ["aria-label", "placeholder", "title"]) check(node.getAttribute(name));
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


def english_chrome(page) -> list[str]:  # type: ignore[no-untyped-def]
    from pages.german_chrome import GERMAN, PATTERNS

    return page.evaluate(ENGLISH_CHROME, [list(GERMAN), [p for p, _ in PATTERNS]])


def _open(page, title: str) -> None:  # type: ignore[no-untyped-def]
    if title == "Fall":  # the case page is reached from the list, never from the menu
        nav_to(page, "Fälle")
        settled(page)
        page.get_by_role("combobox", name="Fall auswählen", exact=True).click()
        page.get_by_role("option").first.click()
        settled(page)
        page.get_by_role("button", name="Fall öffnen").click()
        page.get_by_text("Kontakt erfassen").first.wait_for()
    else:
        nav_to(page, title)
        page.get_by_role("heading", name=title).first.wait_for()
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
    chart_problems: dict[str, dict] = {}

    visit(page, running_app.url)
    page.get_by_role("button", name="Anmelden").wait_for()
    settled(page)
    page.wait_for_function("document.documentElement.lang === 'de'")
    findings["Anmeldung"] = axe_violations(page, source)
    english["Anmeldung"] = english_chrome(page)

    for username, titles in ROLE_PAGES:
        log_in(page, running_app, username)
        for title in titles:
            _open(page, title)
            assert page.evaluate("document.documentElement.lang") == "de", title
            where = f"{title} ({username})"
            findings[where] = axe_violations(page, source)
            english[where] = english_chrome(page)
            charts = page.evaluate(CHART_TEXT_CONTRAST)
            if charts["count"]:
                chart_problems[where] = charts
        log_out(page)

    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "axe-report.md").write_text(_report(findings), encoding="utf-8")
    (SHOTS / "axe-report.json").write_text(json.dumps(
        {"axe": findings, "english": english, "charts": chart_problems}, ensure_ascii=False, indent=1),
                                           encoding="utf-8")
    serious = {where: [f"{v['id']}: {v['help']} – {v['nodes'][:3]}" for v in violations
                       if v["impact"] in FAILING]
               for where, violations in findings.items()}
    assert not {where: found for where, found in serious.items() if found}
    assert not {where: found for where, found in english.items() if found}
    # Every chart is named for screen readers, its text readable (WCAG 1.1.1, 1.4.3).
    assert chart_problems and all(c["unnamed"] == 0 and c["weakest"] >= 4.5
                                  for c in chart_problems.values()), chart_problems
