"""Zuweisungen: Fallmanager refer clients and follow their referrals; leads and companions take
incoming referrals on, assign a companion and plan the first interview."""


import pandas as pd
import streamlit as st

from db.accounts.users import staff_with_role
from db.casework.caseload import CaseFilter, caseload
from db.casework.cases import (
    CapacityWarning,
    DuplicateClient,
    NewClient,
    assign_companion,
    find_client,
    refer_client,
    schedule_first_interview,
)
from db.casework.team import CHOICE_CHARS, assignment_choices
from db.clock import today as local_today
from db.errors import DomainError
from db.vocabulary import Barrier, CaseStatus, Gender, ReferralSource, Role
from pages import narrow
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import feedback, on_submit, show_flash, shown_errors
from pages.ui.formatting import fmt_date
from pages.ui.forms import interview_choice, interview_inputs, interview_places
from pages.ui.navigation import case_card, more_button, open_case_button, shown_limit
from pages.ui.fields import date_field
from pages.ui.shown import plain

actor = current_actor()
db = get_db()

st.title("Zuweisungen")
show_flash()


# What the referral form is reset to once a referral was saved.
REFERRAL_RESET = {"ref_number": "", "ref_first": "", "ref_last": "", "ref_town": "",
                  "ref_born": None, "ref_gender": None, "ref_postcode": "", "ref_phone": "",
                  "ref_note": "", "ref_lookup": "", "ref_duplicate": None, "ref_duplicate_likely": False,
                  "ref_barriers": [],
                  "ref_address": ""}


def submit_referral(other_person: bool = False) -> None:
    """Called on the form's click: the referral of a new or of an already known person; with
    `other_person`, the Fallmanager said the likely match shown is somebody else."""
    state = st.session_state
    client, client_id = None, None
    state["ref_duplicate"] = None
    if state["ref_known"] != "Neue Person":
        match = find_client(db, actor, state["ref_lookup"])
        if match is None:
            raise DomainError("Zu dieser Kundennummer ist niemand erfasst.", "client_number")
        client_id = match.client_id
    else:
        born = state["ref_born"]
        client = NewClient(client_number=state["ref_number"], first_name=state["ref_first"],
                           last_name=state["ref_last"], town=state["ref_town"],
                           birth_year=born.year if born else None, birth_date=born,
                           gender=state["ref_gender"], postcode=state["ref_postcode"],
                           phone=state["ref_phone"], address=state["ref_address"],
                           consent_date=state["ref_consent"])
    try:
        refer_client(db, actor, client=client, client_id=client_id, source=state["ref_source"],
                     case_manager_id=state.get("ref_manager"), note=state["ref_note"],
                     barriers=state["ref_barriers"], other_person_confirmed=other_person)
    except DuplicateClient as known:
        state["ref_duplicate"] = known.match  # offered below the form instead of a second record
        state["ref_duplicate_likely"] = known.likely
        raise


def referral_saved() -> str:
    state = st.session_state
    if state["ref_known"] != "Neue Person":
        return f"Zuweisung für Kundennummer {state['ref_lookup'].strip()} gespeichert."
    return f"Zuweisung von {state['ref_first'].strip()} {state['ref_last'].strip()} gespeichert."


def refer_known(client_id: int) -> None:
    state = st.session_state
    refer_client(db, actor, client_id=client_id, source=state["ref_source"],
                 case_manager_id=state.get("ref_manager"), note=state["ref_note"],
                 barriers=state["ref_barriers"])


