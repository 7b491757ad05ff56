"""In-page actions as fragments (pages/ui/fragments.py): every fragment's run alone checks the
live session first – a revoked session's fragment acts on nothing – and no page makes a
fragment any other way. Every @in_page fragment of the app (found by a sweep) has a click that a
revoked session makes in vain.

Saves are not fragments (yet): a click in a fragment that a restarted server does not know is
dropped by Streamlit without a run (AppSession.request_rerun), so "Kontakt speichern" did
nothing after an update until the page ran whole (tests/test_phone.py,
test_a_contact_typed_while_the_app_server_restarts…)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import streamlit as st
from sqlalchemy import func, select, update
from streamlit.testing.v1 import AppTest

from db.accounts import auth
from db.actors import Actor
from db.store.database import Database
from db.store.models import AuditEntry, User

from .conftest import ROOT, log_in


def _script() -> None:
    import streamlit as st

    from db.accounts import auth
    from pages.ui.context import get_db
    from pages.ui.fragments import in_page

    db = get_db()
    if "started" not in st.session_state:  # as a login: app.py puts the actor there
        st.session_state["started"] = True
        st.session_state["username"], st.session_state["login_at"] = "leitung", None
        st.session_state["actor"] = auth.session_actor(db, "leitung", None)
    if "actor" not in st.session_state:  # as app.py: no actor, no page, no fragment
        st.markdown("Anmeldung")
        st.stop()

    @in_page
    def act() -> None:
        st.session_state["acted"] = st.session_state.get("acted", 0) + 1
        st.markdown("gehandelt")

    act()


@pytest.fixture
def fragment_app(db_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.session_state["acted"] == 1
    # From here on each run is the fragment's alone (AppTest itself always runs the script).
    monkeypatch.setattr("pages.ui.fragments._fragment_run", lambda: True)
    return at


def test_a_fragment_run_of_a_live_session_acts(fragment_app: AppTest) -> None:
    fragment_app.run()
    assert fragment_app.session_state["acted"] == 2


@pytest.mark.parametrize("revoke", [{"active": False}, {"role": "companion"}])
def test_a_revoked_sessions_fragment_run_does_nothing(fragment_app: AppTest, db_url: str,
                                                      revoke: dict[str, object]) -> None:
    db = Database.from_url(db_url)
    try:
        with db.write() as session:
            session.execute(update(User).where(User.username == "leitung").values(**revoke))
    finally:
        db.dispose()
    fragment_app.run()
    assert not fragment_app.exception, fragment_app.exception
    assert fragment_app.session_state["acted"] == 1
    assert "actor" not in fragment_app.session_state
    assert [m.value for m in fragment_app.markdown] == ["Anmeldung"]


MAKERS = {"fragment", "dialog"}  # st.dialog runs as a fragment too
CALLBACKS = {"on_click", "on_change", "on_submit"}
WORDS = {"ignore", "rerun"}  # Streamlit's callback words: no code of ours runs


def _sources() -> list[tuple[str, str]]:
    return [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
            for path in [ROOT / "app.py", *(ROOT / "pages").rglob("*.py")] if path.name != "fragments.py"]


def fragment_findings(source: str, name: str = "<source>") -> tuple[set[str], list[str]]:
    """(in_page fragments as "name:function", ways around the one wrapper) of a source. A
    fragment maker reached any way – st.fragment, an alias, getattr(st, "fragment"), st.dialog
    – is a way around; in_page under any name, used other than as a function's decorator, is
    one too (this sweep would not see its fragment); and so is a callback of ours not made by
    on_submit (pages/ui/feedback: it checks the session before acting, as Streamlit runs
    callbacks before the fragment's own check)."""
    tree = ast.parse(source, name)
    wrapper = {"in_page"} | {a.asname for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                             for a in node.names if a.name == "in_page" and a.asname}
    decorators = {id(d) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                  for d in node.decorator_list}
    found, around = set(), []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for d in node.decorator_list:
                if (isinstance(d, ast.Name) and d.id in wrapper) or (isinstance(d, ast.Attribute) and d.attr == "in_page"):
                    found.add(f"{name}:{node.name}")
        if isinstance(node, ast.ImportFrom):
            around += [f"{where} import {a.name}" for a in node.names if a.name in MAKERS]
        elif isinstance(node, ast.Attribute) and node.attr in MAKERS:
            around.append(f"{where} .{node.attr}")
        elif isinstance(node, ast.Constant) and node.value in MAKERS:
            around.append(f"{where} {node.value!r}")
        elif ((isinstance(node, ast.Name) and node.id in wrapper) or
              (isinstance(node, ast.Attribute) and node.attr == "in_page")) and id(node) not in decorators:
            around.append(f"{where} in_page nicht als Dekorator")
        elif isinstance(node, ast.keyword) and node.arg in CALLBACKS and not (
                isinstance(node.value, ast.Constant) and node.value.value in WORDS):
            around.append(f"{where} {node.arg}=")
    return found, around


def test_every_fragment_is_made_by_the_one_wrapper() -> None:
    """A page calling st.fragment itself would skip the session check."""
    assert [hit for name, text in _sources() for hit in fragment_findings(text, name)[1]] == []


@pytest.mark.parametrize("sibling", [
    "@st.fragment\ndef f(): pass", "from streamlit import fragment", "import streamlit as s\nf = s.fragment",
    "f = getattr(st, 'fragment')", "@st.dialog('x')\ndef f(): pass", "g = in_page\ng(f)", "in_page(f)",
    "from pages.ui.fragments import in_page as ip\nx = ip(f)", "st.button('x', on_click=f)",
    "st.text_input('x', on_change=lambda: None)",
])
def test_the_sweep_finds_a_way_around_the_wrapper(sibling: str) -> None:
    assert fragment_findings(sibling)[1]


def test_the_sweep_finds_fragments_under_any_spelling() -> None:
    source = ("from pages.ui.fragments import in_page as ip\nfrom pages.ui import fragments\n"
              "@ip\ndef a(): pass\n@fragments.in_page\ndef b(): pass\n"
              "def outer():\n    @in_page\n    def c(): pass\n"
              "st.button('x', **on_submit(f, 'ok', key='k'))\nst.download_button('x', b'', on_click='ignore')\n")
    found, around = fragment_findings(source, "p")
    assert found == {"p:a", "p:b", "p:c"} and around == []


# --- every fragment of the app, clicked in by a revoked session --------------------------------

def fragments_of_the_app() -> set[str]:
    """Every in_page fragment of app.py and pages/, as "path:function" – found, not listed."""
    return {hit for name, text in _sources() for hit in fragment_findings(text, name)[0]}


@dataclass(frozen=True)
class Scenario:
    """A click inside one fragment: who, on which page (`open` returns what `state` reads), the
    click (not yet run), and the part of the database the click would change."""
    username: str
    open: Callable[[AppTest, Database], object]
    click: Callable[[AppTest, object], None]
    state: Callable[[Database, object], object]


def _open_lagebild(at: AppTest, db: Database) -> None:
    at.switch_page("pages/dashboard.py").run()


def _open_chart_numbers(at: AppTest, _: object) -> None:
    key = next(k for k in at.session_state.keys() if str(k).endswith("-daten"))
    at.session_state[key] = True


def _audit_entries(db: Database, _: object) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


SCENARIOS: dict[str, Scenario] = {
    # Opening "Daten zur Grafik" writes nothing; after the revocation it shows nothing either.
    "pages/ui/charts.py:chart_numbers": Scenario("leitung", _open_lagebild, _open_chart_numbers, _audit_entries),
}


def test_every_fragment_has_its_revoked_click() -> None:
    """A new fragment needs its scenario below (what a click inside it would change)."""
    assert fragments_of_the_app() == set(SCENARIOS)


def _revoke(db: Database, username: str, how: str) -> None:
    if how == "logged-out-elsewhere":
        with db.read() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
        auth.logout(db, Actor.of(user))  # the same account's other browser
        return
    with db.write() as session:
        session.execute(update(User).where(User.username == username).values(active=False))


@pytest.mark.parametrize("how", ["deactivated", "logged-out-elsewhere"])
@pytest.mark.parametrize("fragment", sorted(SCENARIOS))
def test_a_revoked_session_clicking_in_a_fragment_changes_nothing(app: AppTest, db_url: str, fragment: str,
                                                                  how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = SCENARIOS[fragment]
    log_in(app, scenario.username)
    db = Database.from_url(db_url)
    try:
        opened = scenario.open(app, db)
        assert not app.exception, app.exception
        _revoke(db, scenario.username, how)
        before = scenario.state(db, opened)
        # The click's run is the fragment's alone: app.py's check of the login does not run
        # (AppTest always runs the whole script; here app.py lets the page draw with the actor it
        # had), so the fragment's own check – or its click's – must stop it.
        monkeypatch.setattr("pages.ui.fragments._fragment_run", lambda: True)
        monkeypatch.setattr("pages.session.current_actor", lambda db, gate: st.session_state.get("actor"))
        scenario.click(app, opened)
        app.run()
        assert not app.exception, app.exception
        assert scenario.state(db, opened) == before, f"{fragment}: gehandelt nach dem Entzug ({how})"
        assert "actor" not in app.session_state and "flash" not in app.session_state
        assert app.text_input(key="login_username") is not None  # the login, nothing else
        assert not app.get("table") and not app.success
    finally:
        db.dispose()


@pytest.mark.parametrize("fragment", sorted(SCENARIOS))
def test_each_scenarios_click_acts_for_a_live_session(app: AppTest, db_url: str, fragment: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The other half of the test above: without the revocation the same click changes the
    database (or, for a fragment that writes nothing, draws its content)."""
    scenario = SCENARIOS[fragment]
    log_in(app, scenario.username)
    db = Database.from_url(db_url)
    try:
        opened = scenario.open(app, db)
        before, tables = scenario.state(db, opened), len(app.get("table"))
        monkeypatch.setattr("pages.ui.fragments._fragment_run", lambda: True)
        scenario.click(app, opened)
        app.run()
        assert not app.exception, app.exception
        assert "actor" in app.session_state
        assert scenario.state(db, opened) != before or len(app.get("table")) > tables, fragment
    finally:
        db.dispose()
