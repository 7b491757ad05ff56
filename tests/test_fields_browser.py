"""Date and number fields as Chromium shows them (pages/ui/fields.py, pages/german_chrome.py).

What only a browser sees: the accessible names, values and descriptions Chromium hands to a
screen reader for a date field's parts and its calendar (read from Chromium's accessibility tree
over CDP, as assistive technology gets it), and a value typed into a real field that the widget
itself would have refused.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select

from db.store.models import Activity

from .conftest import RUN_TRACKER, RunningApp
from .test_accessibility import _open
from .test_browser import SHOTS, log_in, settled

pytestmark = pytest.mark.browser

GERMAN_MONTHS = ("Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
                 "Dezember")
GERMAN_DAYS = "Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag"
# Words of react-aria's and Streamlit's English date texts: none may reach a screen reader.
ENGLISH = re.compile(r"\b(day|month|year|Empty|Selected|Choose|Use arrow|navigate|Today|January|"
                     r"February|March|May|June|July|October|December|Monday|Tuesday|Wednesday|"
                     r"Thursday|Friday|Saturday|Sunday|Previous|Next)\b", re.IGNORECASE)


def accessibility_tree(page) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Every node of Chromium's accessibility tree: role, name, value, description."""
    client = page.context.new_cdp_session(page)
    try:
        nodes = client.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        client.detach()
    return [{key: str((node.get(key) or {}).get("value", "")) for key in ("role", "name", "value", "description")}
            for node in nodes if not node.get("ignored")]


def read_values(page) -> list[str]:  # type: ignore[no-untyped-def]
    """What a screen reader says as each date part's value: its aria-valuetext (Chromium's CDP
    tree leaves the text of a contenteditable spin button empty, the platform API passes it)."""
    return page.get_by_role("spinbutton").evaluate_all("(all) => all.map((e) => e.getAttribute('aria-valuetext'))")


def spoken(node: dict[str, str]) -> str:
    return " | ".join(v for v in (node["name"], node["value"], node["description"]) if v)


def test_date_fields_read_german_in_a_browser_set_to_english(browser, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    # An English browser: the calendar follows the language the page reports, not the browser's.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.add_init_script(RUN_TRACKER)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in(page, running_app, "fallmanager1")
        page.get_by_text("Neue Zuweisung").first.wait_for()
        settled(page)
        page.get_by_role("spinbutton").first.wait_for()
        parts = [n for n in accessibility_tree(page) if n["role"] == "spinbutton"]
        # Geburtsdatum (empty) and Einwilligung (today) on the referral form: three parts each.
        names = [n["name"] for n in parts]
        assert names == [f"{part}, {label}" for label in ("Geburtsdatum", "Einwilligung zur Teilnahme am")
                         for part in ("Tag", "Monat", "Jahr")], names
        values = read_values(page)
        assert values[:3] == ["leer"] * 3
        assert re.fullmatch(rf"\d+ – ({GERMAN_MONTHS})", values[4]), values
        described = [n["description"] for n in parts if n["description"]]
        assert described and all(re.fullmatch(rf"Gewähltes Datum: \d+\. ({GERMAN_MONTHS}) \d{{4}}", d)
                                 for d in described), described
        # What a sighted user reads in the empty field: German placeholders.
        assert [page.get_by_role("spinbutton", name=f"{part}, Geburtsdatum").inner_text()
                for part in ("Tag", "Monat", "Jahr")] == ["TT", "MM", "JJJJ"]

        page.get_by_role("button", name="Datum wählen").nth(1).click()
        page.get_by_test_id("stDateInputCalendar").wait_for()
        page.wait_for_timeout(300)  # the translation runs on the next mutation callback
        tree = accessibility_tree(page)
        calendar = [n for n in tree if n["role"] in ("application", "dialog", "grid")
                    and n["name"].startswith("Datum wählen, ")]
        assert calendar and all(re.fullmatch(rf"Datum wählen, ({GERMAN_MONTHS}) \d{{4}}", n["name"])
                                for n in calendar), calendar
        # The keyboard hint: Streamlit describes the calendar with it where it opens as a dialog.
        hints = {n["description"] for n in calendar if n["description"]}
        assert hints <= {"Mit den Pfeiltasten durch die Tage gehen, Eingabetaste wählt, Escape schließt."}
        days = [n["name"] for n in tree if n["role"] in ("button", "gridcell")
                and re.search(r"\d{4}$", n["name"]) and "," in n["name"]]
        assert len(days) >= 28 and all(re.fullmatch(
            rf"(Heute, )?(Ausgewählt, )?({GERMAN_DAYS}), \d+\. ({GERMAN_MONTHS}) \d{{4}}( ausgewählt)?", d)
            for d in days), days[:5]
        assert {"Vorheriger Monat", "Nächster Monat", "Monat", "Jahr"} <= {n["name"] for n in tree}
        # Nothing of the field or the calendar speaks English.
        english = [spoken(n) for n in tree if ENGLISH.search(spoken(n))
                   and (n["role"] in ("spinbutton", "application", "dialog", "grid", "gridcell")
                        or n["name"].startswith(("Datum", "Tag", "Monat", "Jahr")) or "Datum" in n["description"])]
        assert not english, english
        assert not [v for v in read_values(page) if ENGLISH.search(v)]
    finally:
        context.close()


def activity_count(app: RunningApp) -> int:
    engine = create_engine(app.db_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Activity)) or 0
    finally:
        engine.dispose()