def referral_form() -> None:
    st.header("Neue Zuweisung")
    known = st.radio("Person", ["Neue Person", "Bereits bekannt (Kundennummer)"], horizontal=True,
                     key="ref_known") != "Neue Person"
    with st.form("referral"):
        if known:
            st.text_input("Kundennummer", key="ref_lookup")
        else:
            # A row of columns per line: Tab and a phone follow the reading order.
            cols = st.columns(3)
            cols[0].text_input("Kundennummer", key="ref_number")
            cols[1].text_input("Vorname", key="ref_first")
            cols[2].text_input("Nachname", key="ref_last")
            cols = st.columns(3)
            cols[0].selectbox("Geschlecht", list(Gender), format_func=lambda g: g.label, index=None,
                              placeholder="optional", key="ref_gender")
            date_field("Geburtsdatum", key="ref_born", where=cols[1])
            cols[2].text_input("Postleitzahl", max_chars=5, key="ref_postcode")
            cols = st.columns(3)
            cols[0].text_input("Wohnort", key="ref_town")
            cols[1].text_input("Straße und Hausnummer (optional)", key="ref_address")
            cols[2].text_input("Telefon (optional)", key="ref_phone")
            date_field("Einwilligung zur Teilnahme am", local_today(), key="ref_consent", field="consent_date")
        st.radio("Anlass", list(ReferralSource), format_func=lambda s: s.label, horizontal=True,
                 key="ref_source")
        if actor.role == Role.LEAD:
            managers = {m.id: m.display_name for m in staff_with_role(db, actor, Role.CASE_MANAGER)}
            st.selectbox("Fallmanager:in", list(managers), format_func=managers.get,
                         key="ref_manager")
        st.multiselect("Bekannte Vermittlungshemmnisse (optional)", list(Barrier),
                       format_func=lambda b: b.label, key="ref_barriers", placeholder="keine bekannt",
                       help="Erscheinen auf der Fallkarte der Integrationsbegleitung; sie muss sie "
                            "nicht erneut erfassen.")
        st.text_area("Hinweis für die Integrationsbegleitung (optional)", key="ref_note", height=80)
        st.form_submit_button("Zuweisen", type="primary", **on_submit(
            submit_referral, referral_saved, key="referral", reset=REFERRAL_RESET))
    feedback("referral")
    twin = st.session_state.get("ref_duplicate")
    if twin is not None:
        if twin.has_open_case:
            st.info(f"Für {plain(twin.name)} läuft bereits ein Fall – eine zweite Zuweisung ist "
                    "nicht nötig.", icon=":material/info:")
            if twin.open_case_id is not None:
                open_case_button(twin.open_case_id, key="ref_twin_open",
                                 label=f"Bestehenden Fall von {twin.name} öffnen")
        else:
            st.button(f"{plain(twin.name)} ({plain(twin.client_number)}) erneut zuweisen", type="primary",
                      key="ref_twin", **on_submit(lambda: refer_known(twin.client_id),
                                                  "Zuweisung gespeichert.", key="referral",
                                                  reset=REFERRAL_RESET))
        if st.session_state.get("ref_duplicate_likely"):
            # Only the sound of the name agrees: the Fallmanager knows whether it is the same person.
            st.button("Andere Person – neu anlegen", key="ref_other_person", **on_submit(
                lambda: submit_referral(other_person=True), referral_saved, key="referral",
                reset=REFERRAL_RESET))


if actor.role == Role.CASE_MANAGER:
    with st.container(border=True):
        referral_form()

if actor.role == Role.CASE_MANAGER:
    st.header("Meine Zuweisungen")
    with shown_errors():
        mine = caseload(db, actor, limit=200)
    if not mine.rows:
        st.info("Sie haben noch niemanden zugewiesen.")
    else:
        def cards() -> None:
            for r in mine.rows:
                lines = [plain(f"{r.status.label} · {r.client_number} · zugewiesen {fmt_date(r.referred_on)}"),
                         plain(f"Begleitung: {r.companion or 'noch offen'}")]
                if r.first_interview_at:
                    lines.append(plain(f"Erstgespräch: {fmt_date(r.first_interview_at)}"))
                case_card(r.case_id, r.client_name, lines)

        narrow.grid(pd.DataFrame({
            "Name": [r.client_name for r in mine.rows],
            "Kundennr.": [r.client_number for r in mine.rows],
            "Zugewiesen": [fmt_date(r.referred_on) for r in mine.rows],
            "Stand": [r.status.label for r in mine.rows],
            "Begleitung": [r.companion or "noch offen" for r in mine.rows],
            "Erstgespräch": [fmt_date(r.first_interview_at) for r in mine.rows],
        }), "mine", cards=cards)
        # The table is not reachable by keyboard: each referral opens from here as well.
        by_id = {r.case_id: r for r in mine.rows}
        cols = st.columns([3, 1], vertical_alignment="bottom")
        chosen = cols[0].selectbox("Zuweisung ansehen", list(by_id), index=None, key="mine_pick",
                                   format_func=lambda i: f"{by_id[i].client_name} · {by_id[i].status.label}",
                                   placeholder="Namen tippen oder wählen")
        if chosen is not None:
            with cols[1]:
                open_case_button(chosen, key="mine_open", label=f"Fall {by_id[chosen].client_name} öffnen")
    st.stop()

