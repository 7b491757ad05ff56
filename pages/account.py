"""Mein Konto: who am I, and change my password (the current one is checked like a login)."""

from datetime import UTC, datetime

import streamlit as st

from db.accounts.auth import change_own_password
from db.accounts.users import MIN_PASSWORD
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import shown_errors
from pages.ui.shown import md, plain

actor = current_actor()
db = get_db()

st.title("Mein Konto")
st.write(md("**{name}** · Benutzername {username} · {role}", name=actor.display_name,
            username=actor.username, role=actor.role.label if actor.role else ""))
if actor.must_change_password:
    st.warning("Ihr Passwort wurde von der Administration vergeben. Bitte wählen Sie jetzt ein "
               "eigenes – erst danach öffnen sich die anderen Seiten.", icon=":material/key:")

with st.form("own_password", clear_on_submit=True):
    st.header("Passwort ändern")
    current = st.text_input("Bisheriges Passwort", type="password", autocomplete="current-password")
    new = st.text_input("Neues Passwort", type="password", autocomplete="new-password",
                        help=f"Mindestens {MIN_PASSWORD} Zeichen; keine verbreiteten Passwörter "
                             "und nicht der Benutzername.")
    repeated = st.text_input("Neues Passwort wiederholen", type="password", autocomplete="new-password")
    submitted = st.form_submit_button("Passwort ändern", type="primary")
if submitted:
    with shown_errors():
        change_own_password(db, actor, current, new, repeated, st.context.ip_address)
        # Other browsers are logged out; this one carries on with a fresh login time and cookie.
        st.session_state["login_at"] = datetime.now(UTC)
        st.session_state["cookie_action"] = "set"
        st.session_state["flash"] = "Ihr Passwort wurde geändert. Andere angemeldete Geräte sind abgemeldet."
        st.rerun()
if message := st.session_state.pop("flash", None):
    st.success(plain(message))
