"""Parts of the case card about the Land's results: entry data, pause, where a leaver went and
the six-month follow-up. Drawn by pages/case.py; every rule lives in db/results."""

from __future__ import annotations

import streamlit as st

from db.actors import Actor
from db.casework.caseload import CaseDetail
from db.clock import today as local_today
from db.casework.entry import CORE_LABELS, FURTHER_LABELS, EntryData, save_entry_data
from db.casework.outcomes import record_exit_result, record_follow_up
from db.casework.results_card import ResultsView
from db.store.database import Database
from db.vocabulary import (
    Answer,
    Education,
    EntryEmployment,
    ExitResult,
    FollowUpResult,
    Gender,
    Household,
)
from pages.ui.feedback import on_submit
from pages.ui.fields import date_field, number_field
from pages.ui.formatting import fmt_date
from pages.ui.forms import folded
from pages.ui.shown import Shown, plain

EDUCATION_HELP = ("ISCED 0–2: kein Abschluss, Hauptschul- oder Realschulabschluss (auch mit "
                  "abgebrochener Ausbildung). ISCED 3–4: Abitur, Fachabitur oder abgeschlossene "
                  "Berufsausbildung. ISCED 5–8: Meister, Techniker, Fachschule, Bachelor, Master, "
                  "Promotion.")


def pause_note(results: ResultsView) -> None:
    if results.pause_reason is not None:
        st.info(f"Ruht: {results.pause_reason.label} · Wiederaufnahme geplant am "
                f"{fmt_date(results.resume_on)}", icon=":material/pause_circle:")


def entry_panel(db: Database, actor: Actor, case: CaseDetail, results: ResultsView, *, key: str) -> None:
    """"Eintrittsdaten vollständig / fehlen: …" and the form to record them."""
    if case.start_date is None and not any(vars(results.entry).values()):
        return  # before the first interview there is nothing to record yet
    if results.missing:
        st.warning("Eintrittsdaten fehlen: " + ", ".join(plain(m) for m in results.missing)
                   + " – ohne sie zählt die Teilnahme für das Land nicht.", icon=":material/assignment_late:")
    else:
        st.success("Eintrittsdaten vollständig" + (f" · Altersgruppe {plain(results.age_band)}" if results.age_band else ""),
                   icon=":material/assignment_turned_in:")
    # Folded: on the road the contact form comes first; the warning above says what is missing.
    if panel := folded("Eintrittsdaten (für das Land)", key=f"entry-{case.case_id}",
                       icon=":material/assignment_ind:"):
        with panel:
            _entry_form(db, actor, case, results.entry, key=key)


def _pick(label: Shown, options: list, current: object, key: str, **kwargs) -> None:  # type: ignore[type-arg]
    # The label as written: a select box's accessible name is its raw label (escapes read aloud).
    st.selectbox(label, options, index=options.index(current) if current in options else None,
                 format_func=lambda o: o.label, placeholder="nicht erfasst", key=key, **kwargs)


