"""Benutzer: the admin manages staff accounts (create, deactivate, reset password, role)."""

import pandas as pd
import streamlit as st

from db.accounts.users import change_role, create_user, list_users, reset_password, set_active
from db.vocabulary import Role
from pages import narrow
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import feedback, on_submit, show_flash, shown_errors
from pages.ui.formatting import fmt_date, yes_no
from pages.ui.privacy_panels import person_rights_panel, retention_panel
from pages.ui.fields import date_field, number_field
from pages.ui.shown import plain

actor = current_actor()
db = get_db()

st.title("Benutzer")
show_flash()
with shown_errors():
    users = list_users(db, actor)

narrow.table(
    pd.DataFrame(
        [
            {
                "Benutzername": u.username,
                "Name": u.display_name,
                "Rolle": u.role.label,
                "Aktiv": yes_no(u.active),
                "Gesperrt": yes_no(u.locked),
                "Kapazität": "–" if u.capacity is None else str(u.capacity),
                "Beginn": fmt_date(u.start_date),
                "Demo": yes_no(u.is_demo),
            }
            for u in users
        ]
    ),
    "users",
)


def _done(message: str) -> None:
    st.session_state["users_flash"] = message
    st.rerun()


if flash := st.session_state.pop("users_flash", None):
    st.success(plain(flash))

new_tab, edit_tab = st.tabs(["Neues Konto", "Konto bearbeiten"])

# The new account's inputs and what they show again once it is created: the form is empty for
# the next person (the first password above all does not linger); a refused entry stays to fix.
NEW_USER = {"new_user_username": "", "new_user_name": "", "new_user_role": Role.COUNCIL,
            "new_user_password": "", "new_user_capacity": 20, "new_user_start": None}


def _create_user() -> None:
    state = st.session_state
    capacity = state["new_user_capacity"]
    create_user(db, actor, username=state["new_user_username"], display_name=state["new_user_name"],
                role=state["new_user_role"], password=state["new_user_password"],
                capacity=None if capacity is None else int(capacity),
                start_date=state["new_user_start"])


with new_tab, st.form("new_user", clear_on_submit=False):
    feedback("new_user")
    cols = st.columns(2)
    cols[0].text_input("Benutzername", key="new_user_username")
    cols[1].text_input("Name", key="new_user_name")
    # Least privilege by default: the council role sees only aggregates.
    cols[0].selectbox("Rolle", list(Role), format_func=lambda r: r.label,
                      index=list(Role).index(Role.COUNCIL), key="new_user_role")
    cols[1].text_input("Erstes Passwort", type="password", key="new_user_password")
    number_field("Kapazität (Teilnehmende; höchstens 20, Teilzeit weniger)", 20,
                 key="new_user_capacity", where=cols[0], field="capacity")
    date_field("Beginn (nur Begleitung)", key="new_user_start", where=cols[1], field="start_date")
    st.form_submit_button("Konto anlegen", type="primary", **on_submit(
        _create_user, lambda: f"Konto „{st.session_state['new_user_username']}“ angelegt.",
        key="new_user", reset=NEW_USER))

with edit_tab:
    by_name = {u.username: u for u in users}
    chosen = st.selectbox("Konto", list(by_name), format_func=lambda n: f"{by_name[n].display_name} ({n})")
    user = by_name[chosen]
    cols = st.columns(3)
    with cols[0].form("role"):
        new_role = st.selectbox("Rolle", list(Role), index=list(Role).index(user.role),
                                format_func=lambda r: r.label)
        new_capacity = number_field("Kapazität (nur Begleitung)", user.capacity, key=f"role_capacity_{user.id}",
                                    field="capacity")
        if st.form_submit_button("Rolle ändern"):
            with shown_errors():
                change_role(db, actor, user.id, new_role, new_capacity)
            _done(f"Rolle von „{user.username}“ ist jetzt {new_role.label}.")
    with cols[1].form("password"):
        new_password = st.text_input("Neues Passwort", type="password")
        if st.form_submit_button("Passwort zurücksetzen"):
            with shown_errors():
                reset_password(db, actor, user.id, new_password)
            _done(f"Passwort von „{user.username}“ zurückgesetzt; eine Sperre ist aufgehoben.")
    with cols[2]:
        label = "Deaktivieren" if user.active else "Wieder aktivieren"
        st.write("Status: " + ("aktiv" if user.active else "deaktiviert"))
        if st.button(label, key="toggle_active"):
            with shown_errors():
                set_active(db, actor, user.id, not user.active)
            _done(f"Konto „{user.username}“ {'deaktiviert' if user.active else 'aktiviert'}.")

retention_panel(db, actor)
person_rights_panel(db, actor)
