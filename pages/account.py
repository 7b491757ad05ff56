"""Mein Konto: who am I, and change my password (streamlit-authenticator's widget)."""

import streamlit as st
from streamlit_authenticator.utilities import CredentialsError, ResetError

from db.users import store_own_password_hash
from pages.common import current_actor, get_db, shown_errors
from pages.session import forget_credentials

actor = current_actor()
gate = st.session_state["gate"]

st.title("Mein Konto")
st.write(f"**{actor.display_name}** · Benutzername `{actor.username}` · {actor.role.label if actor.role else ''}")

LIBRARY_MESSAGES = {
    "No new password provided": "Bitte ein neues Passwort eingeben.",
    "Passwords do not match": "Die beiden neuen Passwörter stimmen nicht überein.",
    "New and current passwords are the same": "Das neue Passwort muss sich vom alten unterscheiden.",
}

try:
    changed = gate.reset_password(
        actor.username,
        fields={
            "Form name": "Passwort ändern",
            "Current password": "Aktuelles Passwort",
            "New password": "Neues Passwort",
            "Repeat password": "Neues Passwort wiederholen",
            "Reset": "Passwort ändern",
        },
        clear_on_submit=True,
    )
except CredentialsError:
    st.error("Das aktuelle Passwort ist falsch.")
except ResetError as exc:
    st.error(LIBRARY_MESSAGES.get(str(exc), str(exc)))
else:
    if changed:
        new_hash = gate.authentication_controller.authentication_model.credentials["usernames"][
            actor.username
        ]["password"]
        with shown_errors():
            store_own_password_hash(get_db(), actor, new_hash)
        forget_credentials()
        st.success("Ihr Passwort wurde geändert.")
