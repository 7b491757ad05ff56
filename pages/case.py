"""Fall: one case – client data, status, next step, barriers, job, contacts and timeline."""

import re

import streamlit as st

from db.casework.activities import LOGGABLE_KINDS, record_activity
from db.casework.barriers import add_barrier, resolve_barrier
from db.casework.caseload import CaseDetail, TimelineEntry, case_detail
from db.casework.cases import NewClient, set_next_step, update_client
from db.casework.corrections import reopen_barrier, undo_status_change
from db.casework.workflow import OPEN_STATUSES
from db.clock import today as local_today
from db.errors import ValidationError
from db.programme.employers import employer_names
from db.vocabulary import ActivityKind, Barrier, Role
from db.validation import ascii_number, required_day
from pages.participant import entry_panel, outcome_panel, pause_note
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import feedback, on_submit, show_flash, shown_errors
from pages.ui.formatting import fmt_date, status_badge
from pages.ui.forms import folded, status_control
from pages.ui.fields import date_field, number_field
from pages.ui.fragments import in_page
from pages.ui.shown import Shown, md, md_join, plain

actor = current_actor()
db = get_db()


def way_back() -> None:
    """Where a person goes on from here without a case: their own list of cases."""
    if actor.role == Role.CASE_MANAGER:
        st.page_link("pages/referrals.py", label="Zu den Zuweisungen", icon=":material/move_to_inbox:")
    else:
        st.page_link("pages/cases.py", label="Zur Fallliste", icon=":material/list:")


parsed_id = ascii_number(st.query_params.get("id", ""))  # "²", "٣", "①" are no ids
if parsed_id is None:
    st.title("Fall")
    st.info("Bitte wählen Sie einen Fall in der Liste Ihrer Fälle oder im Terminkalender.")
    way_back()
    st.stop()
case_id: int = parsed_id

# Each opening of a case is one audited view; redraws after an action on it are not.
new_view = st.session_state.get("viewing_case") != case_id
with shown_errors(heading="Fall", way_back=way_back):
    case = case_detail(db, actor, case_id, new_view=new_view)
st.session_state["viewing_case"] = case_id
key = f"case_{case_id}"  # the feedback slot of this case's forms


def tel_target(phone: str) -> str:
    """The number as a tel: link dials it: digits and a leading plus only."""
    return re.sub(r"(?!^\+)[^0-9]", "", phone.strip())


state = st.session_state


def timeline_entry(entry: TimelineEntry) -> Shown:
    """One entry of the history: day, what, how long, by whom; the note beneath."""
    head = [md("**{on}** · {title}", on=fmt_date(entry.on), title=entry.title)]
    if entry.duration_minutes:
        head.append(md("{minutes} Min.", minutes=entry.duration_minutes))
    if entry.by:
        head.append(plain(entry.by))
    line = md_join(" · ", head)
    return md_join("\n\n", [line, plain(entry.note)]) if entry.note else line

name = f"{case.first_name} {case.last_name}"
st.title(plain(name))
status_badge(case.status)
# Every part a person or an import can set is shown as text (plain): a client number like
# "[Termin](https://…)" must not become a link, nor an image that calls a server.
st.caption(plain(
    f"Kundennr. {case.client_number} · zugewiesen am {fmt_date(case.referred_on)} "
    f"von {case.case_manager or '–'} ({case.referral_source}) · Begleitung: {case.companion or 'noch offen'}"
))
show_flash()

if not case.notes_visible:
    # Fallmanager see where their referral stands, not the companion's working notes.
    if case.referral_note:
        st.info(f"**Ihr Hinweis bei der Zuweisung:** {plain(case.referral_note)}", icon=":material/sticky_note_2:")
    st.header("Verlauf")
    if case.timeline:
        st.markdown(md_join("  \n", [md("**{on}** · {title}", on=fmt_date(entry.on), title=entry.title)
                                     for entry in case.timeline]))
    st.stop()

# --- on the road: how to reach the person, what stands in the way, what is next ---------------
with st.container(border=True):
    reach = [md("[{phone}](tel:{target})", phone=case.phone, target=tel_target(case.phone))
             if case.phone else "Telefon: –",
             md("{address}, {town}", address=case.address, town=case.town) if case.address
             else md("{town} (Adresse fehlt)", town=case.town)]
    st.markdown(md_join(" · ", reach))
    open_barriers = [b for b in case.barriers if b.resolved_on is None]
    if open_barriers:
        st.markdown(" ".join(f":orange-badge[{b.barrier.label}]" for b in open_barriers))
    if case.referral_note:
        st.markdown(f"**Hinweis der Fallmanagerin/des Fallmanagers:** {plain(case.referral_note)}")
    facts = [f"**Erstgespräch:** {fmt_date(case.first_interview_at)}"
             + (f" ({plain(case.first_interview_place)})" if case.first_interview_place else "")]
    if case.start_date:
        facts.append(f"**Begleitung seit:** {fmt_date(case.start_date)}")
    if case.end_date:
        facts.append(f"**Beendet:** {fmt_date(case.end_date)}" + (f" – {plain(case.end_reason)}" if case.end_reason else ""))
    st.markdown(" · ".join(facts))
    if case.next_step:
        late = case.next_step_due is not None and case.next_step_due < local_today()
        st.markdown(f"**Nächster Schritt:** {plain(case.next_step)}"
                    + (f" · fällig {fmt_date(case.next_step_due)}" if case.next_step_due else "")
                    + (" · :red[**⚠ überfällig**]" if late else ""))

