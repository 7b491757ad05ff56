"""The common tasks on a phone, counted in taps (issue 41, item 5): every click, tap or typed
field counts one; scrolling does not. Headless Chromium at 390 px, as tests/test_phone.py.

- A job start from the case page: ≤ 4 taps. The employer last contacted for the person is
  suggested (shown, confirmed with the save), the kind of job is one tap and never preselected.
- The lead assigns a referral, from the start page (menu included): ≤ 4 taps.
- The targets a finger uses there – the phone number, the primary buttons, the one-tap choices –
  are at least 44 × 44 px; the confirmation never covers the name it confirms.

The counts measured are printed (`-s`) for the closing note of the issue.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.actors import Actor
from db.casework.activities import record_activity
from db.clock import today
from db.store.database import Database
from db.store.models import Case, Client, Employer, Placement, User
from db.vocabulary import ActivityKind, CaseStatus, JobKind

from .conftest import RunningApp
from .test_browser import log_in, settled, shot, visit

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MOST_TAPS = 4
TOUCH_PX = 44


class Taps:
    """Every action of the person on the page, counted; each on a settled page, as a person
    waits for the page before the next tap."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.done: list[str] = []

    def tap(self, target, what: str) -> None:  # type: ignore[no-untyped-def]
        settled(self.page)
        target.click()
        self.done.append(what)

    def __len__(self) -> int:
        return len(self.done)


