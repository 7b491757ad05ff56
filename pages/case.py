"""Fall: one case – client data, status, next step, barriers, job, contacts and timeline."""

from datetime import date

import streamlit as st

from db.activities import record_activity
from db.barriers import add_barrier, resolve_barrier
from db.caseload import case_detail
from db.cases import NewClient, set_next_step, update_client
from db.employers import list_employers
from db.vocabulary import ActivityKind, Barrier
from pages.participant import entry_panel, outcome_panel, pause_note
from pages.common import (
    current_actor,
    feedback,
    fmt_date,
    get_db,
    on_submit,
    plain,
    show_flash,
    shown_errors,
    status_badge,
    status_control,
)

actor = current_actor()
db = get_db()

raw_id = st.query_params.get("id", "")
if not raw_id.isdigit():
    st.title("Fall")
    st.info("Bitte wählen Sie einen Fall in der Fallliste oder im Terminkalender.")
    st.page_link("pages/cases.py", label="Zur Fallliste", icon=":material/list:")
    st.stop()
case_id = int(raw_id)

# Each opening of a case is one audited view; redraws after an action on it are not.
new_view = st.session_state.get("viewing_case") != case_id
with shown_errors():
    case = case_detail(db, actor, case_id, new_view=new_view)
st.session_state["viewing_case"] = case_id
key = f"case_{case_id}"  # the feedback slot of this case's forms
state = st.session_state

st.title(plain(f"{case.first_name} {case.last_name}"))
status_badge(case.status)
st.caption(
    f"Kundennr. {case.client_number} · {case.town} · zugewiesen am {fmt_date(case.referred_on)} "
    f"von {case.case_manager or '–'} ({case.referral_source}) · Begleitung: {case.companion or 'noch offen'}"
)
show_flash()

facts = [
    f"**Erstgespräch:** {fmt_date(case.first_interview_at)}"
    + (f" ({case.first_interview_place})" if case.first_interview_place else ""),
    f"**Begleitung seit:** {fmt_date(case.start_date)}",
]
if case.end_date:
    facts.append(f"**Beendet:** {fmt_date(case.end_date)}" + (f" – {case.end_reason}" if case.end_reason else ""))
st.markdown(" · ".join(facts))

if not case.notes_visible:
    # Fallmanager see where their referral stands, not the companion's working notes.
    st.subheader("Verlauf")
    for entry in case.timeline:
        st.markdown(f"**{fmt_date(entry.on)}** · {plain(entry.title)}")
    st.stop()

st.subheader("Status")
results = case.results
if results is not None:
    pause_note(results)
status_control(db, actor, case.case_id, case.version, case.status, key=f"status_{case_id}",
               suggested=results.suggested if results else None)
feedback(key)
if results is not None:
    entry_panel(db, actor, case, results, key=key)
    outcome_panel(db, actor, case, results, key=key)

left, right = st.columns(2)
with left.form("next_step"):
    st.markdown("**Nächster Schritt**")
    st.text_input("Was ist zu tun?", value=case.next_step or "", key=f"step_text_{case_id}")
    st.date_input("Fällig am", value=case.next_step_due, format="DD.MM.YYYY", key=f"step_due_{case_id}")
    st.form_submit_button("Speichern", **on_submit(
        lambda: set_next_step(db, actor, case.case_id, case.version, state[f"step_text_{case_id}"],
                              state[f"step_due_{case_id}"]),
        "Nächster Schritt gespeichert.", key=key))

with right.form("contact", clear_on_submit=False):
    st.markdown("**Kontakt erfassen**")
    kinds = [k for k in ActivityKind if k != ActivityKind.FIRST_INTERVIEW]
    st.selectbox("Art", kinds, format_func=lambda k: k.label, key=f"contact_kind_{case_id}")
    cols = st.columns(2)
    cols[0].date_input("Datum", value=date.today(), format="DD.MM.YYYY", key=f"contact_on_{case_id}")
    cols[1].number_input("Dauer (Minuten)", min_value=0, max_value=1440, value=60, step=15,
                         key=f"contact_minutes_{case_id}")
    employers = {e.id: e.name for e in list_employers(db, actor)}
    st.selectbox("Arbeitgeber (bei Arbeitgeberkontakt, Arbeitsplatzbesuch)", list(employers),
                 format_func=employers.get, index=None, placeholder="–", key=f"contact_employer_{case_id}")
    st.text_area("Notiz", key=f"contact_note_{case_id}", height=80)
    st.form_submit_button("Kontakt speichern", type="primary", **on_submit(
        lambda: record_activity(db, actor, case.case_id, state[f"contact_kind_{case_id}"],
                                occurred_on=state[f"contact_on_{case_id}"],
                                duration_minutes=int(state[f"contact_minutes_{case_id}"]) or None,
                                note=state[f"contact_note_{case_id}"], employer_id=state[f"contact_employer_{case_id}"]),
        "Kontakt gespeichert.", key=key, reset={f"contact_note_{case_id}": "", f"contact_employer_{case_id}": None}))

