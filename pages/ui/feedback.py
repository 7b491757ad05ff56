"""Buttons that act, and what the user is told: the action runs in the click's callback, its
success message once, its error under the form, the input kept."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from db.errors import ConflictError, DomainError, PermissionDenied
from pages.ui.fields import forget_refusals, form_of, refusal_beside_field
from pages.ui.fragments import session_still_valid, whole_page_after_write
from pages.ui.navigation import move_focus_to
from pages.ui.shown import Shown, md, plain


log = logging.getLogger("begleiter_cockpit")


def unexpected(exc: BaseException) -> Shown:
    """For an error nobody foresaw: logged with its traceback under a short reference, and the
    German message that gives the reference to the user – never Streamlit's English banner,
    never a stack trace on screen (`client.showErrorDetails = "none"` as well)."""
    reference = secrets.token_hex(4).upper()
    log.error("Unerwarteter Fehler, Referenz %s", reference, exc_info=exc)
    # No promise about what was saved: a service that committed before the failure stays done.
    return md("Es ist ein unerwarteter Fehler aufgetreten. Bitte laden Sie die Seite neu und prüfen "
              "Sie, ob Ihre letzte Eingabe gespeichert ist. Tritt der Fehler wieder auf, nennen Sie "
              "der Administration die Referenz {reference}.", reference=reference)


def show_unexpected(exc: Exception) -> None:
    st.error(unexpected(exc), icon=":material/error:")


@contextmanager
def shown_errors(heading: str | None = None, way_back: Callable[[], None] | None = None) -> Iterator[None]:
    """Domain errors become a German message on the page instead of a traceback. Where nothing
    of the page has been drawn yet, `heading` names the page above the message and `way_back`
    offers a way on (a refused case is not a dead end)."""
    try:
        yield
    except DomainError as exc:  # messages may quote what was typed: shown as text
        if heading:
            st.title(plain(heading))
        st.error(plain(exc.message), icon=":material/lock:" if isinstance(exc, PermissionDenied) else None)
        if way_back:
            way_back()
        st.stop()


def show_flash() -> None:
    """The success message of the last action, once, in the page under its heading; the
    keyboard focus moves to it (and the page scrolls there). No toast besides: Streamlit puts it
    in the top right corner, over the heading on a phone or a narrow window – the very name the
    message confirms (tests/test_taps.py)."""
    if message := st.session_state.pop("flash", None):
        with st.container(key="flash_message"):
            st.success(plain(message))
        move_focus_to("flash_message")


def on_submit(action: Callable[[], object], success: str | Callable[[], str], *, key: str,
              reset: dict[str, object] | None = None) -> dict:
    """Keyword arguments for st.button / st.form_submit_button that run `action` on the click.

    The action runs in the click's callback, before the page reloads its data, and its closure
    holds the version the user was looking at: a change saved by somebody else in between ends
    in a conflict instead of being overwritten. On success the `reset` session keys (the inputs
    of a form, say) get the given values – set, not deleted, so the browser shows them too; on
    failure the input stays and feedback(key) says why – or, for a refusal that names a field of
    the button's form (pages/ui/fields.py), that field right under itself. `success` may be a
    function, read after the action, for a message that names what was entered ("Hausbesuch bei
    … gespeichert").
    """
    return {"on_click": _run_action, "args": (action, success, key, reset or {}, form_of())}


def _run_action(action: Callable[[], object], success: str | Callable[[], str], key: str,
                reset: dict[str, object], form: str = "") -> None:
    # Streamlit runs a click's callback before the script – before app.py's check of the login
    # and before a fragment's (in_page). The action's closure holds the actor of the page as it
    # was drawn: after a deactivation, a role change, a logout elsewhere or the idle time it must
    # act on nothing. The run that follows (app.py) then ends the session and shows the login.
    if not session_still_valid():
        st.session_state.pop("actor", None)
        return
    st.session_state.pop(f"error_{key}", None)
    forget_refusals()
    # Only a refusal (DomainError: rolled back, nothing changed) stays inside a fragment. A
    # conflict means the record changed elsewhere, and an unforeseen error may come after the
    # commit (the anchor is written after it): the whole page shows what is stored now, so a
    # retry does not act on a stale version or save a contact twice.
    try:
        action()
    except ConflictError as exc:
        st.session_state[f"conflict_{key}"] = exc.message
        whole_page_after_write()
        return
    except DomainError as exc:
        if not refusal_beside_field(form, exc.field, exc.message):
            st.session_state[f"error_{key}"] = exc.message
        return
    except Exception as exc:  # noqa: BLE001 - a click's unforeseen error: said under its form
        st.session_state[f"error_{key}"] = unexpected(exc)
        whole_page_after_write()
        return
    st.session_state.pop(f"conflict_{key}", None)
    message = success() if callable(success) else success
    for name, value in reset.items():
        st.session_state[name] = value
    st.session_state["flash"] = message
    whole_page_after_write()  # the change outside the fragment too (the flash is shown at the top)


def feedback(key: str) -> None:
    """Why the last action of this control failed: a validation message, or the conflict
    message with a way to load the other person's version."""
    if message := st.session_state.pop(f"error_{key}", None):
        with st.container(key=f"error_message_{key}"):
            st.error(plain(message))
        move_focus_to(f"error_message_{key}")
    if message := st.session_state.get(f"conflict_{key}"):
        st.error(plain(message), icon=":material/sync_problem:")
        if st.button("Neu laden", key=f"reload_{key}", icon=":material/refresh:"):
            st.session_state.pop(f"conflict_{key}", None)
            st.rerun()
