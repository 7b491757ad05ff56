"""When the lead's figures on a page were counted, and a way to look again (db.store.recount)."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from db.clock import as_local
from db.store.recount import read_ahead, shown_as_of
from pages.ui.context import get_db
from pages.ui.formatting import LOCAL_TIME


def as_of_slot() -> DeltaGenerator:
    """The place under the title where `show_as_of` says, once the figures are read, how old
    they are. Before the first figure: the run's data stamp and the figures' ages are read
    together (db.store.recount.read_ahead; a page whose first figure comes before the slot calls
    read_ahead itself)."""
    read_ahead(get_db())
    return st.container()


def show_as_of(slot: DeltaGenerator) -> None:
    """"Stand hh:mm:ss" of the oldest lead figure shown in this run, and "Aktualisieren" (a
    rerun: it shows a recount finished meanwhile). Nothing when every figure was exact."""
    moment = shown_as_of()
    if moment is None:
        return
    with slot:
        cols = st.columns([5, 1], vertical_alignment="center")
        cols[0].caption(f"Stand {as_local(moment):%H:%M:%S} ({LOCAL_TIME}). Die Zahlen werden nach "
                        "einer Änderung höchstens einmal in der Minute neu gezählt; die Fallliste und "
                        "die Fallseite zeigen jede Änderung sofort.")
        cols[1].button("Aktualisieren", icon=":material/refresh:", key="figures_as_of_refresh")
