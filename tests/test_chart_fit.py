"""Charts that fit (issue 41): no title, legend, axis or row label of a chart is cut, at phone and
at desk width, on every page with charts and for every role that sees it; the bars keep at least
half of a chart's width. Headless Chromium (Debian's) driven by Playwright, as test_browser.

Streamlit draws Vega-Lite as SVG (checked here: a canvas would fail the test), and Vega's SVG
renderer keeps each element's scenegraph item on it (`__data__`, the same the renderer's own
event handling reads). So a text is measured two ways: Vega's own cut (the label limit) draws
fewer characters than the item holds, and a text that runs past the drawing's edge is cut by the
page. A label Vega hides because it would overlap another (opacity 0) is not drawn and not counted."""

from __future__ import annotations

import re
from datetime import date

import pytest

from .conftest import RunningApp
from .test_browser import log_in, settled, shot

pytestmark = pytest.mark.browser

CUT_CHART_TEXT = """() => {
  const found = [];
  // The charts shown (one in a folded expander is not drawn; it is measured once opened).
  const charts = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
    .filter((c) => c.offsetParent !== null);
  charts.forEach((chart, n) => {
    const svg = chart.querySelector('svg');
    if (!svg) { found.push(`Grafik ${n + 1}: nicht als SVG gezeichnet`); return; }
    // What can be seen: the window, narrowed by every box on the way up that clips its content.
    const drawing = svg.getBoundingClientRect();
    let left = 0, right = window.innerWidth;
    for (let e = svg; e && e !== document.body; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (e === svg || style.overflowX !== 'visible') {
        const box = e.getBoundingClientRect();
        left = Math.max(left, box.left); right = Math.min(right, box.right);
      }
    }
    for (const t of svg.querySelectorAll('text')) {
      const item = t.__data__;  // Vega's scenegraph item: the whole text and its opacity
      if (!t.textContent.trim() || (item && item.opacity === 0)) continue;
      const drawn = t.textContent.replace(/\\s/g, '');
      const full = item ? (Array.isArray(item.text) ? item.text.join('') : String(item.text ?? '')).replace(/\\s/g, '')
                        : drawn;
      const box = t.getBoundingClientRect();
      if (drawn !== full) found.push(`Grafik ${n + 1}: gekürzt „${drawn}“ statt „${full}“`);
      else if (box.left < left - 1 || box.right > right + 1)
        found.push(`Grafik ${n + 1}: abgeschnitten „${drawn}“ (${Math.round(box.left)}–${Math.round(box.right)} px, `
                   + `sichtbar ${Math.round(left)}–${Math.round(right)} px)`);
    }
    // The plot area: the background of the root group (Vega-Lite's view), against the whole drawing.
    const view = svg.querySelector('.root path.background');
    const plot = view ? view.getBoundingClientRect().width : null;
    if (plot === null) found.push(`Grafik ${n + 1}: Zeichenfläche nicht gefunden`);
    else if (plot < drawing.width / 2)
      found.push(`Grafik ${n + 1}: Balken nur ${Math.round(plot)} von ${Math.round(drawing.width)} px breit`);
  });
  return {count: charts.length, found};
}"""

# Who sees which pages with charts (user, [(path, heading)], charts at least); the council's page
# needs released quarters, so its runs are also made on the clock sweep's days.
LEAD_PAGES = [("dashboard", "Lagebild"), ("team", "Team & Stellen"), ("results", "Ergebnisse")]
COUNCIL = [("council", "Kreistag")]
VIEWS = [
    pytest.param("leitung", LEAD_PAGES, 10, id="leitung"),
    pytest.param("leitung", COUNCIL, 1, id="leitung-kreistag", marks=pytest.mark.calendar),
    pytest.param("kreistag", COUNCIL, 1, id="kreistag", marks=pytest.mark.calendar),
]


@pytest.fixture
def released_app(page, running_app: RunningApp) -> RunningApp:  # type: ignore[no-untyped-def]
    from db.store.database import Database

    from .conftest import World, release_final_quarters

    page.goto(running_app.url)  # the first run seeds the demo; then the council gets its releases
    page.get_by_label("Benutzername").wait_for()
    db = Database.from_url(running_app.db_url)
    release_final_quarters(World(db=db, today=date.today()))
    db.dispose()
    return running_app