st.subheader("Vermittlungshemmnisse")
open_barriers = [b for b in case.barriers if b.resolved_on is None]
for b in case.barriers:
    line = st.columns([3, 2, 1])
    line[0].markdown(f"{'✅ ' if b.resolved_on else ''}{b.barrier.label}")
    line[1].caption(f"seit {fmt_date(b.noted_on)}" + (f", erledigt {fmt_date(b.resolved_on)}" if b.resolved_on else ""))
    if b.resolved_on is None:
        line[2].button("Erledigt", key=f"resolve_{b.id}", **on_submit(
            lambda b=b: resolve_barrier(db, actor, b.id), f"„{b.barrier.label}“ erledigt.", key=key))
with st.form("barrier"):
    cols = st.columns([3, 1])
    cols[0].selectbox(
        "Hemmnis hinzufügen", [b for b in Barrier if b not in {o.barrier for o in open_barriers}],
        format_func=lambda b: b.label, index=None, placeholder="Bitte wählen", key=f"new_barrier_{case_id}")
    cols[1].form_submit_button("Hinzufügen", **on_submit(
        lambda: add_barrier(db, actor, case.case_id, state[f"new_barrier_{case_id}"]), "Hemmnis erfasst.",
        key=key, reset={f"new_barrier_{case_id}": None}))

if case.placements:
    st.subheader("Arbeitsaufnahme")
    for p in case.placements:
        st.markdown(
            f"**{plain(p.employer)}** · {p.job_kind}" + (f" · {plain(p.job_title)}" if p.job_title else "")
            + f" · ab {fmt_date(p.start_date)}" + (f" bis {fmt_date(p.end_date)}" if p.end_date else "")
        )

with st.expander("Stammdaten bearbeiten", icon=":material/badge:"):
    with st.form("client"):
        cols = st.columns(2)
        cols[0].text_input("Kundennummer", value=case.client_number, key=f"client_number_{case_id}")
        cols[1].text_input("Wohnort", value=case.town, key=f"client_town_{case_id}")
        cols[0].text_input("Vorname", value=case.first_name, key=f"client_first_{case_id}")
        cols[1].text_input("Nachname", value=case.last_name, key=f"client_last_{case_id}")
        cols[0].number_input("Geburtsjahr", min_value=1900, max_value=2100, value=case.birth_year,
                             placeholder="–", key=f"client_born_{case_id}")
        cols[1].text_input("Telefon", value=case.phone or "", key=f"client_phone_{case_id}")
        cols[0].date_input("Einwilligung am", value=case.consent_date, format="DD.MM.YYYY",
                           key=f"client_consent_{case_id}")

        def entered_client() -> NewClient:
            born = state[f"client_born_{case_id}"]
            return NewClient(client_number=state[f"client_number_{case_id}"], first_name=state[f"client_first_{case_id}"],
                             last_name=state[f"client_last_{case_id}"], town=state[f"client_town_{case_id}"],
                             birth_year=int(born) if born else None, phone=state[f"client_phone_{case_id}"],
                             consent_date=state[f"client_consent_{case_id}"])

        st.form_submit_button("Stammdaten speichern", **on_submit(
            lambda: update_client(db, actor, case.client_id, case.client_version, entered_client()),
            "Stammdaten gespeichert.", key=key))

st.subheader("Verlauf")
for entry in case.timeline:
    with st.container(border=True):
        head = f"**{fmt_date(entry.on)}** · {plain(entry.title)}"
        if entry.duration_minutes:
            head += f" · {entry.duration_minutes} Min."
        if entry.by:
            head += f" · {plain(entry.by)}"
        st.markdown(head)
        if entry.note:
            st.markdown(plain(entry.note))
