"""In-page actions as fragments (pages/ui/fragments.py): every fragment's run alone checks the
live session first – a revoked session's fragment acts on nothing – and no page makes a
fragment any other way. Every @in_page fragment of the app (found by a sweep) has a click that a
revoked session makes in vain; on a real server a refused save stays in its fragment and one's
own status change reruns the whole page. A click in a fragment the session does not know (after
a server restart) runs the whole page instead of nothing (tests/test_phone.py has the browser's
side: each fragment clicked once after a restart)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from unittest.mock import MagicMock

import pytest
import streamlit as st
from sqlalchemy import func, select, update
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from db.accounts import auth
from db.actors import Actor
from db.casework.cases import change_status
from db.clock import today as local_today
from db.store.database import Database
from db.store.models import Activity, AuditEntry, Case, User
from db.vocabulary import CaseStatus, PauseReason
from pages.ui.fragments import whole_run_for_unknown_fragments

from .conftest import ROOT, RunningApp, log_in
from .protocol import BrowserTab, Run, pressed, run_async
from .protocol import log_in as log_in_by_protocol


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


def _pause(db: Database, username: str) -> int:
    """One of the person's cases paused: its status control offers a change in one click."""
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        case_id, version = session.execute(select(Case.id, Case.version).where(
            Case.companion_id == user.id, Case.status == CaseStatus.ACTIVE).order_by(Case.id)).first()
        actor = Actor.of(user)
    change_status(db, actor, case_id, version, CaseStatus.PAUSED, pause_reason=PauseReason.ILLNESS,
                  resume_on=local_today() + timedelta(days=28))
    return case_id


def _open_case(at: AppTest, case_id: int) -> None:
    at.query_params["id"] = str(case_id)
    at.switch_page("pages/case.py").run()


def _the_case(db: Database, case_id: int) -> tuple[CaseStatus, int]:
    with db.read() as session:
        status = session.scalar(select(Case.status).where(Case.id == case_id))
        contacts = session.scalar(select(func.count()).select_from(Activity).where(Activity.case_id == case_id))
    return status, contacts


@dataclass(frozen=True)
class Scenario:
    """A click inside one fragment: who, on which page (`open` returns what `state` reads), the
    click (not yet run), and the part of the database the click would change."""
    username: str
    open: Callable[[AppTest, Database], object]
    click: Callable[[AppTest, object], None]
    state: Callable[[Database, object], object]


def _open_paused_case(at: AppTest, db: Database) -> int:
    case_id = _pause(db, "begleiter1")
    _open_case(at, case_id)
    return case_id


def _enter_contact(at: AppTest, case_id: object) -> None:
    at.text_area(key=f"contact_note_{case_id}").input("Telefonat nach dem Entzug")
    next(b for b in at.button if b.label == "Kontakt speichern").click()


def _open_lagebild(at: AppTest, db: Database) -> None:
    at.switch_page("pages/dashboard.py").run()


def _open_chart_numbers(at: AppTest, _: object) -> None:
    key = next(k for k in at.session_state.keys() if str(k).endswith("-daten"))
    at.session_state[key] = True


def _audit_entries(db: Database, _: object) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


