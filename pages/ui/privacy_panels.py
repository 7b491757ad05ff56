"""The two data-protection panels of the administration pages (Benutzer, Import & Export):
retention (anonymise what is due) and a person's rights (subject access, erasure)."""

from __future__ import annotations

import secrets

import streamlit as st

from db.actors import Actor
from db.errors import ValidationError
from db.privacy.erasure import erase_person
from db.privacy.retention import anonymise_closed_cases, count_due, retention_years
from db.privacy.subject_access import export_person
from db.store.database import Database
from db.validation import clean_text
from pages.downloads import at_click
from pages.ui.feedback import feedback, on_submit, shown_errors


def retention_panel(db: Database, actor: Actor) -> None:
    """Aufbewahrung: how many finished cases are past the retention period, and the button that
    removes their personal data (counts stay). For the lead (Import & Export) and the admin."""
    st.header("Aufbewahrung")
    with shown_errors():
        years = retention_years()
        due = count_due(db, actor, years)
    st.caption(f"Personendaten werden {years:d} Jahre nach dem Ende des letzten Falls einer Person "
               "entfernt. Zahlen und Auswertungen bleiben unverändert.")
    if not due:
        st.info("Derzeit sind keine Personendaten zu entfernen.")
        return
    st.warning(f"{due:d} Person(en) mit Fällen, die vor mehr als {years:d} Jahren endeten.")
    sure = st.checkbox("Ich habe geprüft, dass diese Daten nicht mehr gebraucht werden.", key="retention_sure")
    st.button("Personendaten jetzt entfernen", type="primary", disabled=not sure, key="retention_go",
              **on_submit(lambda: anonymise_closed_cases(db, actor, years),
                          "Personendaten entfernt.", key="retention", reset={"retention_sure": False}))
    feedback("retention")


def person_rights_panel(db: Database, actor: Actor) -> None:
    """Auskunft und Löschung auf Antrag (Art. 15 and 17 DSGVO), by client number."""
    st.header("Auskunft und Löschung auf Antrag")
    st.caption("Auskunft: alles, was über eine Person gespeichert ist, mit allen Zugriffen, als "
               "Excel-Datei. Löschung: Namen, Kontaktdaten und alle Freitexte werden entfernt; "
               "die Fälle bleiben als anonyme Zahlen. Beides wird protokolliert.")
    number = st.text_input("Kundennummer", key="rights_number", max_chars=32)
    if not clean_text(number):
        return
    cols = st.columns(2)
    cols[0].download_button("Auskunft als Excel", key="rights_export", icon=":material/download:",
                            data=at_click(db, lambda now: export_person(db, now, number)), on_click="ignore",
                            # random: the download's address is a hash of content and name
                            file_name=f"auskunft-{st.session_state.setdefault('export_name_secret', secrets.token_hex(6))}.xlsx",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with cols[1].form("rights_erase", clear_on_submit=True):
        st.text_input("Grund der Löschung", value="Antrag nach Art. 17 DSGVO", key="rights_reason")
        st.checkbox("Unwiderruflich löschen – die Auskunft ist vorher zu erteilen.", key="rights_sure")
        state = st.session_state  # read when the button is pressed, not when it was drawn
        st.form_submit_button("Personendaten löschen", type="primary", **on_submit(
            lambda: _erase_if_sure(db, actor, number, state["rights_reason"], state["rights_sure"]),
            "Personendaten gelöscht.", key="rights"))
    feedback("rights")


def _erase_if_sure(db: Database, actor: Actor, number: str, reason: str, sure: bool) -> None:
    if not sure:
        raise ValidationError("Bitte bestätigen Sie die Löschung mit dem Häkchen.", "sure")
    erase_person(db, actor, number, reason)