def type_into_date(page, label: str, typed: str) -> None:  # type: ignore[no-untyped-def]
    """Type day, month and year into a real date field, as a person does: into its day part."""
    page.get_by_role("spinbutton", name=f"Tag, {label}").first.click()
    page.keyboard.type(typed)
    page.keyboard.press("Tab")


def test_an_out_of_range_date_or_number_is_refused_in_german_and_nothing_is_stored(  # type: ignore[no-untyped-def]
        page, running_app: RunningApp) -> None:
    log_in(page, running_app, "begleiter1")
    _open(page, "Fall")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone, once the case is open
    settled(page)
    form = page.get_by_test_id("stForm").filter(has=page.get_by_text("Kontakt erfassen"))
    before = activity_count(running_app)

    # A contact dated in the future: Streamlit's own range would have kept today and saved.
    type_into_date(page, "Datum", "31122030")
    settled(page)
    assert form.get_by_role("spinbutton", name="Jahr, Datum").get_attribute("aria-valuetext") == "2030"
    form.get_by_role("button", name="Kontakt speichern").click()
    refusal = page.get_by_text(re.compile("„Datum“ darf nicht in der Zukunft liegen"))
    refusal.wait_for()
    settled(page)
    page.wait_for_timeout(300)  # the scroll to the field
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "refused-date-390.png"))  # as the person sees it: not scrolled by the test
    assert "erlaubt: bis heute" in refusal.inner_text()
    assert activity_count(running_app) == before
    # The message stands right under the field it names, both on screen, and has the focus.
    assert_beside(page, form.get_by_test_id("stDateInput").filter(has=page.get_by_text("Datum", exact=True)),
                  refusal)
    assert refusal.count() == 1  # said once, not again under the form
    # The field still shows what was typed: nothing replaced it.
    assert form.get_by_role("spinbutton", name="Jahr, Datum").get_attribute("aria-valuetext") == "2030"

    # Minutes below the range, with a valid date again.
    type_into_date(page, "Datum", f"{date.today():%d%m%Y}")
    minutes = form.get_by_label("Dauer in Minuten (optional)")
    minutes.fill("-30")
    minutes.press("Tab")
    settled(page)
    form.get_by_role("button", name="Kontakt speichern").click()
    refusal = page.get_by_text(re.compile("Dauer muss zwischen 1 und 1440 Minuten liegen"))
    refusal.wait_for()
    settled(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "refused-minutes-390.png"))
    assert activity_count(running_app) == before
    assert minutes.input_value() == "-30"
    assert_beside(page, form.get_by_test_id("stNumberInput"), refusal)


def assert_beside(page, field, message) -> None:  # type: ignore[no-untyped-def]
    """The refusal's box begins right below the field's box (nothing between them, same column),
    both lie within the screen, and the message holds the keyboard focus."""
    slot = message.locator("xpath=ancestor::div[contains(@class, 'st-key-refused_')][1]")
    field_box, message_box = field.bounding_box(), slot.bounding_box()
    assert field_box and message_box, (field_box, message_box)
    gap = message_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= gap <= 40, (field_box, message_box)  # Streamlit's gap between elements, an icon's margin
    assert abs(message_box["x"] - field_box["x"]) <= 40, (field_box, message_box)
    height = page.viewport_size["height"]
    assert field_box["y"] >= 0 and message_box["y"] + message_box["height"] <= height, (field_box, message_box)
    assert page.evaluate("() => !!document.activeElement?.closest('[class*=st-key-refused_]')")
