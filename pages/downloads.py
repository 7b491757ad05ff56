"""Downloads whose data are made when the button is pressed, for a session still valid then,
and served only to that session (pages/gateway.py checks each /media request against the owner
recorded here)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import BackendOperationResponse, DeferredFileResponsePayload
from streamlit.runtime import backend_operation_handler

from db.accounts import auth
from db.actors import Actor
from db.errors import DomainError
from db.store.database import Database

# How long a made file may be fetched: the browser fetches it at once after the click. (The
# browser test shortens it to see the file go.)
FETCH_SECONDS = float(os.environ.get("DOWNLOAD_FETCH_SECONDS", "30"))


@dataclass(frozen=True)
class Owner:
    """The login session a download was made for, and the file Streamlit stored for it."""

    username: str
    issued_at: datetime
    made: float  # time.monotonic()
    file_id: str
    file: object  # Streamlit's stored file: the gate compares what a request would get with it

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.made > FETCH_SECONDS


# Per stored file, every session it was made for. Streamlit names a file by its content: two
# sessions that make the same bytes (the council's PDF, pressed by two members at once) get the
# same file, and each keeps its right to fetch it for its own FETCH_SECONDS.
_owners: dict[str, list[Owner]] = {}
_lock = threading.Lock()
# Set by the handler for the duration of one deferred call: the call notes whom it made the file for.
_making: ContextVar[dict | None] = ContextVar("download_owner", default=None)


def _storage():  # type: ignore[no-untyped-def]
    from streamlit import runtime

    return runtime.get_instance().media_file_mgr._storage  # noqa: SLF001


def stored_file(name: str) -> object | None:
    """The file Streamlit's /media handler would serve for this last path segment, looked up by
    Streamlit's own storage (whatever spelling of the id it accepts), or None."""
    from streamlit.runtime.media_file_storage import MediaFileStorageError

    try:
        return _storage().get_file(name)
    except MediaFileStorageError:
        return None


def owners_of(file: object) -> tuple[str, list[Owner]] | None:
    """The stored file's id and the sessions it was made for (by at_click) whose time to fetch
    it has not run out; None for any other file – which nobody may fetch (pages/gateway.py). A
    file whose every session's time has run out is removed (done_with): its owners are []."""
    with _lock:
        found = next(((file_id, owners) for file_id, owners in _owners.items()
                      if owners and owners[0].file is file), None)
    if found is None:
        return None
    file_id, owners = found
    live = [owner for owner in owners if not owner.expired]
    if not live:
        done_with(file_id)
    return file_id, live


def done_with(file_id: str) -> None:
    """Too late to fetch: the file is removed from the server's memory (a new click makes it
    anew)."""
    with _lock:
        _owners.pop(file_id, None)
    _storage().delete_file(file_id)


def _made_for(file_id: str, owner: Owner) -> list[str]:
    """Note that `file_id` was made for `owner`'s session (anew: its time starts again); returns
    the files no session may fetch any more, for done_with."""
    with _lock:
        session = (owner.username, owner.issued_at)
        _owners[file_id] = [*(o for o in _owners.get(file_id, []) if (o.username, o.issued_at) != session),
                            owner]
        return [key for key, owners in _owners.items() if all(o.expired for o in owners)]


def at_click(db: Database, produce: Callable[[Actor], bytes | str]) -> Callable[[], bytes | str]:
    """Data for st.download_button made when the button is pressed, for the actor of this session
    as it is then: a tab left open after a deactivation, a password reset or the idle timeout
    gets the refusal (SessionEnded), not the file. `produce` checks the role and audits."""
    username, issued = st.session_state.get("username"), st.session_state.get("login_at")

    def data() -> bytes | str:
        actor = auth.live_actor(db, username, issued)
        if (note := _making.get()) is not None:
            note.update(username=actor.username, issued_at=issued)
        return produce(actor)

    return data


async def _deferred_file(self, request, session_id):  # type: ignore[no-untyped-def]  # noqa: ARG001
    """Streamlit's handler for a pressed download button, with the app's German reason under the
    button when the data are refused (Streamlit shows only "Failed to generate file")."""
    note: dict = {}
    token = _making.set(note)  # asyncio.to_thread runs the call in a copy of this context
    try:
        url = await asyncio.to_thread(self._get_media_file_mgr().execute_deferred,
                                      request.deferred_file.file_id)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message under the button
        reason = exc.__cause__
        message = (reason.message if isinstance(reason, DomainError) else
                   "Die Datei konnte nicht erstellt werden. Bitte laden Sie die Seite neu.")
        return BackendOperationResponse(request_id=request.request_id, error_msg=message)
    finally:
        _making.reset(token)
    name = url.rsplit("/", 1)[-1]
    if note and (file := stored_file(name)) is not None:
        stored = _storage()._files_by_id  # noqa: SLF001
        file_id = next(key for key, value in stored.items() if value is file)
        for key in _made_for(file_id, Owner(note["username"], note["issued_at"], time.monotonic(),
                                            file_id, file)):
            done_with(key)
    return BackendOperationResponse(request_id=request.request_id,
                                    deferred_file=DeferredFileResponsePayload(url=url))


backend_operation_handler.DeferredFileHandler.handle = _deferred_file
