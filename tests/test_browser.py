"""The app as a user meets it: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from .conftest import RunningApp

# No retries: a browser test that fails has found something. The random failures these tests
# once had came from acting while a script run was still going – runs the cookie component asked
# for on its own (pages.session.ScriptCookies) and runs the tests did not wait for (settled).
pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parent.parent / "screenshots"))


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until every script run the page asked for is over (conftest.RUN_TRACKER counts them).
    A click during a run may hit a button the run is about to remove (it then does nothing), a
    choice made during a run can be overwritten by it, and a select box opened during a run is
    redrawn closed: the tests act only on a settled page. Settled includes the widgets Streamlit
    loads lazily (tables, select boxes, date fields): until their code has arrived each is a grey
    placeholder (stSkeleton), and keys pressed meanwhile keep React from swapping it in – a Tab
    then walks past a select box that is not there yet."""
    page.wait_for_function("() => !window.__runs || window.__runs.answered >= window.__runs.asked")
    page.locator("[data-test-script-state=notRunning]").wait_for(state="attached")
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')")


def visit(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """Open an address of the app as a fresh page. Leaving the old one for a blank page first
    closes its websocket before the new one opens; going straight from one app page to the next
    sometimes left the new page "CONNECTING" for good in headless Chromium."""
    if page.url.startswith("http"):
        page.goto("about:blank")
    page.goto(url)


def log_in(page, app: RunningApp, username: str, path: str = "") -> None:  # type: ignore[no-untyped-def]
    visit(page, f"{app.url}/{path}")
    page.get_by_label("Benutzername").wait_for()
    settled(page)
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort", exact=True).fill("demo-passwort")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("button", name="Abmelden").wait_for()
    settled(page)


def log_out(page) -> None:  # type: ignore[no-untyped-def]
    settled(page)
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("button", name="Anmelden").wait_for()


def nav_links(page) -> list[str]:  # type: ignore[no-untyped-def]
    nav = page.get_by_test_id("stSidebarNav")
    nav.wait_for()
    # Each link reads "<icon ligature>\n\n<title>"; the title is the last line.
    return [t.strip().splitlines()[-1] for t in nav.get_by_role("link").all_inner_texts()]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The whole page at 1280 px and at 390 px (a phone) width (Streamlit scrolls inside the page, so the
    window is made as tall as the content instead of using a full-page screenshot)."""
    SHOTS.mkdir(exist_ok=True)
    original = page.viewport_size
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(400)
        height = page.evaluate(
            "() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
        page.set_viewport_size({"width": width, "height": min(max(900, height + 120), 6000)})
        page.wait_for_timeout(400)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
    page.set_viewport_size(original)


def choose(page, label: str, typed: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick from a select box as a keyboard user does: focus, type to filter, take the option."""
    settled(page)
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    box.click()
    box.press_sequentially(typed)
    page.get_by_role("option", name=option).click()


def case_id_of(app: RunningApp, client_number: str) -> int:
    from sqlalchemy import select

    from db.store.database import Database
    from db.store.models import Case, Client

    db = Database.from_url(app.db_url)
    with db.read() as session:
        case_id = session.scalar(select(Case.id).join(Client).where(Client.client_number == client_number))
    db.dispose()
    assert case_id is not None
    return case_id


def nav_to(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open a page from the menu (links on the page may carry the same words)."""
    # A menu link's name is "<icon ligature> <title>".
    name = re.compile(rf"(^|\s){re.escape(title)}$")
    settled(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()


def unfold(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open an expander and wait until it has grown to its full height: a select box opened
    while the expander still grows is closed again by the movement (seen under CPU load)."""
    settled(page)
    page.get_by_text(title, exact=True).click()
    settled(page)  # a lazy expander's content comes with the run its opening asks for
    expander = page.get_by_test_id("stExpander").filter(has=page.get_by_text(title, exact=True))
    expander.locator("details[open]").wait_for()
    expander.evaluate("""(e) => new Promise((done) => {
        let last = -1;
        const look = () => requestAnimationFrame(() => {
            const height = e.getBoundingClientRect().height;
            if (height === last) done(); else { last = height; setTimeout(look, 50); }
        });
        look();
    })""")


def search_cases(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type into the case list's search; the filters are folded until one is set."""
    unfold(page, "Filter")
    page.get_by_label("Suche (Name oder Kundennummer)", exact=True).fill(text)
    page.keyboard.press("Enter")


def test_companion_sees_the_companion_menu(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    visit(page, running_app.url)
    page.get_by_role("button", name="Anmelden").wait_for()
    # German for screen readers (WCAG 3.1.1), already on the login page.
    page.wait_for_function("document.documentElement.lang === 'de'")
    shot(page, "login")
    log_in(page, running_app, "begleiter1")
    page.wait_for_function("document.documentElement.lang === 'de'")
    # No main menu with Streamlit's English entries (Print, Record screen, Made with Streamlit).
    assert page.get_by_test_id("stMainMenu").count() == 0
    assert page.get_by_text("Made with Streamlit").count() == 0
    assert nav_links(page) == ["Termine", "Fälle", "Zuweisungen", "Sprechstunden", "Arbeitgeber",
                               "Mein Konto", "Barrierefreiheit"]
    page.get_by_role("heading", name="Termine").first.wait_for()

    # A reload keeps the session (signed cookie) …
    page.reload()
    page.get_by_role("button", name="Abmelden").wait_for()
    # … a logout ends it for good: a reload afterwards shows the login form.
    log_out(page)
    page.reload()
    page.get_by_role("button", name="Anmelden").wait_for()
    assert page.get_by_role("button", name="Abmelden").count() == 0


def test_council_sees_only_releases_and_downloads_the_stored_pdf(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    from db.store.database import Database
    from db.figures.releases import release_file, releases

    from .conftest import World, release_final_quarters

    page.goto(running_app.url)  # the first page run migrates and seeds the demo
    page.get_by_label("Benutzername").wait_for()
    db = Database.from_url(running_app.db_url)
    world = World(db=db, today=date.today())
    release_final_quarters(world)
    newest = releases(db, world.actor("kreistag"))[0]
    stored_pdf = release_file(db, world.actor("kreistag"), newest.id, "pdf")
    db.dispose()
    log_in(page, running_app, "kreistag")
    assert nav_links(page) == ["Kreistag", "Mein Konto", "Barrierefreiheit"]
    page.get_by_text(f"Freigabe Nr. {newest.id} vom").first.wait_for()
    page.get_by_text(newest.briefing.summary[:60]).first.wait_for()
    shot(page, "kreistag")  # at 1280 and at 390 px
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Lagebericht als PDF").click()
    pdf = download.value
    assert pdf.suggested_filename == f"lagebericht-{newest.period.key}-freigabe-{newest.id}.pdf"
    SHOTS.mkdir(exist_ok=True)
    target = SHOTS / "lagebericht.pdf"
    pdf.save_as(str(target))
    assert target.read_bytes() == stored_pdf  # the bytes stored with the release


def test_council_sees_provisional_corrected_and_final_releases(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    """A quarter "vorläufig", a correction with the reason for each cell it no longer prints, and
    the annual release "endgültig" – on the page at 1280 and 390 px."""
    import random

    from db.store.database import Database
    from db.figures import releases

    from .conftest import World, release_final_quarters
    from .test_council_revisions import late_entries

    page.goto(running_app.url)
    page.get_by_label("Benutzername").wait_for()
    db = Database.from_url(running_app.db_url)
    world = World(db=db, today=date.today())
    release_final_quarters(world)
    lead = world.actor("leitung")
    late_entries(world, random.Random(3), 25)
    periods = releases.releasable(db, lead)  # corrections first, then the annual releases
    for period in sorted(periods, key=lambda p: p.is_year):
        candidate = releases.prepare(db, lead, period.key)
        if not candidate.unchanged:
            releases.release(db, lead, period.key, candidate.content_hash)
    stored = releases.releases(db, world.actor("kreistag"))
    provisional = next(r for r in stored if not r.final and r.corrected_by is None)
    withheld = next((r for r in stored if any(t.withheld for t in r.briefing.tables)), None)
    db.dispose()
    log_in(page, running_app, "kreistag")
    assert stored[0].period.is_year  # the newest release: the annual release, shown first
    page.get_by_text("Endgültig: die Summen des Jahres").first.wait_for()
    shot(page, "kreistag-jahresbericht")
    for chosen, name in ((provisional, "kreistag-vorlaeufig"), (withheld, "kreistag-neue-fassung")):
        if chosen is None:
            continue
        option = f"{chosen.title} – Nr. {chosen.id}" + (" (ersetzt, siehe neuere Freigabe)" if chosen.corrected_by else "")
        choose(page, "Lagebericht", f"Nr. {chosen.id}", option)
        page.get_by_text(f"Freigabe Nr. {chosen.id} vom").first.wait_for()
        if chosen is provisional:
            page.get_by_text("Vorläufig: später erfasste Vorgänge").first.wait_for()
        if chosen is withheld:
            page.get_by_text("in der ersetzten Fassung gedruckt, hier nicht ausgewiesen").first.wait_for()
        shot(page, name)


def test_lead_dashboard(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    log_in(page, running_app, "leitung")
    page.get_by_role("heading", name="Lagebild").first.wait_for()
    page.get_by_test_id("stVegaLiteChart").nth(5).wait_for()
    shot(page, "lagebild")


def test_bookmarked_page_opens_after_login(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    log_in(page, running_app, "leitung", path="account")
    page.get_by_role("heading", name="Mein Konto").first.wait_for()
    assert page.url.endswith("/account")
    assert page.get_by_text("Page not found").count() == 0


def test_interview_held_contact_logged_and_seen_by_the_lead(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    log_in(page, running_app, "begleiter1")
    page.get_by_role("heading", name="Termine").first.wait_for()
    shot(page, "termine")
    page.get_by_text("Ergebnis fehlt").first.wait_for()  # yesterday's interview
    held = page.get_by_role("button", name="Fand statt – ").first
    name = held.inner_text().split("–", 1)[1].strip()  # the button names the person
    held.click()
    yesterday = date.today() - timedelta(days=1)
    page.get_by_text(f"Erstgespräch mit {name} am {yesterday:%d.%m.%Y} fand statt").first.wait_for()
    settled(page)  # until then the interview's own "Fall öffnen" may still be there, to vanish
    page.get_by_role("button", name=f"Fall {name} öffnen").first.click()
    page.get_by_role("heading", name=name).first.wait_for()
    page.get_by_text("In Begleitung").first.wait_for()
    page.get_by_text(f"Begleitung seit: {yesterday:%d.%m.%Y}").first.wait_for()
    # Hausbesuch is preselected in the contact form right below the person's data.
    page.get_by_label("Notiz").fill("Erster Hausbesuch nach dem Erstgespräch")
    page.get_by_label("Neuer nächster Schritt (optional)").fill("Lebenslauf schreiben")
    page.get_by_role("button", name="Kontakt speichern").click()
    page.get_by_text(f"Hausbesuch bei {name} gespeichert.").first.wait_for()
    page.get_by_text("Nächster Schritt: Lebenslauf schreiben").first.wait_for()
    assert page.locator("a[href^='tel:']").count() == 1
    shot(page, "fall")
    log_out(page)

    log_in(page, running_app, "leitung")
    page.get_by_role("heading", name="Lagebild").first.wait_for()  # the lead's start page
    settled(page)  # a click on the menu while the Lagebild still draws can be lost
    nav_to(page, "Fälle")
    page.get_by_role("heading", name="Fälle").first.wait_for()
    search_cases(page, name)
    page.get_by_text("Seite 1 von 1 · 1 Fall").wait_for()
    assert page.get_by_test_id("stTable").get_by_text(name).count() == 1  # the one row, named
    choose(page, "Fall auswählen", name.split()[0], re.compile(re.escape(name)))
    page.get_by_role("button", name="Fall öffnen").wait_for()
    settled(page)
    shot(page, "faelle")
    page.get_by_role("button", name="Fall öffnen").click()
    page.get_by_role("heading", name=name).first.wait_for()
    page.get_by_text("In Begleitung").first.wait_for()
    page.get_by_text("Erster Hausbesuch nach dem Erstgespräch").wait_for()
    assert page.get_by_text("Hausbesuch ·").count() >= 1
    shot(page, "fall-leitung")


def test_referral_with_a_barrier_assigned_above_capacity_and_seen_as_a_chip(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    log_in(page, running_app, "fallmanager1")
    page.get_by_role("heading", name="Meine Zuweisungen").first.wait_for()
    page.get_by_label("Kundennummer", exact=True).fill("BT-4711")
    page.get_by_label("Vorname", exact=True).fill("Rita")
    page.get_by_label("Nachname", exact=True).fill("Probefrau")
    page.get_by_label("Wohnort", exact=True).fill("Guben")
    choose(page, "Bekannte Vermittlungshemmnisse (optional)", "Führer", "Führerschein fehlt")
    page.keyboard.press("Escape")
    page.get_by_label("Hinweis für die Integrationsbegleitung (optional)").fill("Sucht Arbeit in der Pflege")
    shot(page, "zuweisungen-fallmanager")
    page.get_by_role("button", name="Zuweisen").click()
    page.get_by_text("Zuweisung von Rita Probefrau gespeichert.").first.wait_for()
    log_out(page)

    from db.store.database import Database

    from .helpers import part_time

    db = Database.from_url(running_app.db_url)
    part_time(db, "begleiter1", 10)  # 11 participants: over her own capacity
    db.dispose()
    log_in(page, running_app, "leitung")
    page.get_by_role("heading", name="Handlungsbedarf").first.wait_for()
    page.get_by_text("Bianca Begleitmann (Demo): über der Kapazität (11 Teilnehmende bei Kapazität 10 (eigene Kapazität), Zulauf 20)").wait_for()
    shot(page, "lagebild-handlungsbedarf")
    settled(page)
    nav_to(page, "Zuweisungen")
    page.get_by_role("heading", name="Eingang: offene Zuweisungen").first.wait_for()
    settled(page)
    key = f"incoming_{case_id_of(running_app, 'BT-4711')}"  # Streamlit marks a widget st-key-<key>
    # One tap on the companion: the team's companions are radio options, the whole label wraps.
    page.locator(f".st-key-{key}_companion").get_by_text(re.compile(r"^Bianca Begleitmann \(Demo\) · 11/10 \+\d+ · zu voll$")).click()
    settled(page)
    page.locator(f".st-key-{key}_assign").get_by_role("button").click()
    page.get_by_text("bei Kapazität 10").first.wait_for()
    settled(page)
    page.locator(f".st-key-{key}_confirm").get_by_text("Ja, trotz voller Kapazität").click()
    settled(page)
    page.locator(f".st-key-{key}_assign").get_by_role("button").click()
    page.get_by_text("Rita Probefrau an Bianca Begleitmann (Demo) zugewiesen.").first.wait_for()
    shot(page, "zuweisungen-leitung")
    log_out(page)

    log_in(page, running_app, "begleiter1")
    page.get_by_role("heading", name="Termine").first.wait_for()
    settled(page)
    nav_to(page, "Fälle")
    page.get_by_role("heading", name="Fälle").first.wait_for()
    settled(page)
    choose(page, "Fall auswählen", "Rita", "Rita Probefrau · Zugewiesen")
    page.get_by_role("button", name="Fall öffnen").wait_for()
    settled(page)
    page.get_by_role("button", name="Fall öffnen").click()
    page.get_by_role("heading", name="Rita Probefrau").first.wait_for()
    page.get_by_text("Führerschein fehlt").first.wait_for()  # the chip at the top
    page.get_by_text("Sucht Arbeit in der Pflege").first.wait_for()  # the referral note at the top
    shot(page, "fall-zuweisung")


def test_lead_imports_three_cases_from_the_template_and_finds_them(page, running_app: RunningApp,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    import csv
    import io

    from db.casework.caseload_io import template

    # The template as downloaded, its example row replaced by three real rows.
    header = next(csv.reader(io.StringIO(template("csv").decode("utf-8-sig")), delimiter=";"))
    rows = [
        {"Kundennummer": f"BR-{n}", "Vorname": first, "Nachname": "Browserimport", "Wohnort": "Guben",
         "Status": status, "Integrationsbegleitung": "begleiter1" if status != "Zugewiesen" else "",
         "Zugewiesen am": "02.11.2026", "Erstgespräch am": interview}
        for n, first, status, interview in [(1, "Anna", "In Begleitung", "05.11.2026"),
                                            (2, "Bert", "Zugewiesen", ""),
                                            (3, "Cora", "Erstgespräch geplant", "10.12.2026 10:00")]
    ]
    upload = tmp_path / "bestand.csv"
    with upload.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)

    log_in(page, running_app, "leitung")
    nav_to(page, "Import & Export")
    page.get_by_role("heading", name="Import & Export").first.wait_for()
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="3 Fälle übernehmen").wait_for()
    settled(page)
    shot(page, "import-vorschau")
    page.get_by_role("button", name="3 Fälle übernehmen").click()
    page.get_by_text("3 Fälle übernommen.").first.wait_for()

    nav_to(page, "Fälle")
    page.get_by_role("heading", name="Fälle").first.wait_for()
    search_cases(page, "Browserimport")
    page.get_by_text("Seite 1 von 1 · 3 Fälle").wait_for()  # the grid itself is drawn on a canvas
    shot(page, "import-faelle")


def test_programme_pages_as_the_lead(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    log_in(page, running_app, "leitung")
    for link, heading, name in [("Sprechstunden", "Sprechstunden", "sprechstunden"),
                                ("Team & Stellen", "Team & Stellen", "team"),
                                ("Arbeitgeber", "Arbeitgeber", "arbeitgeber")]:
        nav_to(page, link)
        page.get_by_role("heading", name=heading).first.wait_for()
        page.locator("[data-testid=stDataFrame], [data-testid=stTable]").first.wait_for()
        settled(page)
        shot(page, name)


def test_a_cookie_signed_with_another_key_is_rejected(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    import time as clock

    import jwt

    def visit_with(key: str) -> None:
        token = jwt.encode({"username": "leitung", "exp_date": clock.time() + 3600}, key, algorithm="HS256")
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "begleiter_cockpit", "value": token,
                                   "url": running_app.url}])
        visit(page, running_app.url)

    visit_with("x" * 48)  # forged: somebody's guess at the key
    page.get_by_role("button", name="Anmelden").wait_for()
    settled(page)
    assert page.get_by_role("button", name="Abmelden").count() == 0
    visit_with("t" * 48)  # the server's key (the fixture's COOKIE_KEY): the same cookie logs in
    page.get_by_role("button", name="Abmelden").wait_for()


def test_a_malformed_or_foreign_token_shows_the_login_form(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    import base64
    import json
    import time as clock

    import jwt

    key = "t" * 48  # the server's own key: only the form of the token is wrong

    def unsigned(claims: dict) -> str:
        part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."

    later = clock.time() + 3600
    tokens = {
        "alg none": unsigned({"username": "leitung", "exp_date": later}),
        "HS512": jwt.encode({"username": "leitung", "exp_date": later}, key, algorithm="HS512"),
        "exp in the past": jwt.encode({"username": "leitung", "exp_date": later, "exp": int(clock.time()) - 60},
                                      key, algorithm="HS256"),
        "no expiry": jwt.encode({"username": "leitung"}, key, algorithm="HS256"),
        "not a token": "kein.token",
    }
    for name, token in tokens.items():
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "begleiter_cockpit", "value": token, "url": running_app.url}])
        visit(page, running_app.url)
        page.get_by_role("button", name="Anmelden").wait_for()
        settled(page)
        assert page.get_by_test_id("stException").count() == 0, name
        assert page.get_by_role("button", name="Abmelden").count() == 0, name


def test_crafted_addresses_open_nothing_they_should_not(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    visit(page, f"{running_app.url}/caseload_import?id=1")
    page.get_by_role("button", name="Anmelden").wait_for()
    settled(page)
    assert page.get_by_role("heading", name="Import & Export").count() == 0
    log_in(page, running_app, "begleiter1")
    for path in ("team", "caseload_import", "council", "users", "dashboard"):
        visit(page, f"{running_app.url}/{path}")
        page.get_by_role("button", name="Abmelden").wait_for()
        settled(page)
        headings = page.get_by_role("heading").all_inner_texts()
        assert not {"Team & Stellen", "Import & Export", "Benutzer", "Lagebild"} & set(headings), (path, headings)
        assert not any(h.startswith("Kreistag") for h in headings)
    # Another role's page and an address that does not exist: the app's own German page, never
    # Streamlit's English dialog – and the menu works on.
    for path in ("dashboard", "gibt-es-nicht"):
        visit(page, f"{running_app.url}/{path}")
        page.get_by_role("heading", name="Seite nicht verfügbar").wait_for()
        settled(page)
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_role("dialog").count() == 0
    shot(page, "seite-nicht-verfuegbar")
    page.get_by_test_id("stSidebarNav").get_by_text("Fälle").click()
    page.get_by_role("heading", name="Fälle", exact=True).first.wait_for()


# A demo account of every role (db/demo/seed.py).
ACCOUNTS = {"COMPANION": "begleiter1", "LEAD": "leitung", "CASE_MANAGER": "fallmanager1",
            "COUNCIL": "kreistag", "ADMIN": "admin", "DATA_PROTECTION": "datenschutz"}


def test_every_page_of_every_role_opens_by_its_own_address(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    """A bookmark of any menu page opens that page – the start page too, which Streamlit serves
    at "/" and once called "not found" by its own address (the English dialog over the page,
    inert until closed: /agenda, /dashboard, /referrals, /council, /users, /audit_log)."""
    from app import EVERYONE, ROLE_PAGES
    from db.vocabulary import Role

    assert set(ACCOUNTS) == {role.name for role in Role}  # a new role needs its account here
    paths = {name: ("barrierefreiheit" if name == "accessibility" else name) for pages in ROLE_PAGES.values()
             for name in [*pages, *EVERYONE]}
    failures = []
    for role, pages in ROLE_PAGES.items():
        log_in(page, running_app, ACCOUNTS[role.name])
        for name in [*pages, *EVERYONE]:
            if name == "case":
                continue  # opened with ?id= from a list (test_crafted_addresses…)
            visit(page, f"{running_app.url}/{paths[name]}")
            page.get_by_role("button", name="Abmelden").wait_for()
            settled(page)
            if page.get_by_text("Page not found").count() or page.get_by_role("dialog").count() \
                    or page.get_by_role("heading", name="Seite nicht verfügbar").count():
                failures.append((role.name, name))
        log_out(page)
    assert failures == []


def test_a_name_written_as_markdown_makes_no_request(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    """A client named like a Markdown image or link stays text: the browser fetches nothing."""
    from sqlalchemy import select

    from db.store.database import Database
    from db.store.models import Case, Client
    from db.vocabulary import CaseStatus

    bait = "![x](http://127.0.0.1:9/spur.png) [klick](http://127.0.0.1:9/los) www.spur.example"
    visit(page, running_app.url)  # the app prepares its database on the first visit
    page.get_by_label("Benutzername").wait_for()
    db = Database.from_url(running_app.db_url)
    with db.write() as session:
        case = session.scalars(select(Case).where(Case.status == CaseStatus.INTERVIEW_PLANNED)).first()
        session.get(Client, case.client_id).last_name = bait
        case_id = case.id
    db.dispose()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, running_app, "begleiter1")
    page.get_by_role("heading", name="Termine").first.wait_for()
    page.get_by_text("spur.png").first.wait_for()  # shown as text …
    visit(page, f"{running_app.url}/case?id={case_id}")
    page.get_by_role("heading", name="spur.png").first.wait_for()
    settled(page)
    assert page.locator("img[src*='spur']").count() == 0 and page.locator("a[href*='127.0.0.1:9']").count() == 0
    assert not [u for u in requests if "127.0.0.1:9/" in u or "spur" in u]  # … and nothing fetched


def test_data_protection_officer_reads_the_protocol(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    log_in(page, running_app, "datenschutz")
    assert nav_links(page) == ["Protokoll", "Mein Konto", "Barrierefreiheit"]
    page.get_by_text("Hash-Kette vollständig").wait_for()
    page.get_by_role("button", name="Suchen").click()
    page.get_by_test_id("stDataFrame").wait_for()
    shot(page, "protokoll")


def test_lead_finds_the_results_and_completes_missing_entry_data(page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    log_in(page, running_app, "leitung")
    nav_to(page, "Ergebnisse")
    page.get_by_role("heading", name="Ergebnisse").first.wait_for()
    page.get_by_text("noch keine Abgänge").first.wait_for()
    page.get_by_role("heading", name="Nicht zählbar").wait_for()
    settled(page)
    shot(page, "ergebnisse")
    # Each person not counted is a link to the case: whose, with whom, since when, what is missing.
    page.get_by_role("link", name=re.compile(r" · fehlt: Bildung \(ISCED\), Haushalt$")).first.click()
    page.get_by_text("Eintrittsdaten fehlen: Bildung (ISCED), Haushalt").wait_for()
    settled(page)  # the card draws on below the warning; an open select box would be redrawn
    unfold(page, "Eintrittsdaten (für das Land)")  # the form is folded away
    choose(page, "Bildung (ISCED)", "ISCED 3", "ISCED 3–4: Abitur oder abgeschlossene Berufsausbildung")
    choose(page, "Haushalt", "Langzeit", "Langzeitarbeitslose Person")
    page.get_by_role("button", name="Eintrittsdaten speichern").click()
    page.get_by_text("Eintrittsdaten vollständig").first.wait_for()
    settled(page)
    shot(page, "fall-eintrittsdaten")


@pytest.mark.parametrize("ended_by", ["deactivation", "password reset", "idle timeout"])
def test_an_open_tab_gets_no_export_once_its_session_has_ended(page, running_app: RunningApp,  # type: ignore[no-untyped-def]
                                                               ended_by: str) -> None:
    """The export button was drawn while the session was valid; it is pressed after the session
    ended. The data are made at the press (deferred), so the press is refused, audited nowhere."""
    from sqlalchemy import func, select, update

    from db.clock import utcnow
    from db.store.database import Database
    from db.store.models import AuditEntry, BrowserSession
    from db.accounts.users import reset_password, set_active

    from .conftest import World

    log_in(page, running_app, "leitung", "caseload_import")
    button = page.get_by_role("button", name="Fälle als CSV")
    with page.expect_download(timeout=60_000) as download:  # while valid: the file comes
        button.click()
    assert "Nachname" in Path(download.value.path()).read_text(encoding="utf-8-sig")
    db = Database.from_url(running_app.db_url)
    world = World(db=db, today=date.today())
    exports = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")
    with db.read() as session:
        before = session.scalar(exports)
    lead = world.user_id("leitung")
    if ended_by == "deactivation":
        set_active(db, world.actor("admin"), lead, False)
    elif ended_by == "password reset":
        reset_password(db, world.actor("admin"), lead, "Neu-vergeben-vom-Admin-42")
    else:  # last seen beyond the idle limit (60 minutes) – the tab was left open
        with db.write() as session:
            session.execute(update(BrowserSession).where(BrowserSession.user_id == lead)
                            .values(last_seen_at=utcnow() - timedelta(minutes=61)))
    downloads: list = []
    page.on("download", lambda d: downloads.append(d))
    button.click()
    refusal = page.get_by_test_id("stDownloadButtonError")
    refusal.wait_for(timeout=30_000)
    assert "Ihre Anmeldung ist nicht mehr gültig" in refusal.inner_text()
    page.wait_for_timeout(1000)
    assert downloads == []
    with db.read() as session:
        assert session.scalar(exports) == before  # nothing was made, so nothing left
    db.dispose()


def test_a_download_goes_only_to_its_own_session_and_only_briefly(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The file behind a download button is served to the login session that pressed it, for a
    few seconds here (DOWNLOAD_FETCH_SECONDS), never cached – not to a request without the
    login cookie, not to another user's valid session. The login cookie is HttpOnly."""
    import time
    import urllib.error
    import urllib.request

    import jwt

    from .servers import first_run, start_app, stop, wait_healthy

    db_url = f"sqlite:///{tmp_path / 'media.sqlite3'}"
    key = "m" * 48
    env = {**os.environ, "DATABASE_URL": db_url, "COOKIE_KEY": key, "DEMO_DATA": "1",
           "DOWNLOAD_FETCH_SECONDS": "8"}
    env.pop("APP_ENV", None)
    url, proc = start_app(env, tmp_path / "app.log")
    try:
        wait_healthy(url, proc, tmp_path / "app.log")
        first_run(url)
        log_in(page, RunningApp(url=url, db_url=db_url), "leitung", "caseload_import")
        assert "begleiter_cockpit" not in page.evaluate("document.cookie")
        login = next(c for c in page.context.cookies() if c["name"] == "begleiter_cockpit")
        assert login["httpOnly"] and login["sameSite"] == "Strict"
        with page.expect_download() as download:
            page.get_by_role("button", name="Fälle als CSV").click()
        made = time.monotonic()
        address = download.value.url
        assert "/media/" in address, address

        def fetch(cookie: str | None) -> tuple[int, str, bytes]:
            request = urllib.request.Request(address, headers={"Cookie": cookie} if cookie else {})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, response.headers["Cache-Control"], response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.headers["Cache-Control"], exc.read()

        other = jwt.encode({"username": "begleiter1", "exp_date": time.time() + 3600}, key, algorithm="HS256")
        own = f"begleiter_cockpit={login['value']}"
        status, cache, body = fetch(own)
        assert (status, cache) == (200, "no-store") and "Nachname" in body.decode("utf-8-sig")
        assert fetch(None)[:2] == (403, "no-store")
        assert fetch(f"begleiter_cockpit={other}")[:2] == (403, "no-store")  # a valid session, not its own
        time.sleep(max(0.0, 8.5 - (time.monotonic() - made)))
        status, _, body = fetch(own)
        assert status in (403, 404) and "Nachname" not in body.decode("utf-8", "replace")
    finally:
        stop(proc)


def test_a_refused_start_shows_the_reason_and_no_module_names(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Production on a database with open demo accounts: the German reason, and no menu made of
    the files in pages/ ("common", "session", "german chrome" …)."""
    from .servers import start_app, stop, wait_healthy
    from .test_cli import run_db

    db_url = f"sqlite:///{tmp_path / 'refused.sqlite3'}"
    assert run_db(db_url, "seed-demo").returncode == 0
    env = {**os.environ, "DATABASE_URL": db_url, "COOKIE_KEY": "r" * 48, "APP_ENV": "production"}
    env.pop("DEMO_DATA", None)
    url, proc = start_app(env, tmp_path / "app.log")
    try:
        wait_healthy(url, proc, tmp_path / "app.log")
        visit(page, url)
        page.get_by_text("remove-demo").first.wait_for()
        settled(page)
        body = page.inner_text("body").lower()
        assert page.get_by_test_id("stSidebarNav").count() == 0
        for module in ("common", "session", "german chrome", "gateway", "downloads"):
            assert module not in body, module
    finally:
        stop(proc)
