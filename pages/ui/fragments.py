"""In-page actions as fragments: a click reruns the fragment, not the page (issue 42).

Streamlit reruns a fragment alone – without app.py, and so without its check of the login. Every
fragment of the app is made with `in_page`, which checks the live session first (the same
db.accounts.auth.session_actor as the full run): after a deactivation, a logout elsewhere, a
password change, a role change or the idle time the fragment acts on nothing and the whole app
runs again, which shows the login. tests/test_fragments.py checks it, and that no page calls
st.fragment itself.

A person's own change shows on their own pages at once: what a save changes (the status badge
at the top, the history, the counts of the list) stands mostly outside the fragment that saved
it. So a successful write inside a fragment reruns the whole page (`whole_page_after_write`,
called by pages/ui/feedback's click handler): from the click's callback, before the fragment's
own run, which Streamlit then drops – a write costs one full run, as before; a click that writes
nothing (a form opened, a refusal) only the fragment's.

A click in a fragment the session does not know – a page drawn before a server restart – runs
the whole page (`whole_run_for_unknown_fragments`, installed by app.py when the server starts).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import streamlit as st
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from db.accounts import auth
from db.actors import Actor
from pages.ui.context import get_db

P = ParamSpec("P")


def _fragment_run() -> bool:
    """This run is a fragment's alone (app.py did not run before it)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def session_still_valid() -> bool:
    """The session's actor, read again: still the one app.py handed to the page."""
    shown = st.session_state.get("actor")
    if not isinstance(shown, Actor):
        return False
    live = auth.session_actor(get_db(), st.session_state.get("username"), st.session_state.get("login_at"))
    return live is not None and live == shown


def whole_page_after_write() -> None:
    """After a write in a fragment's run alone – or a conflict or an unforeseen error, after
    which what is stored may differ from what the page shows: the whole page next, not the
    fragment (a full run shows everything as it is stored)."""
    if _fragment_run():
        st.rerun(scope="app")


def in_page(fn: Callable[P, None]) -> Callable[P, None]:
    """fn as an st.fragment whose every run alone checks the live session first. In a full run
    app.py has just checked it."""

    @st.fragment
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        if _fragment_run() and not session_still_valid():
            st.session_state.pop("actor", None)
            st.rerun(scope="app")  # app.py ends the session and shows the login
        fn(*args, **kwargs)

    return run  # type: ignore[return-value]


def whole_run_for_unknown_fragments() -> None:
    """A click in a fragment this session does not know runs the whole page instead of nothing.

    After an app server restart (an update, a crash) the browser reconnects to a new session and
    keeps showing the old page; its next click inside a fragment names the fragment's id, which
    the new session has never registered. Streamlit's AppSession.request_rerun drops such a
    request without a run and without a message – "Kontakt speichern" did nothing
    (tests/test_phone.py, test_a_contact_typed_while_the_app_server_restarts…). Here the request
    goes on with the same widget states as a full run (its fragment id cleared): app.py checks
    the login, and pages/reconnect replays the press so its callback hears it. In a live session
    the same happens to a click in a fragment that a full run has just removed: one page run
    more, where Streamlit did nothing. An automatic rerun (`run_every`) of a removed fragment
    stays dropped: it would run the whole page again and again.

    Streamlit has no hook for this: AppSession.request_rerun is wrapped, once per process
    (idempotent), when the server starts – app.py's import by `streamlit run`, before any
    session exists. tests/test_streamlit_internals.py pins the early return this undoes.
    """
    if getattr(AppSession.request_rerun, "whole_run_for_unknown_fragments", False):
        return
    request_rerun = AppSession.request_rerun

    @functools.wraps(request_rerun)
    def request(self: AppSession, client_state: ClientState | None) -> None:
        if (client_state is not None and client_state.fragment_id and not client_state.is_auto_rerun
                and not self.has_fragment(client_state.fragment_id)):
            whole = ClientState()
            whole.CopyFrom(client_state)  # the browser's message is left as it came
            whole.ClearField("fragment_id")
            client_state = whole
        request_rerun(self, client_state)

    request.whole_run_for_unknown_fragments = True  # type: ignore[attr-defined]
    AppSession.request_rerun = request  # type: ignore[method-assign]