def _drawn(page) -> None:  # type: ignore[no-untyped-def]
    """Every chart on the page drawn (Vega renders after the script run has ended; a chart far
    down the page is brought into view first, in case it is drawn only when seen)."""
    settled(page)
    charts = page.locator("[data-testid=stVegaLiteChart]")
    charts.first.wait_for(state="attached")
    for n in range(charts.count()):
        chart = charts.nth(n)
        if chart.is_visible():
            chart.scroll_into_view_if_needed()
            chart.locator("svg text, canvas").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(500)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(("username", "pages", "at_least"), VIEWS)
def test_no_chart_text_is_cut_and_the_bars_keep_half_the_width(  # type: ignore[no-untyped-def]
        page, released_app: RunningApp, username: str, pages: list[tuple[str, str]], at_least: int,
        width: int) -> None:
    from .test_browser import visit

    page.set_viewport_size({"width": width, "height": 900})
    found: dict[str, list[str]] = {}
    counted = 0
    for n, (path, title) in enumerate(pages):
        if n == 0:
            log_in(page, released_app, username, path=path)
        else:
            visit(page, f"{released_app.url}/{path}")
        page.get_by_role("heading", name=title).first.wait_for()
        _drawn(page)
        # The lead's preview of the next release holds charts too.
        for preview in page.locator("summary", has_text="Vorschau").all():
            preview.click()
            _drawn(page)
        result = page.evaluate(CUT_CHART_TEXT)
        counted += result["count"]
        if result["found"]:
            found[f"{username}/{path}"] = result["found"]
        if width == 390:  # shot() takes the page at 1280 and at 390 px
            shot(page, f"charts-{username}-{re.sub(r'[^a-z]+', '-', path)}")
    assert counted >= at_least  # the test measured charts, not nothing
    assert not found, "\n".join(f"{where}: {what}" for where, items in found.items() for what in items)


# A select box's chosen value cut off: Streamlit shows it in the box's input (or, in other
# versions, in an element that hides what overflows it). The input's text is measured in its own
# font against the room between its paddings.
CUT_CHOICE = """(box) => {
  const cut = [];
  const input = box.querySelector('input:not([type=radio])');
  if (input && input.value) {
    const style = getComputedStyle(input);
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.font;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const needed = context.measureText(input.value).width;
    if (needed > room + 1) cut.push(`${input.value} (${Math.round(needed)} px in ${Math.round(room)} px)`);
  }
  for (const e of box.querySelectorAll('*')) {
    const style = getComputedStyle(e);
    const clips = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (clips && e.textContent.trim() && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
      cut.push(`${e.textContent.trim()} (${e.scrollWidth} px in ${e.clientWidth} px)`);
  }
  return cut;
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_the_chosen_companion_fits_the_assignment_choice(
        page, running_app: RunningApp, width: int) -> None:  # type: ignore[no-untyped-def]
    """Each companion, chosen where the lead assigns a referral, reads whole with load and mark
    (it was cut at "…0/20 Teilnehm…"); the demo's Bianca carries the mark "over once the inflow
    starts", so the longest label of the demo is measured."""
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, running_app, "leitung", path="referrals")
    page.get_by_role("heading", name="Eingang: offene Zuweisungen").first.wait_for()
    settled(page)
    box = page.locator("[class*='st-key-incoming_'][class*='_companion']").first
    box.wait_for()
    found = {}
    radios = box.get_by_role("radiogroup").locator(":scope > *")  # one element per option
    box.locator("[role=radiogroup], [role=combobox]").first.wait_for()  # either is drawn
    if radios.count():  # a small team: one-tap choices, each label wraps whole
        options = [t.strip() for t in radios.all_inner_texts()]
        assert any("bald zu voll" in o for o in options), options
        for i, option in enumerate(options):
            radios.nth(i).click()
            settled(page)
            if cut := box.evaluate(CUT_CHOICE):
                found[option] = cut
    else:  # a large team: the select box shows the chosen text in its input
        combobox = box.get_by_role("combobox")
        combobox.click()
        options = page.get_by_role("option").all_inner_texts()
        page.keyboard.press("Escape")
        assert any("bald zu voll" in o for o in options), options
        for option in options:
            settled(page)
            combobox.click()
            page.get_by_role("option", name=option, exact=True).click()
            settled(page)
            page.wait_for_function("([b, o]) => { const i = b.querySelector('input'); return (i && i.value === o) "
                                   "|| b.textContent.includes(o); }", arg=[box.element_handle(), option])
            if cut := box.evaluate(CUT_CHOICE):
                found[option] = cut
    if width == 390:
        shot(page, "zuweisungen-auswahl")
    assert not found, found
