"""app.py through Streamlit's AppTest: login, role navigation, lockout, logout, account pages."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from db.accounts import auth
from db.store.database import Database
from db.vocabulary import Role

from .conftest import as_read, ROOT, log_in

# The case page ("Fall") is registered but hidden from the menu: it opens from the lists.
EXPECTED_NAV = {
    "begleiter1": ["Termine", "Fälle", "Fall", "Zuweisungen", "Sprechstunden", "Arbeitgeber",
                   "Mein Konto", "Barrierefreiheit"],
    "leitung": ["Lagebild", "Ergebnisse", "Fälle", "Fall", "Zuweisungen", "Termine", "Sprechstunden",
                "Team & Stellen", "Arbeitgeber", "Import & Export", "Kreistag", "Mein Konto", "Barrierefreiheit"],
    "fallmanager1": ["Zuweisungen", "Fall", "Sprechstunden", "Mein Konto", "Barrierefreiheit"],
    "kreistag": ["Kreistag", "Mein Konto", "Barrierefreiheit"],
    "admin": ["Benutzer", "Protokoll", "Mein Konto", "Barrierefreiheit"],
    "datenschutz": ["Protokoll", "Mein Konto", "Barrierefreiheit"],
}


def nav_titles(at: AppTest) -> list[str]:
    # AppTest keeps the pages st.navigation registered in this run; the hidden stand-ins for
    # every other address (app.stand_ins) all show "Seite nicht verfügbar".
    return [page["page_name"] for page in at._registered_pages.values()
            if page["page_name"] != "Seite nicht verfügbar"]


def test_first_start_shows_the_login_form_only(app: AppTest) -> None:
    assert not app.exception
    assert [t.label for t in app.text_input] == ["Benutzername", "Passwort"]
    assert not app.metric
    assert not app.sidebar.button  # no logout, no page links before login


def test_wrong_password_shows_a_german_error(app: AppTest) -> None:
    log_in(app, "begleiter1", "falsch")
    assert [e.value for e in app.error] == ["Benutzername oder Passwort ist falsch."]
    assert not app.metric


@pytest.mark.parametrize("username", list(EXPECTED_NAV))
def test_navigation_shows_exactly_the_roles_pages(app: AppTest, username: str) -> None:
    log_in(app, username)
    assert not app.exception
    assert nav_titles(app) == EXPECTED_NAV[username]
    assert "Abmelden" in [b.label for b in app.sidebar.button]


def test_companion_lands_on_the_agenda(app: AppTest) -> None:
    log_in(app, "begleiter1")
    assert app.title[0].value == "Termine"
    # Today and tomorrow by default: only yesterday's interview can already be marked as held.
    assert [b.label for b in app.button if b.label.startswith("Fand statt")] == [
        next(b.label for b in app.button if b.label.startswith("Fand statt – "))]


def test_council_sees_only_releases(app: AppTest) -> None:
    log_in(app, "kreistag")
    assert app.title[0].value.startswith("Kreistag")
    # The demo programme began weeks ago: no quarter is final; the launch briefing is released.
    assert app.selectbox(key="council_release").value.title.startswith("Lagebericht zum Stichtag")
    assert {m.value for m in app.metric} >= {"11", "19"}


def test_five_failures_lock_the_account(app: AppTest) -> None:
    for _ in range(5):
        log_in(app, "leitung", "falsch")
    assert "gesperrt" in app.error[0].value
    log_in(app, "leitung")  # the right password does not help while locked
    assert "gesperrt" in app.error[0].value and not app.metric


def test_logout_returns_to_the_login_form_and_is_audited(app: AppTest, db_url: str) -> None:
    log_in(app, "begleiter1")
    app.sidebar.button[0].click()
    app.run()
    assert [t.label for t in app.text_input] == ["Benutzername", "Passwort"]
    db = Database.from_url(db_url)
    with db.read() as session:
        from db.store.models import AuditEntry

        actions = [e.action for e in session.query(AuditEntry).filter_by(username="begleiter1")
                   .filter(AuditEntry.entity == "session")]
    assert actions[-2:] == ["login", "logout"]


def test_password_change_in_the_account_page_is_stored(app: AppTest, db_url: str) -> None:
    log_in(app, "begleiter2")
    app.switch_page("pages/account.py").run()
    inputs = app.text_input
    inputs[0].input("demo-passwort")
    inputs[1].input("ein-neues-passwort-1")
    inputs[2].input("ein-neues-passwort-1")
    app.button(key="FormSubmitter:own_password-Passwort ändern").click()
    app.run()
    assert not app.exception
    assert app.success[0].value.startswith("Ihr Passwort wurde geändert.")
    assert app.title[0].value == "Mein Konto"  # still logged in here; other browsers are not
    db = Database.from_url(db_url)
    assert auth.login(db, "begleiter2", "ein-neues-passwort-1").username == "begleiter2"


def test_a_wrong_current_password_changes_nothing(app: AppTest, db_url: str) -> None:
    log_in(app, "begleiter2")
    app.switch_page("pages/account.py").run()
    for widget, value in zip(app.text_input, ["falsch", "ein-neues-passwort-1", "ein-neues-passwort-1"],
                             strict=True):
        widget.input(value)
    app.button(key="FormSubmitter:own_password-Passwort ändern").click()
    app.run()
    assert as_read(app.error[0].value) == "Das bisherige Passwort ist falsch."
    assert auth.login(Database.from_url(db_url), "begleiter2", "demo-passwort").username == "begleiter2"


def test_a_new_account_opens_only_its_password_page_until_changed(app: AppTest, db_url: str) -> None:
    from db.actors import Actor
    from db.accounts.users import create_user

    db = Database.from_url(db_url)
    create_user(db, Actor.system(), username="neu.lead", display_name="Neue Leitung", role=Role.LEAD,
                password="vom-admin-vergeben-1")
    # Made outside the running app (as by the CLI or another server): it logs in at once.
    log_in(app, "neu.lead", "vom-admin-vergeben-1")
    assert app.title[0].value == "Mein Konto" and "eigenes" in app.warning[0].value
    for widget, value in zip(app.text_input, ["vom-admin-vergeben-1", "mein-eigenes-passwort-7",
                                              "mein-eigenes-passwort-7"], strict=True):
        widget.input(value)
    app.button(key="FormSubmitter:own_password-Passwort ändern").click()
    app.run()
    assert app.title[0].value == "Mein Konto" and not app.warning
    app.switch_page("pages/dashboard.py").run()
    assert app.title[0].value == "Lagebild"


def test_admin_creates_an_account(app: AppTest, db_url: str) -> None:
    log_in(app, "admin")
    assert app.title[0].value == "Benutzer"
    values = {"Benutzername": "neu.fm", "Name": "Neue Fallmanagerin", "Erstes Passwort": "ein-gutes-passwort"}
    assert app.selectbox[0].value == Role.COUNCIL  # the least privileged role unless chosen
    for widget in app.text_input:
        if widget.label in values:
            widget.input(values[widget.label])
    app.selectbox[0].set_value(Role.CASE_MANAGER)
    app.button(key="FormSubmitter:new_user-Konto anlegen").click()
    app.run()
    assert not app.exception
    assert "angelegt" in app.success[0].value
    db = Database.from_url(db_url)
    assert auth.login(db, "neu.fm", "ein-gutes-passwort").role.value == "case_manager"


@pytest.mark.parametrize(
    "page_file",
    ["agenda.py", "cases.py", "case.py", "referrals.py", "dashboard.py", "council.py", "users.py",
     "account.py", "office_hours.py", "team.py", "employers.py", "caseload_import.py", "audit_log.py"],
)
def test_a_page_file_run_on_its_own_shows_nothing_without_login(db_url: str, page_file: str) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / page_file), default_timeout=60).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Bitte melden Sie sich an."]
    assert not at.metric and not at.dataframe and not at.text_input
