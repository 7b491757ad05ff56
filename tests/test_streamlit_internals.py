"""Streamlit internals the app leans on, where Streamlit offers no public way (issue 28).

Streamlit is pinned (constraints.txt). On the day an update changes one of these, this test
fails and names what to look at – before a user finds a page that does nothing. Each one is also
covered by a test of its behaviour, named beside it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import streamlit

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_is_pinned_to_the_version_these_checks_were_made_for() -> None:
    pins = dict(re.findall(r"(?m)^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "constraints.txt").read_text()))
    assert pins.get("streamlit") == streamlit.__version__, (
        "Streamlit-Update: pages/ui/navigation.py, pages/reconnect.py, pages/downloads.py gegen die "
        "neue Version prüfen, dann constraints.txt anpassen")


def test_the_page_directory_switch_exists() -> None:
    """pages/ui/navigation.route_through_app, app.py (behaviour: test_sessions, test_app)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import _FragmentThreadStateFields

    assert isinstance(PagesManager.uses_pages_directory, (bool, type(None)))
    assert "active_script_hash" in _FragmentThreadStateFields.__annotations__  # ThreadState.get()
    assert {"main_script_hash", "intended_page_name"} <= set(dir(PagesManager))


def test_the_start_page_can_be_asked_for_by_its_page_instead_of_its_name() -> None:
    """app.start_page_by_its_address: a page's id comes from its own address even when it is the
    default page (served at "/"), and the run's intent can be set to that id."""
    import inspect

    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    assert list(inspect.signature(PagesManager.set_script_intent).parameters) == [
        "self", "page_script_hash", "page_name"]
    assert {"intended_page_script_hash", "intended_page_name"} <= set(dir(PagesManager))
    # The id from the page's own address, the address "" for the default page alone.
    assert "calc_hash(self._url_path)" in inspect.getsource(st.Page._script_hash.fget)  # noqa: SLF001
    assert 'return "" if self._default else self._url_path' in inspect.getsource(st.Page.url_path.fget)


