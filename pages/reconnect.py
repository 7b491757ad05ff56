"""A press on a page drawn by an app server that has since restarted (an update, a crash).

The browser reconnects to the new server on its own and keeps showing the old page, with
everything typed into it. Streamlit calls a button's `on_click` only for a widget it drew in
this session's previous run, and the new session has drawn nothing yet: the first press after
the restart reaches the server with all inputs and is run as a plain page run, its callback
skipped. Every save in this app is such a callback (pages.ui.feedback.on_submit), so "Kontakt speichern"
would do nothing, with no message, and only a second press would save.

The first run of a session that brings a press from such a page therefore draws the page
(Streamlit now knows its widgets) and then runs again with the same input from the browser:
the callback hears the press, once. Streamlit has no public hook for either half; the browser
test test_phone.test_a_contact_typed_while_the_app_server_restarts… fails if its internals
change under this.
"""

from __future__ import annotations

import streamlit as st
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state.session_state import Serialized
from streamlit.runtime.state.session_state_proxy import get_session_state

_SEEN = "_session_has_run"


def press_from_an_earlier_server() -> WidgetStates | None:
    """What the browser sent with a press no callback heard; None but in the first run of a
    session that brings one. Call once per run, before any widget is drawn."""
    if st.session_state.get(_SEEN):
        return None
    st.session_state[_SEEN] = True
    widgets = get_session_state()._state._new_widget_state
    sent = [state.value for state in widgets.states.values() if isinstance(state, Serialized)]
    if any(proto.WhichOneof("value") == "trigger_value" and proto.trigger_value
           and proto.id not in widgets.widget_metadata for proto in sent):
        return WidgetStates(widgets=sent)
    return None


def replay(sent: WidgetStates | None) -> None:
    """Call at the end of the run that drew the page: the press runs again, now heard. (Only
    then: a later run would put the old input back over newer.)"""
    ctx = get_script_run_ctx()
    if sent is None or ctx is None:
        return
    ctx.script_requests.request_rerun(RerunData(
        query_string=ctx.query_string, page_script_hash=ctx.page_script_hash, widget_states=sent,
        context_info=ctx.context_info))