# --- the contact just made, and what comes next, in one save ----------------------------------

@in_page  # a refused save reruns the form alone; a saved one the page (pages/ui/fragments.py)
def contact_form(case: CaseDetail) -> None:
    with st.form(f"contact_{case_id}", clear_on_submit=False):
        st.markdown("**Kontakt erfassen**")
        st.segmented_control("Art", LOGGABLE_KINDS, format_func=lambda k: k.label, default=ActivityKind.HOME_VISIT,
                             key=f"contact_kind_{case_id}")
        cols = st.columns(2)
        date_field("Datum", local_today(), key=f"contact_on_{case_id}", where=cols[0], field="occurred_on")
        number_field("Dauer in Minuten (optional)", step=15, placeholder="–",
                     key=f"contact_minutes_{case_id}", where=cols[1], field="duration")
        employers = employer_names(db, actor)
        st.selectbox("Arbeitgeber (bei Arbeitgeberkontakt, Arbeitsplatzbesuch)", list(employers),
                     format_func=employers.get, index=None, placeholder="–", key=f"contact_employer_{case_id}")
        st.text_area("Notiz", key=f"contact_note_{case_id}", height=80)
        if case.next_step:
            st.checkbox(f"Nächster Schritt erledigt: {plain(case.next_step)}", key=f"contact_done_{case_id}")
        cols = st.columns([2, 1])
        cols[0].text_input("Neuer nächster Schritt (optional)", key=f"contact_step_{case_id}")
        date_field("fällig am", key=f"contact_due_{case_id}", where=cols[1], field="next_step_due")

        def save_contact() -> None:
            kind = state[f"contact_kind_{case_id}"]
            if kind is None:
                raise ValidationError("Bitte die Art des Kontakts wählen.", "kind")
            minutes = state[f"contact_minutes_{case_id}"]
            record_activity(db, actor, case.case_id, kind, occurred_on=required_day(state[f"contact_on_{case_id}"], "occurred_on", "Datum"),
                            duration_minutes=int(minutes) if minutes else None,
                            note=state[f"contact_note_{case_id}"], employer_id=state[f"contact_employer_{case_id}"],
                            step_done=bool(state.get(f"contact_done_{case_id}")),
                            next_step=state[f"contact_step_{case_id}"],
                            next_step_due=state[f"contact_due_{case_id}"], version=case.version)

        st.form_submit_button("Kontakt speichern", type="primary", **on_submit(
            save_contact, lambda: f"{state[f'contact_kind_{case_id}'].label} bei {name} gespeichert.", key=key,
            reset={f"contact_note_{case_id}": "", f"contact_employer_{case_id}": None,
                   f"contact_minutes_{case_id}": None, f"contact_done_{case_id}": False,
                   f"contact_step_{case_id}": "", f"contact_due_{case_id}": None}))
    feedback(key)


if case.status in OPEN_STATUSES:
    contact_form(case)

st.header("Status")
results = case.results
if results is not None:
    pause_note(results)
status_control(db, actor, case.case_id, case.version, case.status, key=f"status_{case_id}", name=name,
               planned=case.first_interview_at,
               suggested=results.suggested if results else None, employer=case.last_employer_id)
if case.undo_label:
    st.button(f"„{plain(case.undo_label)}“ rückgängig machen", key=f"undo_{case_id}", icon=":material/undo:",
              help="Nur heute und nur durch Sie: der Statuswechsel bleibt im Verlauf sichtbar.",
              **on_submit(lambda: undo_status_change(db, actor, case.case_id, case.version),
                          f"Statuswechsel von {name} rückgängig gemacht.", key=f"status_{case_id}"))
if results is not None:
    entry_panel(db, actor, case, results, key=key)
    outcome_panel(db, actor, case, results, key=key)

if panel := folded("Nächsten Schritt ändern", key=f"next-step-{case_id}", icon=":material/edit_calendar:"):
    with panel, st.form("next_step"):
        st.text_input("Was ist zu tun?", value=case.next_step or "", key=f"step_text_{case_id}")
        date_field("Fällig am", case.next_step_due, key=f"step_due_{case_id}", field="next_step_due")
        st.form_submit_button("Speichern", **on_submit(
            lambda: set_next_step(db, actor, case.case_id, case.version, state[f"step_text_{case_id}"],
                                  state[f"step_due_{case_id}"]),
            f"Nächster Schritt für {name} gespeichert.", key=key))

