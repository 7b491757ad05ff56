"""Arbeitgeber: employers with their contacts and placements; who is in follow-up support where."""

import pandas as pd
import streamlit as st

from db.casework.activities import record_activity
from db.clock import today
from db.programme.employers import EmployerInput, employer_detail, employer_overview, save_employer
from db.vocabulary import ActivityKind, CaseStatus
from db.validation import required_day
from pages import narrow
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import feedback, on_submit, show_flash, shown_errors
from pages.ui.formatting import fmt_date
from pages.ui.forms import grid_or_box_choice
from pages.ui.navigation import open_case_button
from pages.ui.fields import date_field
from pages.ui.shown import plain

actor = current_actor()
db = get_db()
state = st.session_state
EMPLOYER_FIELDS = {"name": "Name", "sector": "Branche", "town": "Ort",
                   "contact_person": "Ansprechperson", "phone": "Telefon"}
EMPLOYER_CONTACTS = (ActivityKind.WORKPLACE_VISIT, ActivityKind.EMPLOYER_CONTACT, ActivityKind.PHONE)

st.title("Arbeitgeber")
show_flash()
with shown_errors():
    employers = employer_overview(db, actor)

overview = pd.DataFrame([{
    "Name": e.name, "Branche": e.sector or "–", "Ort": e.town or "–",
    "Ansprechperson": e.contact_person or "–", "Vermittlungen": e.placements,
    "In Nachbetreuung": e.in_follow_up, "Kontakte": e.contacts,
    "Letzter Kontakt": fmt_date(e.last_contact),
} for e in employers])
picked = narrow.grid(overview, "employers", on_select="rerun", selection_mode="single-row",
                     key="employers_table")
by_id = {e.id: e for e in employers}
chosen = grid_or_box_choice(picked, list(by_id), "employers", "Arbeitgeber auswählen", lambda i: by_id[i].name)


def employer_form(form_key: str, employer_id: int | None, current: EmployerInput | None) -> None:
    feedback(form_key)
    with st.form(form_key, border=True):
        fields = list(EMPLOYER_FIELDS.items())
        # Two fields a row, each row its own columns: the Tab key then follows the reading order
        # (left, right, next row) instead of running down one column first.
        for row in range(0, len(fields), 2):
            for column, (name, _) in zip(st.columns(2), fields[row:row + 2], strict=False):
                column.text_input(EMPLOYER_FIELDS[name], value=(getattr(current, name) or "") if current else "",
                                  key=f"{form_key}_{name}")

        def save() -> None:
            save_employer(db, actor, EmployerInput(**{
                name: state[f"{form_key}_{name}"] for name in EMPLOYER_FIELDS}), employer_id)

        st.form_submit_button("Arbeitgeber speichern", type="primary",
                              **on_submit(save, "Arbeitgeber gespeichert.", key=form_key))


if chosen is None:
    st.caption("Einen Arbeitgeber wählen, um Vermittlungen und Kontakte zu sehen.")
    with st.expander("Neuen Arbeitgeber anlegen", expanded=bool(state.get("conflict_employer_new")
                                                                   or state.get("error_employer_new"))):
        employer_form("employer_new", None, None)
    st.stop()

with shown_errors():
    detail = employer_detail(db, actor, chosen)
e = detail.employer
st.header(plain(e.name))
st.caption(" · ".join(plain(x) for x in (e.sector, e.town, e.contact_person, e.phone) if x))

st.markdown("**In Nachbetreuung und vermittelt**")
if detail.placements:
    for p in detail.placements:
        cols = st.columns([3, 2, 2, 1])
        cols[0].markdown(f"{plain(p.client)}  \n{plain(p.job_title) or p.job_kind.label}")
        cols[1].write(f"seit {fmt_date(p.start_date)}" + (f" bis {fmt_date(p.end_date)}" if p.end_date else ""))
        cols[2].write(p.status.label)
        with cols[3]:
            open_case_button(p.case_id, key=f"employer_case_{p.case_id}", label=f"Fall {p.client} öffnen")
else:
    st.caption("Keine Vermittlungen in Ihren Fällen.")
if detail.hidden_placements:
    st.caption(f"Dazu {detail.hidden_placements:d} Vermittlung(en) in Fällen anderer Begleiter:innen.")

follow_up = {p.case_id: p.client for p in detail.placements
             if p.status == CaseStatus.EMPLOYED and p.end_date is None}
if follow_up:
    st.markdown("**Kontakt erfassen**")
    key = f"employer_contact_{e.id}"
    feedback(key)
    with st.form(key, border=True):
        cols = st.columns(3)
        cols[0].selectbox("Fall", list(follow_up), format_func=follow_up.get, key=f"{key}_case")
        cols[1].selectbox("Art", EMPLOYER_CONTACTS, format_func=lambda k: k.label, key=f"{key}_kind")
        date_field("Datum", today(), key=f"{key}_on", where=cols[2], field="occurred_on")
        st.text_area("Notiz", key=f"{key}_note", height=80)
        st.form_submit_button("Kontakt speichern", type="primary", **on_submit(
            lambda: record_activity(db, actor, state[f"{key}_case"], state[f"{key}_kind"],
                                    occurred_on=required_day(state[f"{key}_on"], "occurred_on", "Datum"), note=state[f"{key}_note"],
                                    employer_id=e.id),
            "Kontakt gespeichert.", key=key, reset={f"{key}_note": ""}))

st.markdown("**Letzte Kontakte**")
if detail.contacts:
    narrow.table(pd.DataFrame([{
        "Datum": fmt_date(c.occurred_on), "Art": c.kind.label, "Fall": c.client, "Notiz": c.note or ""}
        for c in detail.contacts]), "contacts")
else:
    st.caption("Noch keine Kontakte in Ihren Fällen.")

with st.expander("Stammdaten bearbeiten"):
    employer_form(f"employer_{e.id}", e.id, EmployerInput(e.name, e.sector, e.town, e.contact_person, e.phone))
