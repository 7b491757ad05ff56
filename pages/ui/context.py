"""The database and the acting user of a page run, and the page shown when the database is down."""

from __future__ import annotations

import streamlit as st

from db.actors import Actor
from db.bootstrap import prepare
from db.store.database import Database
from pages.ui.navigation import route_page_through_app


@st.cache_resource(show_spinner="Datenbank wird vorbereitet …")
def get_db() -> Database:
    """One engine per server process: migrated, and filled with demo data if empty."""
    db = Database.from_url()
    prepare(db)
    return db


def database_unreachable() -> None:
    """The database went away (server down, network, disk): say so in German and what to do,
    never a traceback. The engine is dropped, so the next click connects afresh."""
    get_db.clear()
    st.error(
        "**Die Datenbank ist gerade nicht erreichbar.** Ihre letzte Eingabe wurde nicht "
        "gespeichert. Bitte versuchen Sie es in einer Minute erneut (Seite neu laden). "
        "Bleibt der Fehler, wenden Sie sich an die IT des Jobcenters.",
        icon=":material/cloud_off:")
    st.stop()


def current_actor() -> Actor:
    """The logged-in user; app.py puts it here before any page runs."""
    route_page_through_app()
    actor = st.session_state.get("actor")
    if not isinstance(actor, Actor):
        st.warning("Bitte melden Sie sich an.")
        st.stop()
    return actor