st.header("Vermittlungshemmnisse")
open_barriers = [b for b in case.barriers if b.resolved_on is None]
for b in case.barriers:
    line = st.columns([3, 2, 2])
    line[0].markdown(f"{'✅ ' if b.resolved_on else ''}{b.barrier.label}")
    line[1].caption(f"seit {fmt_date(b.noted_on)}" + (f", erledigt {fmt_date(b.resolved_on)}" if b.resolved_on else ""))
    if b.resolved_on is None:
        # Each button names its barrier: two open barriers are two different buttons to a screen reader.
        line[2].button(f"Erledigt: {b.barrier.label}", key=f"resolve_{b.id}", **on_submit(
            lambda b=b: resolve_barrier(db, actor, b.id), f"„{b.barrier.label}“ bei {name} erledigt.", key=key))
    elif b.undoable:
        line[2].button(f"Zurücknehmen: {b.barrier.label}", key=f"reopen_{b.id}",
                       **on_submit(lambda b=b: reopen_barrier(db, actor, b.id),
                                   f"„{b.barrier.label}“ bei {name} wieder offen.", key=key))
with st.form("barrier"):
    cols = st.columns([3, 1])
    cols[0].selectbox(
        "Hemmnis hinzufügen", [b for b in Barrier if b not in {o.barrier for o in open_barriers}],
        format_func=lambda b: b.label, index=None, placeholder="Bitte wählen", key=f"new_barrier_{case_id}")
    cols[1].form_submit_button("Hinzufügen", **on_submit(
        lambda: add_barrier(db, actor, case.case_id, state[f"new_barrier_{case_id}"]), "Hemmnis erfasst.",
        key=key, reset={f"new_barrier_{case_id}": None}))

if case.placements:
    st.header("Arbeitsaufnahme")
    for p in case.placements:
        st.markdown(
            f"**{plain(p.employer)}** · {plain(p.job_kind)}" + (f" · {plain(p.job_title)}" if p.job_title else "")
            + f" · ab {fmt_date(p.start_date)}" + (f" bis {fmt_date(p.end_date)}" if p.end_date else "")
        )

if panel := folded("Stammdaten bearbeiten", key=f"client-{case_id}", icon=":material/badge:"):
    with panel, st.form("client"):
        cols = st.columns(2)
        cols[0].text_input("Kundennummer", value=case.client_number, key=f"client_number_{case_id}")
        cols[1].text_input("Wohnort", value=case.town, key=f"client_town_{case_id}")
        cols[0].text_input("Vorname", value=case.first_name, key=f"client_first_{case_id}")
        cols[1].text_input("Nachname", value=case.last_name, key=f"client_last_{case_id}")
        number_field("Geburtsjahr", case.birth_year, placeholder="–", key=f"client_born_{case_id}",
                     where=cols[0], field="birth_year")
        cols[1].text_input("Telefon", value=case.phone or "", key=f"client_phone_{case_id}")
        cols = st.columns(2)
        cols[0].text_input("Straße und Hausnummer", value=case.address or "", key=f"client_address_{case_id}")
        date_field("Einwilligung am", case.consent_date, key=f"client_consent_{case_id}", where=cols[0],
                   field="consent_date")

        def entered_client() -> NewClient:
            born = state[f"client_born_{case_id}"]
            return NewClient(client_number=state[f"client_number_{case_id}"], first_name=state[f"client_first_{case_id}"],
                             last_name=state[f"client_last_{case_id}"], town=state[f"client_town_{case_id}"],
                             birth_year=int(born) if born else None, phone=state[f"client_phone_{case_id}"],
                             address=state[f"client_address_{case_id}"],
                             consent_date=state[f"client_consent_{case_id}"])

        # Its own slot, under this form: in the case's slot the refusal stood under the contact
        # form, a screen away – and on a closed case, which has none, nowhere.
        st.form_submit_button("Stammdaten speichern", **on_submit(
            lambda: update_client(db, actor, case.client_id, case.client_version, entered_client()),
            "Stammdaten gespeichert.", key=f"client_{case_id}"))
    with panel:
        feedback(f"client_{case_id}")

st.header("Verlauf")
if case.timeline:
    # One framed block, the entries parted by a rule: a frame and two texts per entry were two
    # thirds of the page's elements (a case in Begleitung has a dozen entries and more), and
    # Streamlit's cost goes by the element (issue 42).
    with st.container(border=True):
        st.markdown(md_join("\n\n---\n\n", [timeline_entry(entry) for entry in case.timeline]))
