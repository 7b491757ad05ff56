"""A browser tab as the Streamlit server sees it: a websocket client that speaks Streamlit's
own protocol – a rerun message with the page and the widget values, answered by the elements of
the script run. For tests that need many sessions at once, and for bench/load.py; no browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: a Playwright test before this one in the same worker
    leaves an event loop running in this thread, and asyncio.run refuses to start a second one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


@dataclass
class Run:
    """What one script run showed: widget ids by label, and the texts of messages and headings."""
    widgets: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    exception: str | None = None
    html: list[str] = field(default_factory=list)  # st.html bodies (the login cookie's ticket)
    deferred: dict[str, str] = field(default_factory=dict)  # download button label → its file id
    # Widget label → the id of the fragment it was drawn in (pages/ui/fragments.in_page): a
    # browser sends a click there as that fragment's run alone.
    fragments: dict[str, str] = field(default_factory=dict)
    fragment_run: bool = False  # this run was a fragment's alone (no full run after it)

    def shows(self, words: str) -> bool:
        return any(words in t for t in self.texts)

    def summary(self) -> str:
        return self.exception or " | ".join(t for t in self.texts[-3:] if len(t) < 200)


class BrowserTab:
    """One browser tab as the server sees it: a websocket and the script runs it asks for."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.pages: dict[str, str] = {}  # url path (and title) → page script hash, from the menu
        self.paths: dict[str, str] = {}  # url path (and title) → url path
        self.current_page = ""

    async def open(self) -> Run:
        self.ws = await connect(self.base_url.replace("http://", "ws://") + "/_stcore/stream",
                                origin=self.base_url, subprotocols=["streamlit"],
                                max_size=64 * 1024 * 1024, open_timeout=60)
        return await self.run()

    async def run(self, page: str = "", query: str = "", widgets: list[WidgetState] | None = None,
                  fragment: str = "") -> Run:
        """A rerun of the page – or, with `fragment` (an id from Run.fragments), of that fragment
        alone, as the browser asks for a click inside it; what the fragment's run drew, or the
        whole page's when the server ran that instead (after a write)."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = query
        state.fragment_id = fragment
        # As the browser does: the page asked for, else the page the last run showed.
        state.page_script_hash = self.pages[page] if page else self.current_page
        # The browser names the page by its url path ("" for the default page), never by its title:
        # an unknown name would be an address the app answers with a stand-in page.
        state.page_name = self.paths[page] if page else ""
        state.widget_states.widgets.extend(widgets or [])
        await self.ws.send(message.SerializeToString())
        shown = Run()
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self.ws.recv())
            kind = forward.WhichOneof("type")
            if kind == "new_session":
                self.session_id = forward.new_session.initialize.session_id
                shown = Run()  # a run started anew (st.rerun) replaces what the last one drew
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                _note(forward.delta.new_element, shown, forward.delta.fragment_id)
            elif kind == "navigation":
                # The default page's url path is "": it is also found by its title ("Lagebild").
                self.pages = {name: p.page_script_hash for p in forward.navigation.app_pages
                              for name in (p.page_name, p.url_pathname)}
                self.paths = {name: p.url_pathname for p in forward.navigation.app_pages
                              for name in (p.page_name, p.url_pathname)}
                self.current_page = forward.navigation.page_script_hash
            elif kind == "script_finished" and forward.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                shown.fragment_run = forward.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
                return shown

    async def deferred_file(self, file_id: str) -> tuple[str, str]:
        """Press a download button whose data are made on the click, as the browser does: (the
        file's address, "") or ("", the message shown under the button)."""
        from streamlit.proto.BackMsg_pb2 import DeferredFileRequestPayload

        message = BackMsg()
        request = message.backend_operation_request
        request.request_id, request.session_id = f"download-{file_id}", self.session_id
        request.deferred_file.CopyFrom(DeferredFileRequestPayload(file_id=file_id))
        await self.ws.send(message.SerializeToString())
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self.ws.recv())
            answer = forward.backend_operation_response
            kind = forward.WhichOneof("type")
            if kind == "backend_operation_response" and answer.request_id == request.request_id:
                return answer.deferred_file.url, answer.error_msg

    async def close(self) -> None:
        if hasattr(self, "ws"):
            await self.ws.close()


def _note(element, shown: Run, fragment_id: str = "") -> None:  # type: ignore[no-untyped-def]
    kind = element.WhichOneof("type")
    if kind is None:
        return
    body = getattr(element, kind)
    if getattr(body, "id", "") and hasattr(body, "label"):
        shown.widgets[body.label] = body.id
        if fragment_id:
            shown.fragments[body.label] = fragment_id
    if kind in ("alert", "markdown", "heading", "toast"):
        shown.texts.append(body.body)
    elif kind == "html":
        shown.html.append(body.body)
    elif kind == "download_button" and body.deferred_file_id:
        shown.deferred[body.label] = body.deferred_file_id
    elif kind == "exception":
        shown.exception = f"{body.type}: {body.message}"


def typed(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


def pressed(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


async def log_in(tab: BrowserTab, username: str, password: str = "demo-passwort") -> Run:
    form = (await tab.open()).widgets
    shown = await tab.run(widgets=[typed(form["Benutzername"], username), typed(form["Passwort"], password),
                                   pressed(form["Anmelden"])])
    if "Abmelden" not in shown.widgets:
        raise RuntimeError(f"Anmeldung von {username} fehlgeschlagen: {shown.summary()}")
    return shown
