"""Downloads whose data are made when the button is pressed, for a session still valid then."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import BackendOperationResponse, DeferredFileResponsePayload
from streamlit.runtime import backend_operation_handler

from db import auth
from db.actors import Actor
from db.database import Database
from db.errors import DomainError


def at_click(db: Database, produce: Callable[[Actor], bytes | str]) -> Callable[[], bytes | str]:
    """Data for st.download_button made when the button is pressed, for the actor of this session
    as it is then: a tab left open after a deactivation, a password reset or the idle timeout
    gets the refusal (SessionEnded), not the file. `produce` checks the role and audits."""
    username, issued = st.session_state.get("username"), st.session_state.get("login_at")
    return lambda: produce(auth.live_actor(db, username, issued))


async def _deferred_file(self, request, session_id):  # type: ignore[no-untyped-def]  # noqa: ARG001
    """Streamlit's handler for a pressed download button, with the app's German reason under the
    button when the data are refused (Streamlit shows only "Failed to generate file")."""
    try:
        url = await asyncio.to_thread(self._get_media_file_mgr().execute_deferred,
                                      request.deferred_file.file_id)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message under the button
        reason = exc.__cause__
        message = (reason.message if isinstance(reason, DomainError) else
                   "Die Datei konnte nicht erstellt werden. Bitte laden Sie die Seite neu.")
        return BackendOperationResponse(request_id=request.request_id, error_msg=message)
    return BackendOperationResponse(request_id=request.request_id,
                                    deferred_file=DeferredFileResponsePayload(url=url))


backend_operation_handler.DeferredFileHandler.handle = _deferred_file
