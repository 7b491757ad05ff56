"""Sprechstunden, Team & Stellen, Arbeitgeber and Import & Export through AppTest."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.actors import Actor
from db.bootstrap import prepare
from db.store.database import Database
from db.store.models import Activity, AuditEntry, Employer, OfficeHourSession, Position, User

from .conftest import ROOT, as_read, log_in, table_as_read


@pytest.fixture
def db(db_url: str) -> Database:  # noqa: F811 - the page's own database
    database = Database.from_url(db_url)
    prepare(database)
    return database


def open_page(app: AppTest, username: str, page: str) -> AppTest:
    log_in(app, username)
    return app.switch_page(page).run()


def run_alone(db: Database, username: str, page: str) -> AppTest:
    """The page file run directly with a logged-in actor of this role, bypassing the menu."""
    with db.read() as session:
        actor = Actor.of(session.scalars(select(User).where(User.username == username)).one())
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["actor"] = actor
    return at.run()


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def submit(app: AppTest, form: str, label: str) -> AppTest:
    app.button(key=f"FormSubmitter:{form}-{label}").click()
    return app.run()


# --- Sprechstunden -------------------------------------------------------------------------------


def test_companion_records_an_office_hour(app: AppTest, db: Database) -> None:
    open_page(app, "begleiter1", "pages/office_hours.py")
    assert app.title[0].value == "Sprechstunden" and not app.exception
    places = table_as_read(app.table[0].value)  # an HTML table: it wraps on a phone
    assert list(places["Ort"]) == ["Guben", "Forst (Lausitz)", "Spremberg", "Cottbus"]
    assert places.set_index("Ort").loc["Spremberg", "Räumlichkeit"] == "Kulturschloss Spremberg"
    before = count(db, OfficeHourSession)
    assert app.selectbox(key="held_place").options == ["Guben", "Forst (Lausitz)"]  # started places only
    app.number_input(key="held_visitors").set_value(4)
    app.number_input(key="held_first").set_value(1)
    submit(app, "held_form", "Sprechstunde speichern")
    assert "Sprechstunde gespeichert." in [s.value for s in app.success]
    assert count(db, OfficeHourSession) == before + 1
    assert app.number_input(key="held_visitors").value == 0  # ready for the next one


def test_more_first_interviews_than_visitors_is_refused_and_kept(app: AppTest, db: Database) -> None:
    open_page(app, "begleiter1", "pages/office_hours.py")
    before = count(db, OfficeHourSession)
    app.number_input(key="held_visitors").set_value(1)
    app.number_input(key="held_first").set_value(3)
    submit(app, "held_form", "Sprechstunde speichern")
    assert [e.value for e in app.error] == [
        "Es können nicht mehr Erstgespräche entstehen, als Personen da waren."]
    assert count(db, OfficeHourSession) == before
    assert app.number_input(key="held_first").value == 3


def test_case_manager_sees_the_schedule_but_records_nothing(app: AppTest) -> None:
    open_page(app, "fallmanager1", "pages/office_hours.py")
    assert not app.exception
    assert [s.value for s in app.header] == ["Nächste Termine (4 Wochen)"]
    assert not any(b.label == "Sprechstunde speichern" for b in app.button)


def test_lead_sets_the_cottbus_venue(app: AppTest, db: Database) -> None:
    open_page(app, "leitung", "pages/office_hours.py")
    app.selectbox(key="place_choice").set_value(4)  # Cottbus
    app.run()
    form = "place_4"
    app.text_input(key=f"{form}_venue").input("Stadthaus Cottbus")
    submit(app, form, "Standort speichern")
    assert "Standort gespeichert." in [s.value for s in app.success]
    assert table_as_read(app.table[0].value).set_index("Ort").loc["Cottbus", "Räumlichkeit"] == "Stadthaus Cottbus"


# --- Team & Stellen ------------------------------------------------------------------------------


def test_lead_sees_caseload_positions_and_forecast(app: AppTest) -> None:
    open_page(app, "leitung", "pages/team.py")
    assert app.title[0].value == "Team & Stellen" and not app.exception
    team = table_as_read(app.table[0].value).set_index("Name")
    assert team.loc["Bianca Begleitmann (Demo)", "Teilnehmende (Begleitung und Nachbetreuung)"] == 11
    assert team.loc["Bianca Begleitmann (Demo)", "Zulauf: Erstgespräche geplant"] == 19
    # 11 participants at 20, but 19 planned interviews and one without a result: over the cap
    # once the inflow starts (db.casework.team.capacity_state), the only warning.
    assert [as_read(w.value) for w in app.warning] == [
        "Bianca Begleitmann (Demo): über der Kapazität, sobald der Zulauf beginnt "
        "(11 Teilnehmende bei Kapazität 20, Zulauf 20)"]
    positions = table_as_read(app.table[1].value)
    assert list(positions["Stand"]).count("ausgeschrieben") + list(positions["Stand"]).count(
        "Ausgeschrieben") == 2
    assert len(app.get("vega_lite_chart")) == 2  # participants against the cap, and the forecast


def test_lead_sets_a_part_time_positions_capacity(app: AppTest, db: Database) -> None:
    open_page(app, "leitung", "pages/team.py")
    app.selectbox(key="position_choice").set_value(1)
    app.run()
    app.number_input(key="position_1_capacity").set_value(15)
    submit(app, "position_1", "Stelle speichern")
    assert "Stelle gespeichert." in [s.value for s in app.success]
    with db.read() as session:
        assert session.get_one(Position, 1).capacity == 15


def test_bad_position_input_shows_a_message_and_keeps_the_data(app: AppTest, db: Database) -> None:
    open_page(app, "leitung", "pages/team.py")
    app.selectbox(key="position_choice").set_value(1)
    app.run()
    app.text_input(key="position_1_title").input("")
    submit(app, "position_1", "Stelle speichern")
    assert [e.value for e in app.error] == ["Bitte „Bezeichnung“ ausfüllen."]
    with db.read() as session:
        assert session.get_one(Position, 1).title == "Integrationsbegleitung 1"


# --- Arbeitgeber ---------------------------------------------------------------------------------


def test_companion_adds_an_employer(app: AppTest, db: Database) -> None:
    open_page(app, "begleiter1", "pages/employers.py")
    assert app.title[0].value == "Arbeitgeber" and not app.exception
    before = count(db, Employer)
    app.text_input(key="employer_new_name").input("Lausitzer Landschaftspflege e. V.")
    app.text_input(key="employer_new_town").input("Spremberg")
    submit(app, "employer_new", "Arbeitgeber speichern")
    assert count(db, Employer) == before + 1
    assert "Lausitzer Landschaftspflege e. V." in list(app.dataframe[0].value["Name"])


def test_selecting_an_employer_shows_its_contacts(app: AppTest, db: Database) -> None:
    with db.read() as session:  # an employer the demo's companion has been in contact with
        contacted = session.scalar(select(Employer.name).join(Activity, Activity.employer_id == Employer.id)
                                   .order_by(Employer.name).limit(1))
    open_page(app, "begleiter1", "pages/employers.py")
    names = list(app.dataframe[0].value["Name"])
    app.session_state["employers_table"] = {"selection": {"rows": [names.index(contacted)], "columns": [],
                                                          "cells": []}}
    app.run()
    assert not app.exception
    assert [as_read(s.value) for s in app.header] == [contacted]
    # The overview as a grid, the latest contacts as a table (at a desk).
    assert len(app.dataframe) == 1 and len(app.table) == 1  # on a phone both are blocks of text


def test_an_employer_can_be_chosen_without_the_grid(app: AppTest, db: Database) -> None:
    # By keyboard, and on a phone where the grid is not shown: the select box.
    with db.read() as session:
        employer_id, contacted = session.execute(
            select(Employer.id, Employer.name).join(Activity, Activity.employer_id == Employer.id)
            .order_by(Employer.name).limit(1)).one()
    open_page(app, "begleiter1", "pages/employers.py")
    box = app.selectbox(key="employers_pick")
    assert contacted in box.options  # the choices read as the names
    box.set_value(employer_id)
    app.run()
    assert not app.exception
    assert [as_read(s.value) for s in app.header] == [contacted]


# --- Import & Export -----------------------------------------------------------------------------


def test_lead_gets_template_and_export_buttons(app: AppTest, db: Database) -> None:
    open_page(app, "leitung", "pages/caseload_import.py")
    assert app.title[0].value == "Import & Export" and not app.exception
    assert [b.label for b in app.get("download_button")] == [
        "Vorlage als Excel", "Vorlage als CSV", "Fälle als Excel", "Fälle als CSV"]
    with db.read() as session:  # exports are built on the click, not on every page run
        assert not session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "export"))


def test_retention_panel_for_admin_and_lead(app: AppTest) -> None:
    open_page(app, "admin", "pages/users.py")
    assert not app.exception
    assert "Aufbewahrung" in [s.value for s in app.header]
    assert "Derzeit sind keine Personendaten zu entfernen." in [i.value for i in app.info]


# --- who may open what ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["kreistag", "admin"])
def test_places_are_public_but_held_sessions_and_recording_are_not(db: Database, username: str) -> None:
    at = run_alone(db, username, "pages/office_hours.py")
    assert not at.exception and len(at.table) == 2  # places and coming dates, nothing personal
    assert not any(b.label == "Sprechstunde speichern" for b in at.button)


@pytest.mark.parametrize(("username", "page"), [
    ("begleiter1", "pages/team.py"), ("fallmanager1", "pages/team.py"), ("kreistag", "pages/team.py"),
    ("fallmanager1", "pages/employers.py"), ("kreistag", "pages/employers.py"),
    ("begleiter1", "pages/caseload_import.py"), ("fallmanager1", "pages/caseload_import.py"),
    ("admin", "pages/caseload_import.py"),
])
def test_a_role_without_rights_gets_the_permission_message(db: Database, username: str, page: str) -> None:
    at = run_alone(db, username, page)
    assert not at.exception
    assert [e.value for e in at.error] == ["Dafür fehlt Ihnen die Berechtigung."]
    assert not at.dataframe and not at.table and not at.get("download_button")


def test_admin_erases_a_person_on_request_from_the_page(app: AppTest, db: Database) -> None:
    from db.store.models import Client

    with db.read() as session:
        number = session.scalars(select(Client.client_number).order_by(Client.id)).first()
    log_in(app, "admin")
    app.text_input(key="rights_number").input(number).run()
    assert [b.label for b in app.get("download_button")][-1] == "Auskunft als Excel"
    app.button(key="FormSubmitter:rights_erase-Personendaten löschen").click().run()
    assert "Häkchen" in app.error[0].value  # not without the confirmation
    app.checkbox(key="rights_sure").check()
    app.button(key="FormSubmitter:rights_erase-Personendaten löschen").click().run()
    assert not app.exception and as_read(app.success[0].value) == "Personendaten gelöscht."
    with db.read() as session:
        assert session.scalar(select(Client).where(Client.client_number == number)) is None
