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
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import streamlit as st
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
