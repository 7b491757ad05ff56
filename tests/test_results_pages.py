"""The results in the pages (AppTest): the case card's entry data, ending a case with its
result, pausing, the lead's page Ergebnisse, the tasks on Termine and the duplicate check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.store.database import Database
from db.store.models import Case, Client, ExitOutcome
from db.vocabulary import CaseStatus, Education, EndReason, ExitResult, Household, PauseReason

from .conftest import as_read, open_panels
from .test_pages import open_page, page_links


@pytest.fixture
def db(db_url: str) -> Database:  # noqa: F811 - the page's own database
    return Database.from_url(db_url)


def incomplete_case(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(Case.id).where(Case.status == CaseStatus.ACTIVE,
                                                    Case.entry_complete.is_(False)).order_by(Case.id))


def active_case(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(Case.id).where(Case.status == CaseStatus.ACTIVE,
                                                    Case.entry_complete.is_(True)).order_by(Case.id))


def submit(app: AppTest, form: str, label: str) -> AppTest:
    app.button(key=f"FormSubmitter:{form}-{label}").click()
    return app.run()


def test_companion_completes_the_entry_data_on_the_case_card(app: AppTest, db: Database) -> None:
    case_id = incomplete_case(db)
    open_page(app, "begleiter1", "pages/case.py", id=str(case_id))
    assert not app.exception
    assert [as_read(w.value) for w in app.warning][0].startswith(
        "Eintrittsdaten fehlen: Bildung (ISCED), Haushalt")
    open_panels(app)  # the entry form is folded away
    form = f"entry_{case_id}"
    app.selectbox(key=f"{form}_education").set_value(Education.ISCED_3_4)
    app.selectbox(key=f"{form}_household").set_value(Household.FAMILY)
    submit(app, form, "Eintrittsdaten speichern")
    assert "Zahl der Kinder" in as_read(app.error[0].value)  # refused, nothing saved
    app.number_input(key=f"{form}_children").set_value(2)
    submit(app, form, "Eintrittsdaten speichern")
    assert not app.error
    assert any(as_read(s.value).startswith("Eintrittsdaten vollständig") for s in app.success)
    with db.read() as session:
        case = session.get_one(Case, case_id)
        assert case.entry_complete and case.entry_children == 2


def test_ending_a_case_records_the_result_and_the_card_shows_it(app: AppTest, db: Database) -> None:
    case_id = active_case(db)
    open_page(app, "begleiter1", "pages/case.py", id=str(case_id))
    app.button(key=f"status_{case_id}_closed").click().run()
    form = f"status_{case_id}_form"
    app.selectbox(key=f"{form}_reason").set_value(EndReason.TRAINING)
    app.selectbox(key=f"{form}_result").set_value(ExitResult.EDUCATION)
    submit(app, f"{form}_closed", "Fall beenden")
    assert not app.exception and not app.error
    with db.read() as session:
        assert session.get_one(Case, case_id).status == CaseStatus.CLOSED
        assert [o.result for o in session.scalars(select(ExitOutcome).where(ExitOutcome.case_id == case_id))] \
            == [ExitResult.EDUCATION]
    text = " ".join(as_read(m.value) for m in app.markdown)
    assert f"Nach 28 Tagen:** {ExitResult.EDUCATION.label}" in text


def test_pausing_asks_for_reason_and_resume_date(app: AppTest, db: Database) -> None:
    case_id = active_case(db)
    open_page(app, "begleiter1", "pages/case.py", id=str(case_id))
    app.button(key=f"status_{case_id}_paused").click().run()
    form = f"status_{case_id}_form"
    submit(app, f"{form}_paused", "Ruhen lassen")
    assert "Grund" in as_read(app.error[0].value)
    app.selectbox(key=f"{form}_pause_reason").set_value(PauseReason.ILLNESS)
    submit(app, f"{form}_paused", "Ruhen lassen")
    assert not app.error
    assert any("Ruht: Krankheit" in as_read(i.value) for i in app.info)
    with db.read() as session:
        case = session.get_one(Case, case_id)
        assert (case.status, case.resume_on) == (CaseStatus.PAUSED, date.today() + timedelta(days=28))


def test_lead_sees_results_not_counted_and_report_downloads(app: AppTest) -> None:
    open_page(app, "leitung", "pages/results.py")
    assert not app.exception and app.title[0].value == "Ergebnisse"
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Anteil der Abgänge in Arbeit oder Ausbildung"] == "noch keine Abgänge"
    assert tiles["Nicht zählbar (Eintrittsdaten unvollständig)"] == "2"
    missing = [as_read(label).split(" · fehlt: ")[1] for label in page_links(app) if " · fehlt: " in as_read(label)]
    assert missing == ["Bildung (ISCED), Haushalt"] * 2
    # 11 participants at 20, over it once the inflow of 20 starts: said, by the one rule.
    assert [as_read(w.value) for w in app.warning if "Kapazität" in w.value] == [
        "Bianca Begleitmann (Demo): über der Kapazität, sobald der Zulauf beginnt "
        "(11 Teilnehmende bei Kapazität 20, Zulauf 20)"]
    assert [b.label for b in app.get("download_button")] == ["Excel", "CSV", "PDF (Indikatoren, eine Seite)"]


def test_every_participant_not_counted_is_listed_with_a_link_twenty_at_a_time(app: AppTest, db: Database) -> None:
    """More than a page of "Nicht zählbar": each person a link to the case and what is missing,
    twenty at a time, and "Mehr anzeigen" reaches every one (the page once stopped at fifty)."""
    from .conftest import World
    from .test_results import participant

    world = World(db=db, today=date.today())
    for _ in range(23):  # with the demo's two: 25
        participant(world, started=world.today - timedelta(days=3), entry=None)
    open_page(app, "leitung", "pages/results.py")
    assert not app.exception
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Nicht zählbar (Eintrittsdaten unvollständig)"] == "25"

    def listed() -> list[str]:  # each: whose case, with whom, since when, what is missing
        return [label for label in page_links(app) if " · fehlt: " in as_read(label)]

    assert len(listed()) == 20
    assert "20 von 25 angezeigt." in [as_read(c.value) for c in app.caption]
    app.button(key="results_not_counted_more").click().run()
    assert len(listed()) == 25 and not [b for b in app.button if b.key == "results_not_counted_more"]
    assert all(as_read(label).split(" · fehlt: ")[1] for label in listed())
    with db.read() as session:
        incomplete = session.scalars(select(Case.id).where(Case.start_date.is_not(None),
                                                           Case.entry_complete.is_(False))).all()
    assert len(incomplete) == 25
    # Each link opens its case (the case page by its id).
    ids = {str(link.proto.query_string).removeprefix("id=") for link in app.get("page_link")
           if " · fehlt: " in as_read(link.label)}
    assert ids == {str(i) for i in incomplete}


def test_a_missing_result_is_a_task_on_termine(app: AppTest, db: Database) -> None:
    from db.actors import Actor
    from db.casework.cases import change_status

    case_id = active_case(db)
    with db.read() as session:
        version = session.get_one(Case, case_id).version
    change_status(db, Actor.system(), case_id, version, CaseStatus.CLOSED, end_reason=EndReason.OTHER)
    open_page(app, "begleiter1", "pages/agenda.py")
    assert not app.exception
    assert "Aufgaben" in [s.value for s in app.header]
    assert any(as_read(m.value).startswith("**Verbleib erfassen**") or "Verbleib erfassen" in as_read(m.value)
               for m in app.markdown)


def test_case_manager_referring_a_known_person_is_offered_the_existing_record(app: AppTest, db: Database) -> None:
    with db.read() as session:
        known = session.scalars(select(Client).join(Case).where(Case.status == CaseStatus.ACTIVE)
                                .order_by(Client.id)).first()
    open_page(app, "fallmanager1", "pages/referrals.py")
    app.text_input(key="ref_number").input("NEU-1")
    app.text_input(key="ref_first").input(known.first_name)
    app.text_input(key="ref_last").input(known.last_name)
    app.text_input(key="ref_postcode").input(known.postcode)
    app.text_input(key="ref_town").input(known.town)
    submit(app, "referral", "Zuweisen")
    assert "bereits unter der Kundennummer" in as_read(app.error[0].value)
    assert any("läuft bereits ein Fall" in as_read(i.value) for i in app.info)
    with db.read() as session:
        assert session.scalar(select(Client.id).where(Client.client_number == "NEU-1")) is None