SCENARIOS: dict[str, Scenario] = {
    "pages/ui/forms.py:status_control": Scenario(
        "begleiter1", _open_paused_case,
        lambda at, case_id: at.button(key=f"status_{case_id}_{CaseStatus.ACTIVE.value}").click(), _the_case),
    "pages/case.py:contact_form": Scenario("begleiter1", _open_paused_case, _enter_contact, _the_case),
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


# --- a click in a fragment the session does not know ---------------------------------------------

@pytest.fixture
def fallback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fallback installed as app.py installs it at server start, taken away after the test
    (importing app.py elsewhere in this process installs it too: the original is its __wrapped__)."""
    original = getattr(AppSession.request_rerun, "__wrapped__", AppSession.request_rerun)
    monkeypatch.setattr(AppSession, "request_rerun", original)
    whole_run_for_unknown_fragments()
    yield


def requested_runs(sent: ClientState, known: frozenset[str] = frozenset()) -> list[RerunData]:
    """What a real AppSession, holding the fragments `known`, asks to run when the browser sends
    `sent`: the RerunData it would start a script runner with (none is started)."""
    from streamlit.runtime.script_data import ScriptData

    async def request() -> list[RerunData]:
        with patch_config_options({"server.fileWatcherType": "none"}):
            session = AppSession(ScriptData(str(ROOT / "app.py")), uploaded_file_manager=MagicMock(),
                                 script_cache=MagicMock(), message_enqueued_callback=None, user_info={})
        asked: list[RerunData] = []
        session._create_scriptrunner = asked.append  # type: ignore[method-assign]
        for fragment_id in known:
            session._fragment_storage.register(fragment_id, lambda: None)
        try:
            session.request_rerun(sent)
        finally:
            session.shutdown()
        return asked

    return run_async(request())


def _click(fragment_id: str, *, auto: bool = False) -> ClientState:
    sent = ClientState(fragment_id=fragment_id, page_script_hash="seite", is_auto_rerun=auto)
    sent.widget_states.widgets.extend([pressed("$$ID-kontakt-speichern"),
                                       WidgetState(id="$$ID-notiz", string_value="Hausbesuch")])
    return sent


def test_a_click_in_a_fragment_the_session_does_not_know_runs_the_whole_page(fallback: None) -> None:
    sent = _click("vom-alten-server")
    [run] = requested_runs(sent)
    assert run.fragment_id is None, "a whole-page run"
    assert list(run.widget_states.widgets) == list(sent.widget_states.widgets)  # the same press, the same input
    assert run.page_script_hash == "seite"
    assert sent.fragment_id == "vom-alten-server"  # the browser's message is left as it came


def test_without_the_fallback_streamlit_drops_the_click(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the fallback exists (pinned in test_streamlit_internals): no run, no message."""
    monkeypatch.setattr(AppSession, "request_rerun",
                        getattr(AppSession.request_rerun, "__wrapped__", AppSession.request_rerun))
    assert requested_runs(_click("vom-alten-server")) == []


def test_a_click_in_a_known_fragment_stays_the_fragments_run(fallback: None) -> None:
    [run] = requested_runs(_click("bekannt"), known=frozenset({"bekannt"}))
    assert run.fragment_id == "bekannt"


def test_an_automatic_rerun_of_an_unknown_fragment_stays_dropped(fallback: None) -> None:
    """run_every of a fragment a full run removed: not the whole page again and again."""
    assert requested_runs(_click("entfernt", auto=True)) == []


def test_a_run_without_a_fragment_is_left_alone(fallback: None) -> None:
    [run] = requested_runs(_click(""))
    assert run.fragment_id is None and len(run.widget_states.widgets) == 2


def test_the_fallback_is_installed_once(fallback: None) -> None:
    installed = AppSession.request_rerun
    whole_run_for_unknown_fragments()
    assert AppSession.request_rerun is installed
    assert not hasattr(installed.__wrapped__, "__wrapped__")  # type: ignore[attr-defined]


def test_the_server_installs_the_fallback_when_it_starts() -> None:
    """`streamlit run app.py` imports app.py once, before any session: the fallback is in place
    for a restarted server's first click (a session's own run would come too late)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    main = next(node for node in tree.body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test))
    calls = {ast.unparse(node.func) for node in ast.walk(ast.Module(body=main.orelse, type_ignores=[]))
             if isinstance(node, ast.Call)}
    assert "whole_run_for_unknown_fragments" in calls


# --- on a real server: the browser's fragment run ------------------------------------------------

def test_ones_own_status_change_in_the_fragment_shows_at_once(running_app: RunningApp) -> None:
    """Sent as the browser sends a click inside a fragment (its run alone): a refused contact
    stays in the fragment, with the German message beside the field and nothing written; one's
    own status change reruns the whole page – the badge at the top and the message show the
    new status at once."""
    db = Database.from_url(running_app.db_url)
    try:
        case_id = _pause(db, "begleiter1")
        page = {"page": "case", "query": f"id={case_id}"}
        resume = "Begleitung wieder aufnehmen"

        async def clicks() -> tuple[Run, Run, object, Run, Run]:
            tab = BrowserTab(running_app.url)
            try:
                await log_in_by_protocol(tab, "begleiter1")
                shown = await tab.run(**page)
                before = _the_case(db, case_id)
                minutes = shown.widgets["Dauer in Minuten (optional)"]
                refused = await tab.run(**page, fragment=shown.fragments["Kontakt speichern"], widgets=[
                    WidgetState(id=minutes, int_value=-15), pressed(shown.widgets["Kontakt speichern"])])
                assert _the_case(db, case_id) == before  # a refusal writes nothing
                changed = await tab.run(**page, fragment=shown.fragments[resume],
                                        widgets=[pressed(shown.widgets[resume])])
                # A fragment id this session does not know (a page from before a restart): the
                # server installed by app.py runs the whole page with the click.
                stale = await tab.run(**page, fragment="vom-alten-server", widgets=[
                    WidgetState(id=changed.widgets["Dauer in Minuten (optional)"], int_value=-15),
                    pressed(changed.widgets["Kontakt speichern"])])
                return shown, refused, before, changed, stale
            finally:
                await tab.close()

        shown, refused, before, changed, stale = run_async(clicks())
        assert shown.shows(":orange-badge[Ruhend]"), shown.texts[:6]
        assert refused.fragment_run, "a refused save reruns the form alone"
        assert refused.shows("Dauer muss zwischen 1 und 1440 Minuten liegen."), refused.summary()
        assert not changed.fragment_run, "a write reruns the whole page"
        assert changed.shows(":green-badge[In Begleitung]"), changed.texts[:6]
        assert changed.shows("geändert"), changed.summary()  # "Status von … geändert\: In Begleitung"
        assert not stale.fragment_run and stale.shows("Dauer muss zwischen 1 und 1440 Minuten liegen."), (
            stale.summary())
        assert _the_case(db, case_id) == (CaseStatus.ACTIVE, before[1])
    finally:
        db.dispose()