def test_a_press_from_an_earlier_server_can_be_kept_and_replayed() -> None:
    """pages/reconnect.py (behaviour: test_phone, server restart during typing)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    from streamlit.runtime.state.session_state import Serialized, SessionState, WStates

    assert {"widget_states", "context_info", "query_string", "page_script_hash"} <= {
        f.name for f in dataclasses.fields(RerunData)}
    assert {"states", "widget_metadata"} <= {f.name for f in dataclasses.fields(WStates)}
    assert "_new_widget_state" in SessionState.__dataclass_fields__
    assert [f.name for f in dataclasses.fields(Serialized)] == ["value"]
    pressed = WidgetState(id="x", trigger_value=True)
    assert pressed.WhichOneof("value") == "trigger_value"


def test_deferred_downloads_are_answered_by_the_app() -> None:
    """pages/downloads.py replaces the handler (behaviour: test_browser, downloads in the browser)."""
    from streamlit.proto.ForwardMsg_pb2 import BackendOperationResponse, DeferredFileResponsePayload
    from streamlit.runtime import backend_operation_handler

    assert callable(backend_operation_handler.DeferredFileHandler.handle)
    assert "deferred_file" in BackendOperationResponse.DESCRIPTOR.fields_by_name
    assert "url" in DeferredFileResponsePayload.DESCRIPTOR.fields_by_name


def test_the_gateway_finds_the_routes_and_files_as_streamlit_does() -> None:
    """pages/gateway.py decides by the route Streamlit's router picks and looks media up in its
    storage (behaviour: test_gateway, against running servers)."""
    from streamlit.runtime.media_file_storage import MediaFileKind
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.web.server.starlette import (
        starlette_routes,
        starlette_static_routes,
        starlette_websocket,
    )

    assert starlette_routes._ROUTE_MEDIA == "media/{file_id:path}"
    public = {starlette_routes.ROUTE_HEALTH, starlette_routes.ROUTE_HOST_CONFIG,
              starlette_websocket._ROUTE_WEBSOCKET_STREAM}
    assert public == {"_stcore/health", "_stcore/host-config", "_stcore/stream"}
    assert 'name="static-assets"' in Path(starlette_static_routes.__file__).read_text()
    storage = MemoryMediaFileStorage("/media")
    file_id = storage.load_and_get_id(b"x", "text/csv", MediaFileKind.DOWNLOADABLE, "x.csv")
    assert storage.get_file(f"{file_id}.csv") is storage._files_by_id[file_id]


def test_chart_data_given_as_arrow_bytes_is_sent_as_it_is() -> None:
    """pages/ui/charts._for_streamlit hands over each chart's data as Arrow bytes, once per spec
    (behaviour: test_chart_cache, the funnel's numbers read back from what the browser gets)."""
    from streamlit.elements.vega_charts import _marshall_chart_data
    from streamlit.proto.VegaLiteChart_pb2 import VegaLiteChart

    from pages.ui.charts import _for_streamlit

    spec, datasets = _for_streamlit('{"mark": "bar", "datasets": {"d1": [{"n": 1}, {"n": 2}]}}')
    proto = VegaLiteChart()
    _marshall_chart_data(proto, {**json.loads(spec), "datasets": dict(datasets)}, None)
    assert [(d.name, d.data.data) for d in proto.datasets] == [("d1", datasets[0][1])]


def test_the_form_of_an_element_can_be_found() -> None:
    """pages/ui/fields.form_of pairs a refused save's button with the fields of its form
    (behaviour: test_fields_browser, a refusal shown under its field; test_typed_values)."""
    import inspect

    from streamlit.elements.lib.form_utils import current_form_id

    assert list(inspect.signature(current_form_id).parameters) == ["dg"]
    assert "_form_data" in streamlit.delta_generator.DeltaGenerator(root_container=None).__dict__


def test_a_fragments_run_alone_can_be_told_from_a_full_run() -> None:
    """pages/ui/fragments._fragment_run (behaviour: test_fragments): the fragment ids of this run,
    set only when Streamlit reruns fragments alone."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    assert "fragment_ids_this_run" in {f.name for f in dataclasses.fields(ScriptRunContext)}


def test_the_page_row_finds_what_the_frontend_draws() -> None:
    """pages/narrow.page_row and its script (behaviour: test_phone, a page change on a phone):
    the names of the frontend's elements it styles, the key under which the frontend keeps the
    sidebar's state between visits, and its top navigation that goes back into the sidebar below
    the `md` breakpoint (why the row exists)."""
    bundle = "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in
                       (Path(streamlit.__file__).parent / "static" / "static" / "js").glob("*.js"))
    for name in ("stPageLink-NavLink", "stIconMaterial", "stLayoutWrapper", "stSidebarCollapsed-",
                 "stExpandSidebarButton", "stSidebarCollapseButton", "stSidebarNav"):
        assert name in bundle, name
    assert re.search(r"isMobileViewport\?\w+\.Position\.SIDEBAR", bundle)


def test_a_click_in_an_unknown_fragment_is_dropped_by_the_session() -> None:
    """pages/ui/fragments.whole_run_for_unknown_fragments wraps AppSession.request_rerun and
    undoes its early return for a fragment id the session does not know (behaviour:
    test_fragments, a real AppSession; test_phone, each fragment clicked after a server restart).
    If Streamlit no longer drops such a click, or hands request_rerun something else, the wrapper
    is to be looked at again."""
    import inspect

    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.runtime.app_session import AppSession

    original = getattr(AppSession.request_rerun, "__wrapped__", AppSession.request_rerun)
    assert list(inspect.signature(original).parameters) == ["self", "client_state"]
    assert {"fragment_id", "is_auto_rerun", "widget_states"} <= set(ClientState.DESCRIPTOR.fields_by_name)
    assert callable(AppSession.has_fragment)
    # The early return, as the source says it: a fragment id the session does not hold, no run.
    source = inspect.getsource(original)
    early = re.search(r"if fragment_id and not self\.has_fragment\(fragment_id\):(.*?)\n\s*return\n",
                      source, flags=re.S)
    assert early, "AppSession.request_rerun verwirft unbekannte Fragmente nicht mehr so wie erwartet"
    assert source.index("fragment_id = client_state.fragment_id") < early.start()