INCOMING_STEP = 20
RADIO_UP_TO = 8  # companions shown as one-tap choices; more get a select box
CHOICE_HELP = ("Teilnehmende / Kapazität (höchstens 20 je Vollzeitstelle), + Zulauf (vereinbarte "
               "Erstgespräche). „zu voll“: über der Kapazität; „bald zu voll“: mit dem Zulauf darüber.")
st.header("Eingang: offene Zuweisungen")
with shown_errors():
    incoming = caseload(db, actor, CaseFilter(statuses=(CaseStatus.REFERRED, CaseStatus.NO_SHOW)),
                        limit=shown_limit("incoming", INCOMING_STEP))
if not incoming.rows:
    st.info("Keine offenen Zuweisungen.")

with shown_errors():
    choices = {c.id: c for c in assignment_choices(db, actor)}
# One-tap options wrap their text: every figure stays; a select box shows one line of it.
labels = {cid: c.choice_label(local_today(), most=None if len(choices) <= RADIO_UP_TO else CHOICE_CHARS)
          for cid, c in choices.items()}
places = interview_places(db, actor)


def assign(case_id: int, version: int, companion_id: int | None, key: str) -> None:
    """Assign or take over; at or above capacity only with the confirmation box ticked."""
    if companion_id is None:
        raise DomainError("Bitte eine Begleitung wählen.", "companion")
    try:
        assign_companion(db, actor, case_id, version, companion_id,
                         over_capacity_confirmed=bool(st.session_state.get(f"{key}_confirm")))
    except CapacityWarning:
        st.session_state[f"{key}_needs_confirm"] = True
        raise

for row in incoming.rows:
    key = f"incoming_{row.case_id}"
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].markdown(
            f"**{plain(row.client_name)}** · {plain(row.client_number)} · {plain(row.town)} · "
            f"zugewiesen {fmt_date(row.referred_on)} · **{row.status.label}** · "
            f"Begleitung: {plain(row.companion) or 'noch offen'}"
        )
        with head[1]:
            open_case_button(row.case_id, key=f"{key}_open", label=f"Fall {row.client_name} öffnen")
        if row.companion is None:
            if st.session_state.get(f"{key}_needs_confirm"):
                st.checkbox("Ja, trotz voller Kapazität zuweisen (wird protokolliert)", key=f"{key}_confirm")
            if actor.role == Role.COMPANION:
                st.caption(f"Ihre Fallzahl: {plain(choices[actor.id].load_text)}")
                st.button(f"Übernehmen – {plain(row.client_name)}", key=f"{key}_take", type="primary", **on_submit(
                    lambda r=row, k=key: assign(r.case_id, r.version, actor.id, k),
                    f"Zuweisung von {row.client_name} übernommen.", key=key))
            else:
                # The team's companions side by side, one tap each and nobody preselected; the
                # whole label wraps (a select box cut it at 390 px). A large team gets the box.
                if len(labels) <= RADIO_UP_TO:
                    # Radio options are Markdown: the names from the database shown as text.
                    st.radio("Begleitung zuweisen", list(labels), format_func=lambda c: plain(labels[c]), index=None,
                             key=f"{key}_companion", help=CHOICE_HELP)
                else:
                    st.selectbox("Begleitung zuweisen", list(labels), format_func=labels.get, index=None,
                                 placeholder="Bitte wählen", key=f"{key}_companion", help=CHOICE_HELP)
                # Named for the person: a screen reader lists every "Zuweisen" of the queue.
                st.button(f"{plain(row.client_name)} zuweisen", key=f"{key}_assign", type="primary", **on_submit(
                    lambda r=row, k=key: assign(r.case_id, r.version, st.session_state[f"{k}_companion"], k),
                    lambda r=row, k=key: f"{r.client_name} an {choices[st.session_state[f'{k}_companion']].name} "
                                         "zugewiesen.", key=key))
        else:
            with st.form(f"{key}_schedule"):
                st.markdown("**Erstgespräch planen**")
                interview_inputs(places, key=key)
                st.form_submit_button("Termin speichern", type="primary", **on_submit(
                    lambda r=row, k=key: schedule_first_interview(db, actor, r.case_id, r.version,
                                                                  *interview_choice(k)),
                    "Erstgespräch geplant.", key=key))
        feedback(key)

more_button("incoming", INCOMING_STEP, len(incoming.rows), incoming.total)

# The lead's own referrals (e.g. a client who asked at the office) come after the queue.
if actor.role == Role.LEAD:
    with st.container(border=True):
        referral_form()
