"""The browser session: login form, cookie re-login, logout (UI glue for db.accounts.auth).

streamlit-authenticator keeps the session in st.session_state and in a signed cookie; the
password check, lockout and audit are db.accounts.auth's. This module only wires the two together.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime, timedelta

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.models import cookie_model

from db.accounts import auth
from db.actors import Actor
from db.errors import DomainError
from db.settings import ConfigurationError, cookie_key, secrets_cookie_key
from db.store.database import Database
from pages.statement import show_statement
from pages.ui.shown import plain

COOKIE_NAME = "begleiter_cockpit"
COOKIE_EXPIRY_DAYS = 0.5  # one working day; then a fresh login
COOKIE_PATH = "/_cockpit/anmeldung"  # the server's route that sets it (pages/gateway.py)
TICKET_SECONDS = 60


class ScriptCookies:
    """Has the server set and delete the login cookie, in place of extra_streamlit_components'
    CookieManager that the authenticator would draw on every run.

    That component reads all of the browser's cookies each time its frame mounts and sends them
    back, which asks the server for one more script run at a moment nobody chose (clicks were
    lost), and it can only write cookies that page scripts can read. Here a small script in the
    page sends a one-time ticket (signed, valid TICKET_SECONDS) to the server's own route
    (pages/gateway.py), whose answer sets the cookie `HttpOnly`: no script in the page can read
    the login token afterwards. The authenticator reads the cookie on the server
    (st.context.cookies)."""

    def set(self, cookie: str, val: str, expires_at: datetime | None = None, **_: object) -> None:
        seconds = int((expires_at - datetime.now(expires_at.tzinfo)).total_seconds()) if expires_at else None
        ticket = jwt.encode({"aud": "cookie", "value": val, "max_age": max(seconds or 0, 0),
                             "jti": secrets.token_urlsafe(16),
                             "exp": datetime.now(UTC) + timedelta(seconds=TICKET_SECONDS)},
                            signing_key(), algorithm="HS256")
        self._send("POST", ticket)

    def delete(self, cookie: str, **_: object) -> None:
        self._send("DELETE", "")

    @staticmethod
    def _send(method: str, body: str) -> None:
        # The script removes itself once sent: the ticket does not stay in the page.
        script = (f"fetch({json.dumps(COOKIE_PATH)}, {{method: {json.dumps(method)}, "
                  f"body: {json.dumps(body) if body else 'null'}, credentials: 'same-origin', "
                  "headers: {'X-Cockpit': '1'}}); document.currentScript && document.currentScript.remove();")
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


# The authenticator's cookie model builds its manager from this name on every run.
cookie_model.stx = type("ScriptCookieComponents", (), {"CookieManager": ScriptCookies})


def signing_key() -> str:
    """The key that signs login cookies and tickets (db.settings.cookie_key), read as the start
    check reads it (db.bootstrap.refuse_unsafe_keys)."""
    return cookie_key(os.environ, secrets_cookie_key())


def authenticator() -> stauth.Authenticate:
    try:
        key = signing_key()
    except ConfigurationError as exc:
        st.error(plain(exc.message))
        st.stop()
    # No credential set held across runs: an account made by the CLI or on another server, or
    # deactivated there, is read from the database at the login (db.accounts.auth) and on every run
    # (current_actor). The library only learns the one user this session has just proven.
    gate = stauth.Authenticate(
        {"usernames": {}},
        cookie_name=COOKIE_NAME,
        cookie_key=key,
        cookie_expiry_days=COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=0,  # cookies are read server-side; no need to wait for the browser
    )
    return gate


def current_actor(db: Database, gate: stauth.Authenticate) -> Actor | None:
    """The logged-in actor of this browser session, or None."""
    if not st.session_state.get("authentication_status"):
        _restore_from_cookie(db, gate)
    if not st.session_state.get("authentication_status"):
        return None
    actor = auth.session_actor(db, st.session_state.get("username"), st.session_state.get("login_at"))
    if actor is None:  # deactivated, logged out elsewhere, idle or too old: end this session too
        end_session(gate)
    return actor


def end_session(gate: stauth.Authenticate) -> None:
    """This browser session's person is gone – by Abmelden, or ended elsewhere (a logout on
    another device, a deactivation, the idle or maximum time). Everything the person's pages kept
    goes with them: filters and searches (a client's name or number), open forms, the case last
    viewed. The next login in this browser, perhaps somebody else's, starts with none of it."""
    gate.authentication_controller.logout()
    st.session_state.clear()
    st.session_state["logout"] = True  # the authenticator must not re-login from the cookie
    st.session_state["cookie_action"] = "delete"


def _cookie_token(gate: stauth.Authenticate) -> dict | None:
    """The login cookie's content if it is a valid token of ours, else None. A forged, foreign-
    algorithm ("none", HS512), expired or malformed token means the login form, never an error
    page: the library lets most of these errors through."""
    try:
        token = gate.cookie_controller.get_cookie()
        if (isinstance(token, dict) and isinstance(token.get("username"), str)
                and isinstance(token.get("exp_date"), int | float)):
            return token
    except (jwt.PyJWTError, AttributeError, KeyError, TypeError, ValueError, OverflowError):
        pass
    return None


def _restore_from_cookie(db: Database, gate: stauth.Authenticate) -> None:
    """A reload keeps the user logged in: the signed cookie names the user and its expiry; the
    account must still be active and the session still valid (db.accounts.auth.session_actor)."""
    token = _cookie_token(gate)
    if not token:
        return
    issued = _issued(token["exp_date"])
    actor = auth.session_actor(db, token["username"], issued)
    if actor is None:
        return
    _hand_over(gate, actor)
    st.session_state["login_at"] = issued


def _hand_over(gate: stauth.Authenticate, actor: Actor) -> None:
    """Tell the authenticator who this session belongs to (it keeps the cookie and the logout)."""
    gate.authentication_controller.authentication_model.credentials["usernames"][actor.username] = {
        "name": actor.display_name, "email": None, "roles": [actor.role.value if actor.role else ""]}
    gate.authentication_controller.login(token={"username": actor.username})


def _issued(exp_date: float) -> datetime:
    return datetime.fromtimestamp(exp_date, UTC) - timedelta(days=COOKIE_EXPIRY_DAYS)


def login_form(db: Database, gate: stauth.Authenticate) -> Actor | None:
    """Draw the login screen; returns the actor once a login succeeds in this run."""
    slot = st.empty()
    # A narrow, centred form: the app is laid out wide for the tables that come after login.
    with slot.container(), st.columns([1, 2, 1])[1]:
        with st.form("login"):
            st.title("Begleiter-Cockpit")
            st.caption("Integrationsbegleitung · Jobcenter Spree-Neiße")
            st.header("Anmeldung")
            username = st.text_input("Benutzername", autocomplete="username", key="login_username")
            password = st.text_input("Passwort", type="password", autocomplete="current-password",
                                     key="login_password")
            submitted = st.form_submit_button("Anmelden", type="primary")
        if not auth.any_account(db):
            st.info("Noch kein Konto angelegt. Das erste Konto (die Administration) legt die IT auf "
                    "dem Server an: `python -m db create-user --username … --name … --role admin` "
                    "(README, Abschnitt Betrieb).", icon=":material/person_add:")
        # The accessibility statement must be reachable before login too (BbgBITV).
        with st.expander("Erklärung zur Barrierefreiheit"):
            show_statement(level=2)
    if not submitted:
        return None
    try:
        # The connection's address (behind a proxy: the proxy's, unless it forwards it); a second
        # throttle besides the per-name one, for one machine trying many names.
        actor = auth.login(db, username, password, st.context.ip_address)
    except DomainError as exc:
        st.error(plain(exc.message))
        return None
    # Hand the verified user to the authenticator's session state; the signed cookie follows in
    # the next, complete run (a cookie written in a run that is cut short may never arrive).
    _hand_over(gate, actor)
    st.session_state["login_at"] = datetime.now(UTC)
    st.session_state["logout"] = False
    st.session_state["cookie_action"] = "set"
    slot.empty()
    return actor


def logout_button(db: Database, gate: stauth.Authenticate, actor: Actor) -> None:
    if st.sidebar.button("Abmelden", icon=":material/logout:", key="logout_button", width="stretch"):
        auth.logout(db, actor)
        end_session(gate)
        st.rerun()


def apply_cookie_action(gate: stauth.Authenticate) -> None:
    """Write or delete the login cookie that the previous run asked for."""
    action = st.session_state.pop("cookie_action", None)
    if action == "set":
        gate.cookie_controller.set_cookie()
        # The login time this session goes by is the one the cookie carries, so that a reload
        # finds the same session (and its last activity: the idle timeout) again.
        st.session_state["login_at"] = _issued(gate.cookie_controller.cookie_model.exp_date)
    elif action == "delete":
        gate.cookie_controller.delete_cookie()
