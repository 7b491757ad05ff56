"""Begleiter-Cockpit – entry point: who is logged in, and which pages their role may open."""

from __future__ import annotations

import re

import streamlit as st
from sqlalchemy.exc import DBAPIError
from streamlit.navigation.page import StreamlitPage

from db.settings import ConfigurationError
from db.store.memo import one_stamp
from db.store.recount import figures_as_of
from db.vocabulary import Role
from pages.focus import focus_on_arrival
from pages.german_chrome import STYLE as GERMAN_STYLE, german_page
from pages.memory import freeze_after_imports, tune_collection
from pages.narrow import STYLE as NARROW_STYLE, fold_menu_after_choice, page_row
from pages.reconnect import press_from_an_earlier_server, replay
from pages.session import (
    apply_cookie_action,
    authenticator,
    current_actor,
    login_form,
    logout_button,
)
from pages.touch import STYLE as TOUCH_STYLE
from pages.ui.context import database_unreachable, get_db
from pages.ui.feedback import show_unexpected
from pages.ui.navigation import kept_pages, route_through_app, use_pages
from pages.ui.shown import plain


def pages() -> dict[str, StreamlitPage]:
    """Every page of the app by name (built once per server process, a copy for each run:
    pages.ui.navigation.kept_pages). URL paths are the file names: Streamlit also scans pages/
    on its own and would call any other address "not found" when a bookmark is opened directly."""
    return kept_pages("menu", page_definitions)


def page_definitions() -> dict[str, StreamlitPage]:
    return {
        "agenda": st.Page("pages/agenda.py", title="Termine", icon=":material/event:"),
        "cases": st.Page("pages/cases.py", title="Fälle", icon=":material/folder_shared:"),
        # Reached from the lists (with ?id=…), not from the menu.
        "case": st.Page("pages/case.py", title="Fall", icon=":material/person_search:",
                        visibility="hidden"),
        "referrals": st.Page("pages/referrals.py", title="Zuweisungen", icon=":material/move_to_inbox:"),
        "office_hours": st.Page("pages/office_hours.py", title="Sprechstunden", icon=":material/storefront:"),
        "employers": st.Page("pages/employers.py", title="Arbeitgeber", icon=":material/factory:"),
        "team": st.Page("pages/team.py", title="Team & Stellen", icon=":material/groups:"),
        "caseload_import": st.Page("pages/caseload_import.py", title="Import & Export",
                                   icon=":material/upload_file:"),
        "dashboard": st.Page("pages/dashboard.py", title="Lagebild", icon=":material/monitoring:"),
        "results": st.Page("pages/results.py", title="Ergebnisse", icon=":material/flag:"),
        "council": st.Page("pages/council.py", title="Kreistag", icon=":material/account_balance:"),
        "users": st.Page("pages/users.py", title="Benutzer", icon=":material/manage_accounts:"),
        "audit_log": st.Page("pages/audit_log.py", title="Protokoll", icon=":material/policy:"),
        "account": st.Page("pages/account.py", title="Mein Konto", icon=":material/person:"),
        "accessibility": st.Page("pages/accessibility.py", title="Barrierefreiheit",
                                 icon=":material/accessibility_new:", url_path="barrierefreiheit"),
    }

# Navigation only shows what a role may open; the service functions enforce it regardless.
ROLE_PAGES: dict[Role, list[str]] = {
    Role.COMPANION: ["agenda", "cases", "case", "referrals", "office_hours", "employers", "account"],
    Role.LEAD: ["dashboard", "results", "cases", "case", "referrals", "agenda", "office_hours", "team",
                "employers", "caseload_import", "council", "account"],
    Role.CASE_MANAGER: ["referrals", "case", "office_hours", "account"],
    Role.COUNCIL: ["council", "account"],
    Role.ADMIN: ["users", "audit_log", "account"],
    Role.DATA_PROTECTION: ["audit_log", "account"],
}
# The accessibility statement is open to everybody, last in every menu (BbgBITV).
EVERYONE = ["accessibility"]


def not_here() -> None:
    """The page behind an address this person cannot open: another role's page, or none at all."""
    st.title("Seite nicht verfügbar")
    st.info("Diese Adresse gibt es nicht, oder die Seite gehört nicht zu Ihrer Rolle. Bitte wählen "
            "Sie eine Seite im Menü.", icon=":material/explore_off:")