def _entry_form(db: Database, actor: Actor, case: CaseDetail, entry: EntryData, *, key: str) -> None:
    state = st.session_state
    k = f"entry_{case.case_id}"
    with st.form(k):
        # One row of columns per line: Tab and a phone go through the fields in reading order.
        row = st.columns(2)
        with row[0]:
            _pick(CORE_LABELS["gender"], list(Gender), entry.gender, f"{k}_gender")
        date_field(CORE_LABELS["birth_date"], entry.birth_date, key=f"{k}_birth_date", where=row[1])
        row = st.columns(2)
        row[0].text_input(CORE_LABELS["postcode"], value=entry.postcode or "", max_chars=5,
                          key=f"{k}_postcode")
        with row[1]:
            _pick(CORE_LABELS["employment"], list(EntryEmployment), entry.employment, f"{k}_employment")
        _pick(CORE_LABELS["education"], list(Education), entry.education, f"{k}_education",
              help=EDUCATION_HELP)
        row = st.columns(2)
        with row[0]:
            _pick(CORE_LABELS["household"], list(Household), entry.household, f"{k}_household")
        number_field(f"{CORE_LABELS['children']} (nur Familienbedarfsgemeinschaft)",
                     entry.children, placeholder="–", key=f"{k}_children", where=row[1])
        st.markdown("**Weitere Angaben** (jeweils auch „keine Angabe“ möglich)")
        names = list(FURTHER_LABELS)
        for first in range(0, len(names), 2):
            row = st.columns(2)
            for column, name in zip(row, names[first:first + 2], strict=False):
                with column:
                    _pick(FURTHER_LABELS[name], list(Answer), getattr(entry, name), f"{k}_{name}")

        def entered() -> EntryData:
            children = state[f"{k}_children"]
            return EntryData(
                gender=state[f"{k}_gender"], birth_date=state[f"{k}_birth_date"],
                postcode=state[f"{k}_postcode"], employment=state[f"{k}_employment"],
                education=state[f"{k}_education"], household=state[f"{k}_household"],
                children=int(children) if children else None,
                **{name: state[f"{k}_{name}"] for name in FURTHER_LABELS})

        st.form_submit_button("Eintrittsdaten speichern", type="primary", **on_submit(
            lambda: save_entry_data(db, actor, case.case_id, case.version, entered()),
            f"Eintrittsdaten von {case.first_name} {case.last_name} gespeichert.", key=key))


def outcome_panel(db: Database, actor: Actor, case: CaseDetail, results: ResultsView, *, key: str) -> None:
    """For a participant who left: the result at 28 days and the six-month follow-up."""
    if not results.participant_left:
        return
    st.header("Verbleib")
    today = local_today()
    if results.exit_result is not None:
        st.markdown(f"**Nach 28 Tagen:** {results.exit_result.label} (am {fmt_date(results.exit_result_on)})")
    else:
        st.markdown(f"**Nach 28 Tagen:** noch offen – nachtragen bis {fmt_date(results.result_deadline)}")
    if results.result_deadline is None or results.follow_up_due is None:
        return
    if today <= results.result_deadline:
        with st.form(f"result_{case.case_id}"):
            row = st.columns(2)
            with row[0]:
                _pick("Ereignis", list(ExitResult), None, f"result_{case.case_id}_value")
            date_field("am", min(today, results.result_deadline), key=f"result_{case.case_id}_on",
                       where=row[1], field="result_on")
            st.caption("Es zählt das letzte Ereignis innerhalb von 28 Tagen nach dem Ende "
                       "(z. B. erst arbeitsuchend, dann Arbeit gefunden).")
            st.form_submit_button("Verbleib speichern", **on_submit(
                lambda: record_exit_result(db, actor, case.case_id, case.version,
                                           st.session_state[f"result_{case.case_id}_value"],
                                           st.session_state[f"result_{case.case_id}_on"]),
                f"Verbleib von {case.first_name} {case.last_name} gespeichert.", key=key))
    if results.follow_up_result is not None:
        st.markdown(f"**Nach sechs Monaten:** {results.follow_up_result.label} "
                    f"(nachgefragt am {fmt_date(results.follow_up_on)})")
    elif today < results.follow_up_due:
        st.markdown(f"**Nach sechs Monaten:** Nachfrage ab {fmt_date(results.follow_up_due)}")
    else:
        with st.form(f"follow_up_{case.case_id}"):
            st.markdown("**Nachfrage nach sechs Monaten:** Ist die Person erwerbstätig?")
            row = st.columns(2)
            with row[0]:
                _pick("Antwort", list(FollowUpResult), None, f"follow_up_{case.case_id}_value")
            date_field("Nachgefragt am", today, key=f"follow_up_{case.case_id}_on", where=row[1],
                       field="follow_up_on")
            st.form_submit_button("Antwort speichern", **on_submit(
                lambda: record_follow_up(db, actor, case.case_id, case.version,
                                         st.session_state[f"follow_up_{case.case_id}_value"],
                                         st.session_state[f"follow_up_{case.case_id}_on"]),
                f"Nachfrage für {case.first_name} {case.last_name} gespeichert.", key=key))
