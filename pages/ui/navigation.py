"""Moving between pages: every page runs through app.py (its login and menu), the case page
with its id, focus on arrival, and "Mehr anzeigen" paging of long lists."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from pages.ui.shown import Shown, md, md_join, plain

CASE_PAGE = "pages/case.py"


def route_through_app() -> None:
    """Make sure app.py alone routes every request (app.py's first statement).

    Until the first st.navigation call of a server process, Streamlit also treats the files in
    pages/ as stand-alone pages. The first request after a start would then either run a page
    file directly (a bookmark: no login, no role navigation; see route_page_through_app) or wrap
    app.py in that legacy navigation, which changes the widget ids between the first and the
    second run (the first login click would be lost). Switching the legacy mode off and
    re-running avoids both.

    The switch is one per process, but browsers that connect at the same moment after a restart
    all start their first run in the legacy mode, and only the first of them would see the
    switch still on (seen with bench/load.py: two of three simultaneous first logins did
    nothing). So a run is also re-run when it is wrapped: then app.py does not run under its
    own page hash. (Re-running every first run instead would lose the page a bookmark asks for.)
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import (
        ThreadState,
        get_script_run_ctx,
    )

    ctx = get_script_run_ctx()
    wrapped = ctx is not None and ThreadState.get().active_script_hash != ctx.pages_manager.main_script_hash
    if PagesManager.uses_pages_directory or wrapped:
        PagesManager.uses_pages_directory = False
        st.rerun()


def route_page_through_app() -> None:
    """A page file's first statement: if Streamlit ran it on its own (the legacy mode of the
    first request after a start), switch that mode off and let app.py route the request."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# After an action Streamlit redraws the page and the keyboard focus falls back to its start. The
# message saying what happened is where a keyboard or screen-reader user should go on from
# (WCAG 2.4.3): a small script focuses it once it is drawn. The nonce makes the script new in
# every run that shows a message, so it runs again for a second action in a row.
_FOCUS = """<script>
(() => {
  const nonce = "%(nonce)s";
  const attempt = (n) => {
    const target = document.querySelector(%(selector)s);
    if (target) { target.setAttribute("tabindex", "-1"); target.focus(); }
    else if (n < 40) setTimeout(() => attempt(n + 1), 50);
  };
  attempt(0);
})();
</script>"""


def move_focus_to(key: str) -> None:
    """Focus the element drawn with `key` (st.container(key=…)) once it is on the page."""
    st.html(_FOCUS % {"selector": json.dumps(f".st-key-{key}"), "nonce": secrets.token_hex(4)},
            unsafe_allow_javascript=True)


def shown_limit(key: str, step: int) -> int:
    """How many entries a long list shows now: `step` at first, `step` more per "Mehr anzeigen".
    Each entry carries buttons and forms, so drawing hundreds at once would slow every click."""
    return int(st.session_state.get(f"{key}_limit", step))


def more_button(key: str, step: int, shown: int, total: int | None = None) -> None:
    """Below a list cut at shown_limit: how much is shown, and a button for the next `step`."""
    limit = shown_limit(key, step)
    if shown < limit:
        return
    st.caption(md("{shown} von {total} angezeigt.", shown=shown, total=total) if total is not None
               else md("Die ersten {shown} angezeigt.", shown=shown))
    if st.button("Mehr anzeigen", key=f"{key}_more", icon=":material/expand_more:"):
        st.session_state[f"{key}_limit"] = limit + step
        st.rerun()


# The app's pages as first built in this server process, by the folder of the main script (one
# app per process; AppTest may run another). Building one with st.Page resolves and checks its
# file on disk and wraps it in Streamlit's telemetry – 22 of them took a quarter of an almost
# empty page's run (bench/page_cpu.py --profile account). What they hold – file, title, icon,
# address – is the same for every run and session; who may open which is decided in every run
# from the live actor (app.py), never here.
_built_pages: dict[tuple[str, str], dict[str, StreamlitPage]] = {}
_built_lock = threading.Lock()


def kept_pages(kind: str, build: Callable[[], dict[str, StreamlitPage]]) -> dict[str, StreamlitPage]:
    """This run's pages of a `kind`: fresh copies of the ones `build` made in the process's
    first run. Copies, because st.navigation marks the pages it is given (the first one as the default, the
    chosen one as the one that may run) and other sessions run at the same time."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:  # bare Python: st.Page keeps nothing to copy
        return build()
    key = (str(ctx.pages_manager.main_script_parent), kind)
    with _built_lock:
        built = _built_pages.get(key)
        if built is None:
            built = _built_pages[key] = build()
    return {name: _copied(page) for name, page in built.items()}


def _copied(page: StreamlitPage) -> StreamlitPage:
    # What copy.copy does for a plain object, without its detour through __reduce_ex__.
    new = object.__new__(type(page))
    new.__dict__.update(page.__dict__)
    return new


def use_pages(registered: dict[str, StreamlitPage]) -> None:
    """app.py hands over this run's registered pages (once per run, after st.navigation)."""
    st.session_state["_registered_pages"] = registered


def case_link(case_id: int, label: Shown, **kwargs: object) -> None:
    """A link to one case. Given the registered page rather than its path, st.page_link skips
    resolving the path on disk – a list of 25 cards draws 25 links on every run."""
    page = st.session_state.get("_registered_pages", {}).get("case", CASE_PAGE)
    st.page_link(page, label=label, query_params={"id": str(case_id)}, icon=":material/folder_open:",
                 **kwargs)  # type: ignore[arg-type]


def case_card(case_id: int, name: str, lines: list[Shown]) -> None:
    """One case of a list on a phone: a link that opens it with one tap – whose case it is, in
    bold, and beneath it a few lines of what matters in that list; framed as a card
    (pages/narrow.py). One element per case: a frame, a link and a text were three, and a list
    of 25 cards was the largest part of a case list's run (issue 42). The link's name is the
    card's text, as a screen reader reads a card that is one link."""
    case_link(case_id, md_join("  \n", [md("**{name}**", name=name), *lines]), width="stretch")


def open_case_button(case_id: int, *, key: str, label: str = "Fall öffnen") -> None:
    """A button to the case page; `label` may name the person (shown as text, not Markdown)."""
    if st.button(plain(label), key=key, icon=":material/folder_open:"):
        st.switch_page(CASE_PAGE, query_params={"id": str(case_id)})