def start_page_by_its_address(start: StreamlitPage) -> None:
    """The role's start page opened by its own address (a bookmark of /agenda) is the start page.
    Streamlit serves the first page of the menu at "/" only and called its own address "not
    found": the English dialog over the page, which is inert until it is closed. Asked for by
    name, it is asked for by its page instead (before st.navigation, while `start.url_path` is
    still its own)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    manager = ctx.pages_manager
    if not manager.intended_page_script_hash and manager.intended_page_name == start.url_path:
        manager.set_script_intent(start._script_hash, "")  # noqa: SLF001 - the page's own id


def stand_ins(every: dict[str, StreamlitPage], shown: list[StreamlitPage]) -> list[StreamlitPage]:
    """Hidden pages, all showing not_here(), for every other address of the app and for an
    unknown address asked for in this run: the app's own German page instead of Streamlit's
    English "Page not found" dialog (which also leaves the page inert until it is closed)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    def stand_in(path: str) -> StreamlitPage:
        return st.Page(not_here, title="Seite nicht verfügbar", url_path=path, visibility="hidden")

    # One for each page's address, built once per process like the pages themselves.
    known = kept_pages("stand-ins", lambda: {page.url_path: stand_in(page.url_path) for page in every.values()})
    paths = set(known)
    ctx = get_script_run_ctx()
    asked = ctx.pages_manager.intended_page_name if ctx is not None else None
    if asked and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", asked):
        paths.add(asked)
    paths -= {page.url_path for page in shown} | {""}
    return [known[path] if path in known else stand_in(path) for path in sorted(paths)]


def document_title(page: StreamlitPage) -> str:
    """The browser tab's and the screen reader's name of the page (WCAG 2.4.2): "Termine –
    Begleiter-Cockpit", not the same name on every page."""
    return f"{page.title} – Begleiter-Cockpit"


def main() -> None:
    """One page run: who is logged in, and the page they asked for."""
    route_through_app()
    unheard = press_from_an_earlier_server()
    all_pages = pages()
    st.set_page_config(page_title="Begleiter-Cockpit", page_icon="🧭", layout="wide")
    # The style sheets of every page as one element: each st.html is a message of its own,
    # built, hashed and sent in every run.
    st.html(GERMAN_STYLE + NARROW_STYLE + TOUCH_STYLE)
    german_page()
    fold_menu_after_choice()
    focus_on_arrival()

    try:
        db = get_db()
        gate = authenticator()
        actor = current_actor(db, gate) or login_form(db, gate)
    except DBAPIError:
        database_unreachable()
    except ConfigurationError as exc:  # e.g. demo accounts in production: say what to do, run nothing
        st.error(plain(exc.message), icon=":material/gpp_bad:")
        st.stop()
    if actor is None:
        # Every page is registered, hidden and not run: a bookmarked address survives the login.
        # The address "/" means the login itself, so that after it each role starts on its own page.
        login_page = st.Page(lambda: None, title="Anmeldung", url_path="anmeldung", default=True)
        shown = [login_page, *all_pages.values()]
        st.navigation([*shown, *stand_ins(all_pages, shown)], position="hidden")
        st.set_page_config(page_title=document_title(login_page))
        apply_cookie_action(gate)
        st.stop()

    st.session_state["actor"] = actor
    st.session_state["gate"] = gate
    with st.sidebar:
        st.markdown(f"**{plain(actor.display_name)}**  \n{actor.role.label if actor.role else ''}")
    logout_button(db, gate, actor)
    # A password chosen by somebody else is replaced before anything else opens.
    allowed = (["account"] if actor.must_change_password else ROLE_PAGES[actor.role]) + EVERYONE
    shown = [all_pages[name] for name in allowed]
    start_page_by_its_address(shown[0])
    page = st.navigation([*shown, *stand_ins(all_pages, shown)])
    page_row(shown, page)  # the same menu above the page on a phone: one tap per page change
    use_pages(all_pages)
    st.set_page_config(page_title=document_title(page))
    if page is not all_pages["case"]:
        st.session_state.pop("viewing_case", None)  # opening a case again is a new, audited view
    apply_cookie_action(gate)  # in a run that completes, so the browser receives the cookie
    try:
        # The page's figures all as of one data stamp, the lead's snapshots read once: a query
        # each, not one per figure.
        with one_stamp(db), figures_as_of():
            page.run()
    except DBAPIError:
        database_unreachable()
    replay(unheard)


if __name__ == "__main__":  # Streamlit runs this file as __main__ on every click
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - st.stop()/st.rerun() are BaseExceptions and pass
        show_unexpected(exc)
    finally:
        freeze_after_imports()  # also after st.stop()/st.rerun(): a login run imports most
else:  # `streamlit run app.py` imports it once: the server, with the app's own HTTP layer
    from streamlit.runtime.pages_manager import PagesManager

    from pages.gateway import MIDDLEWARE, ROUTES
    from pages.ui.fragments import whole_run_for_unknown_fragments

    PagesManager.uses_pages_directory = False  # pages/ holds modules, never menu entries
    tune_collection()  # Python's garbage collection for a server (pages/memory.py)
    # A click in a fragment the session does not know (after a restart) runs the page, not nothing.
    whole_run_for_unknown_fragments()
    app = st.App("app.py", routes=ROUTES, middleware=MIDDLEWARE)
