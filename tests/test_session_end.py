"""A session that ends leaves nothing of its person in the browser's session.

The same browser may be used by somebody else next (a shared office PC, a handed-over phone).
Whatever a person's pages kept – a search for a client's number, a filter, an open form, the
case last viewed – must be gone when the session ends, however it ends: Abmelden here, or ended
elsewhere (a logout on another device, a deactivation, the idle time: db.accounts.auth
.session_actor returns None and pages/session.end_session runs). The sweep visits every page of
each role with its panels open before the end, so a page that keeps something new is caught.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from app import EVERYONE, ROLE_PAGES
from db.accounts import auth
from db.actors import Actor
from db.store.database import Database
from db.store.models import User
from db.vocabulary import Role

from .conftest import ROOT, log_in, open_panels

USERS = {Role.COMPANION: "begleiter1", Role.LEAD: "leitung", Role.CASE_MANAGER: "fallmanager1",
         Role.ADMIN: "admin"}
MARK = "DEMO-1001"  # a client's number, typed as a search where the page has one


def _fresh_keys() -> set[str]:
    """What a browser that never logged in holds: the login form's own state."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    return set(at.session_state.keys())


def _visit_every_page(at: AppTest, role: Role) -> None:
    for name in ROLE_PAGES[role] + EVERYONE:
        at.switch_page(f"pages/{name}.py").run()
        assert not at.exception, (name, at.exception)
        open_panels(at)
        for field in at.text_input:
            if field.key and "search" in field.key:
                field.input(MARK)
        at.run()


def _by_logout_elsewhere(db: Database, actor: Actor) -> None:
    auth.logout(db, actor)


def _by_deactivation(db: Database, actor: Actor) -> None:
    with db.write() as session:
        session.execute(update(User).where(User.id == actor.id).values(active=False))


ENDINGS: dict[str, Callable[[Database, Actor], None]] = {
    "abgemeldet an einem anderen Gerät": _by_logout_elsewhere,
    "Konto deaktiviert": _by_deactivation,
}


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("role", list(USERS))
def test_a_session_ended_elsewhere_keeps_nothing_of_its_person(app: AppTest, role: Role, ending: str) -> None:
    fresh = _fresh_keys()
    log_in(app, USERS[role])
    _visit_every_page(app, role)
    actor = app.session_state["actor"]
    db = Database.from_url(os.environ["DATABASE_URL"])  # the app's database (conftest.db_url)
    try:
        ENDINGS[ending](db, actor)
    finally:
        db.dispose()
    app.run()  # the next click: the session is found ended
    assert [t for t in app.text_input if t.key == "login_username"], "no login form after the end"
    left = set(app.session_state.keys()) - fresh
    assert left == set(), f"kept after the end of {USERS[role]}'s session: {sorted(left)}"
    assert MARK not in repr({k: app.session_state[k] for k in app.session_state.keys()})


@pytest.mark.parametrize("role", list(USERS))
def test_abmelden_keeps_nothing_of_its_person(app: AppTest, role: Role) -> None:
    fresh = _fresh_keys()
    log_in(app, USERS[role])
    _visit_every_page(app, role)
    next(b for b in app.button if b.key == "logout_button").click()
    app.run()
    assert [t for t in app.text_input if t.key == "login_username"]
    left = set(app.session_state.keys()) - fresh
    assert left == set(), f"kept after Abmelden of {USERS[role]}: {sorted(left)}"


def test_the_next_person_at_the_same_browser_starts_unfiltered(app: AppTest) -> None:
    """The review's case: a companion searches for a client's number and folds the filter; the
    session ends elsewhere; the lead logs in at the same browser and opens the case list."""
    log_in(app, "begleiter1")
    open_panels(app.switch_page("pages/cases.py").run())
    app.text_input(key="cases_search").input(MARK).run()
    app.session_state["folded-cases"] = False
    app.run()
    db = Database.from_url(os.environ["DATABASE_URL"])
    try:
        auth.logout(db, app.session_state["actor"])
    finally:
        db.dispose()
    app.run()
    log_in(app, "leitung")
    app.switch_page("pages/cases.py").run()
    assert MARK not in repr(app.session_state["cases_kept_filters"])