def assert_touch_size(page, targets: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    small = {}
    for what, target in targets.items():
        box = target.bounding_box()  # type: ignore[attr-defined]
        assert box is not None, what
        if box["width"] < TOUCH_PX - 0.5 or box["height"] < TOUCH_PX - 0.5:
            small[what] = (round(box["width"]), round(box["height"]))
    assert not small, f"kleiner als {TOUCH_PX} × {TOUCH_PX} px: {small}"


def assert_name_uncovered(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """No toast lies over the page's heading (the person's name) while it is shown."""
    heading = page.get_by_role("heading", level=1, name=name).first.bounding_box()
    assert heading is not None
    for toast in page.get_by_test_id("stToast").all():
        box = toast.bounding_box() if toast.is_visible() else None
        if box is None:
            continue
        apart = (box["x"] >= heading["x"] + heading["width"] or heading["x"] >= box["x"] + box["width"]
                 or box["y"] >= heading["y"] + heading["height"] or heading["y"] >= box["y"] + box["height"])
        assert apart, (name, box, heading)


def _active_case_with_employer_contact(app: RunningApp) -> tuple[int, str, int, str]:
    """An active case of begleiter1 with a phone number, and a contact with an employer that is
    not the first of the list (a suggestion, not the top row, must show)."""
    db = Database.from_url(app.db_url)
    try:
        with db.read() as session:
            companion = Actor.of(session.scalars(select(User).where(User.username == "begleiter1")).one())
            case = session.scalars(select(Case).join(Client).where(
                Case.companion_id == companion.id, Case.status == CaseStatus.ACTIVE,
                Client.phone.is_not(None)).order_by(Case.id)).first()
            assert case is not None
            name = f"{case.client.first_name} {case.client.last_name}"
            employers = session.execute(select(Employer.id, Employer.name).order_by(Employer.name)).all()
        employer_id, employer = employers[1]
        record_activity(db, companion, case.id, ActivityKind.EMPLOYER_CONTACT, occurred_on=today(),
                        employer_id=employer_id, note="Vorstellungsgespräch, Zusage")
        return case.id, name, employer_id, employer
    finally:
        db.dispose()


def test_a_job_start_takes_at_most_four_taps_from_the_case_page(
        page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    log_in(page, running_app, "begleiter1")  # the first page run loads the demo data
    case_id, name, employer_id, employer = _active_case_with_employer_contact(running_app)
    visit(page, f"{running_app.url}/case?id={case_id}")
    page.get_by_role("heading", level=1, name=name).wait_for()
    settled(page)
    phone_link = page.locator("[data-testid=stMain] a[href^='tel:']").first
    assert_touch_size(page, {"Telefonnummer": phone_link,
                             "Arbeitsaufnahme": page.get_by_role("button", name="Arbeitsaufnahme", exact=True)})

    taps = Taps(page)
    taps.tap(page.get_by_role("button", name="Arbeitsaufnahme", exact=True), "Arbeitsaufnahme")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Arbeitsaufnahme speichern"))
    form.wait_for()
    settled(page)
    # Suggested and shown: the employer of the last contact; the day is today; no kind chosen.
    chosen = form.get_by_test_id("stSelectbox")
    assert employer in (chosen.text_content() or "") + chosen.get_by_role("combobox").input_value(), \
        chosen.inner_html()[:2000]
    kinds = form.get_by_test_id("stButtonGroup").locator("button")
    kinds.first.wait_for()
    assert kinds.count() == len(JobKind)
    assert not [k for k in kinds.all() if k.get_attribute("aria-pressed") == "true"
                or k.get_attribute("aria-checked") == "true"], "eine Art der Stelle ist vorgewählt"
    save = form.get_by_role("button", name="Arbeitsaufnahme speichern")
    kinds.first.wait_for()
    assert_touch_size(page, {"Vollzeit": kinds.filter(has_text="Vollzeit"), "Speichern": save})
    taps.tap(kinds.filter(has_text="Vollzeit"), "Vollzeit")
    taps.tap(save, "Arbeitsaufnahme speichern")
    page.get_by_text(f"Arbeitsaufnahme von {name} bei {employer} gespeichert.").first.wait_for()
    assert_name_uncovered(page, name)
    shot(page, "taps-job-start")
    print(f"\nArbeitsaufnahme: {len(taps)} Taps ({', '.join(taps.done)})")
    assert len(taps) <= MOST_TAPS, taps.done

    db = Database.from_url(running_app.db_url)
    try:
        with db.read() as session:
            job = session.scalars(select(Placement).where(Placement.case_id == case_id)).one()
            status = session.get_one(Case, case_id).status
    finally:
        db.dispose()
    assert (job.employer_id, job.job_kind, job.start_date, status) == (
        employer_id, JobKind.FULL_TIME, today(), CaseStatus.EMPLOYED)


def test_the_lead_assigns_a_referral_in_at_most_four_taps_from_the_start_page(
        page, running_app: RunningApp) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    log_in(page, running_app, "leitung")
    settled(page)
    taps = Taps(page)
    # The page row above the page is the phone's menu: one tap (tests/test_phone.py).
    name = re.compile(r"(^|\s)Zuweisungen$")
    taps.tap(page.locator("[data-testid=stMain] .st-key-page-row").get_by_role("link", name=name),
             "Zuweisungen")
    page.get_by_role("heading", name="Eingang: offene Zuweisungen").first.wait_for()
    settled(page)

    # The first card of the queue (Streamlit marks a widget with st-key-<key>).
    choice = page.locator("[class*='st-key-incoming_'][class*='_companion']").first
    key = re.search(r"st-key-(incoming_\d+)_companion", choice.get_attribute("class") or "")
    assert key, choice.get_attribute("class")
    button = page.locator(f".st-key-{key[1]}_assign button")
    person = button.inner_text().removesuffix(" zuweisen").strip()
    companion = choice.locator("label").filter(has_text="Bianca Begleitmann").first
    assert_touch_size(page, {"Begleitung wählen": companion, "Zuweisen": button})
    assert not choice.locator("input:checked").count()  # nobody preselected
    taps.tap(companion, "Bianca Begleitmann")
    taps.tap(button, "zuweisen")
    page.get_by_text(f"{person} an Bianca Begleitmann (Demo) zugewiesen.").first.wait_for()
    settled(page)
    shot(page, "taps-assignment")
    print(f"\nZuweisung: {len(taps)} Taps ({', '.join(taps.done)})")
    assert len(taps) <= MOST_TAPS, taps.done
    # The same person's card now asks for the first interview: the assignment was stored.
    page.get_by_text(re.compile(rf"{re.escape(person)}.*Begleitung: Bianca Begleitmann")).first.wait_for()
