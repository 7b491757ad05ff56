"""Shared inputs: status change with what each target needs, first-interview time and place, a
period, and the grid-or-select-box choice of a row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import streamlit as st

from db.actors import Actor
from db.casework.cases import NewPlacement, change_status, schedule_first_interview
from db.casework.workflow import NEEDS_INPUT, PARTICIPATING, action_label, allowed_next
from db.clock import today as local_today
from db.programme.employers import employer_names
from db.programme.locations import list_locations
from db.store.database import Database
from db.vocabulary import CaseStatus, EndReason, ExitResult, JobKind, LocationStatus, PauseReason
from db.validation import required_day
from streamlit.delta_generator import DeltaGenerator
from pages.ui.feedback import feedback, on_submit
from pages.ui.fields import date_field
from pages.ui.fragments import in_page
from pages.ui.shown import Shown


def grid_or_box_choice(grid: object, ids: list[int], key: str, label: Shown,
                       format_func: Callable[[int], str]) -> int | None:
    """The row chosen by a click in a grid or in the select box beneath it: the grid's rows are
    not reachable by keyboard, nor on a phone where the grid is hidden (no grid: the box alone). A new click in the grid
    wins; a choice gone from the list (another page of it, a removed row) is forgotten. Only an
    actual change is written: a write to a widget's key also sets the box in the browser, and a
    run that began before somebody picked would then take the choice back."""
    state = st.session_state
    rows = grid.selection.rows if grid else []  # type: ignore[attr-defined]
    clicked = ids[rows[0]] if rows else None
    if clicked != state.get(f"{key}_clicked"):
        state[f"{key}_clicked"] = clicked
        state[f"{key}_pick"] = clicked
    if state.get(f"{key}_pick") not in (None, *ids):
        state[f"{key}_pick"] = None
    # The label as written: a select box's accessible name is its raw label (escapes read aloud).
    # The hint fits every screen: on a phone the list is cards, no rows to click.
    return st.selectbox(label, ids, index=None, key=f"{key}_pick", format_func=format_func,
                        placeholder="Namen tippen oder wählen")


FOLDED = "folded-"  # the start of every folded panel's key (tests open them all: tests/conftest.py)


def folded(label: Shown, *, key: str, icon: str) -> DeltaGenerator | None:
    """A folded panel (st.expander) whose content is drawn only while it is open: the panel to
    draw into, or None while folded. Streamlit's lazy expander: opening it is a run, which draws
    the content, and every run while it stays open draws it again (a save in it works as
    before). Folded, its forms cost nothing – the case page's three folded forms were a sixth of
    each of its runs (issue 42). What was typed into a folded panel's form and not saved is not
    kept when it is folded (Streamlit forgets the fields of a run that does not draw them)."""
    panel = st.expander(label, icon=icon, key=FOLDED + key, on_change="rerun")
    return panel if panel.open else None


def checked_period(start: date | None, end: date | None) -> tuple[date, date]:
    """A period from its two date fields – or, for an emptied field or swapped days, a German
    message and nothing more of the page."""
    if start is None or end is None or start > end:
        st.error("Bitte einen Zeitraum wählen, der nicht nach seinem Ende beginnt.")
        st.stop()
    return start, end


@in_page  # a click that opens a form or is refused reruns this control alone (issue 42)
def status_control(db: Database, actor: Actor, case_id: int, version: int, status: CaseStatus,
                   *, key: str, name: str, suggested: ExitResult | None = None,
                   planned: datetime | None = None, employer: int | None = None) -> None:
    """The allowed next statuses as buttons; those that need input open a small form. `name` is
    the person's, for the message ("Status von Carola Beispiel geändert: In Begleitung");
    `employer` the one a job start suggests (the case's latest employer contact)."""
    feedback(key)
    targets = allowed_next(status)
    if not targets:
        st.caption("Abgeschlossen – keine weiteren Statuswechsel.")
        return
    pending_key = f"pending_{key}"
    day_key = f"{key}_event_on"
    if status == CaseStatus.INTERVIEW_PLANNED:
        # The outcome belongs to the interview's day: preset to the planned day (today for one
        # still to come, held early), never later than today.
        today = local_today()
        date_field("Datum des Erstgesprächs", min(planned.date(), today) if planned else today, key=day_key,
                   field=("on", "start_date"))
    for column, target in zip(st.columns(len(targets)), targets, strict=True):
        label = action_label(status, target)
        if target in NEEDS_INPUT:
            # Ending is rarely the next move: it looks secondary to the others.
            if column.button(label, key=f"{key}_{target.value}", width="stretch",
                             type="tertiary" if target == CaseStatus.CLOSED else "secondary"):
                st.session_state[pending_key] = target
        else:
            column.button(label, key=f"{key}_{target.value}", width="stretch", **on_submit(
                lambda t=target: change_status(db, actor, case_id, version, t,
                                               on=_day(day_key, "Datum des Erstgesprächs")),
                f"Status von {name} geändert: {target.label}", key=key))
    pending = st.session_state.get(pending_key)
    if pending in targets:
        _status_form(db, actor, case_id, version, pending, key=key, name=name, suggested=suggested,
                     participant=status in PARTICIPATING, employer=employer)


def _status_form(db: Database, actor: Actor, case_id: int, version: int, target: CaseStatus,
                 *, key: str, name: str, suggested: ExitResult | None, participant: bool,
                 employer: int | None = None) -> None:
    state = st.session_state
    form_key = f"{key}_form"
    done = {"success": f"Status von {name} geändert: {target.label}", "key": key,
            "reset": {f"pending_{key}": None}}
    with st.form(f"{form_key}_{target.value}", border=True):
        st.markdown(f"**{target.label}**")
        if target == CaseStatus.INTERVIEW_PLANNED:
            interview_inputs(interview_places(db, actor), key=form_key)
            st.form_submit_button("Termin speichern", type="primary", **on_submit(
                lambda: schedule_first_interview(db, actor, case_id, version,
                                                 *interview_choice(form_key)), **done))
        elif target == CaseStatus.EMPLOYED:
            employers = employer_names(db, actor)
            # Suggested, shown and confirmed with the save: the employer last contacted for this
            # person (the usual way to a job); none where nobody was.
            ids = list(employers)
            st.selectbox("Arbeitgeber", ids, format_func=employers.get,
                         index=ids.index(employer) if employer in employers else None,
                         placeholder="Bitte wählen", key=f"{form_key}_employer")
            date_field("Arbeitsbeginn", local_today(), key=f"{form_key}_start", field="job_start")
            # One tap, and no preselection: a save must not record a Minijob as a full-time job.
            st.pills("Art der Stelle", list(JobKind), format_func=lambda k: k.label,
                     key=f"{form_key}_kind")
            st.text_input("Tätigkeit (optional)", key=f"{form_key}_title")
            st.form_submit_button("Arbeitsaufnahme speichern", type="primary", **on_submit(
                lambda: change_status(db, actor, case_id, version, target, placement=NewPlacement(
                    employer_id=state[f"{form_key}_employer"],
                    start_date=_day(f"{form_key}_start", "Arbeitsbeginn", "job_start"),
                    job_kind=state[f"{form_key}_kind"], job_title=state[f"{form_key}_title"])),
                **{**done, "success": lambda: f"Arbeitsaufnahme von {name} bei "
                                              f"{employers[state[f'{form_key}_employer']]} gespeichert."}))
        elif target == CaseStatus.PAUSED:
            st.selectbox("Grund", list(PauseReason), index=None, format_func=lambda r: r.label,
                         placeholder="Bitte wählen", key=f"{form_key}_pause_reason")
            cols = st.columns(2)
            date_field("Ruht ab", local_today(), key=f"{form_key}_on", where=cols[0], field="on")
            date_field("Wiederaufnahme geplant am", local_today() + timedelta(days=28),
                       key=f"{form_key}_resume", where=cols[1], field="resume_on")
            st.caption("Ruhende Fälle zählen nicht gegen die Kapazität; zum geplanten Datum "
                       "erscheint die Wiederaufnahme auf der Aufgabenliste.")
            st.form_submit_button("Ruhen lassen", type="primary", **on_submit(
                lambda: change_status(db, actor, case_id, version, target,
                                      on=_day(f"{form_key}_on", "Ruht ab"),
                                      pause_reason=state[f"{form_key}_pause_reason"],
                                      resume_on=state[f"{form_key}_resume"]), **done))
        else:
            st.selectbox("Beendigungsgrund", list(EndReason), index=None,
                         format_func=lambda r: r.label, placeholder="Bitte wählen",
                         key=f"{form_key}_reason")
            date_field("Beendet am", local_today(), key=f"{form_key}_on", field=("on", "end_date"))
            if participant:  # only a participation that began has a result for the Land
                choices = list(ExitResult)
                st.selectbox("Verbleib (innerhalb von 28 Tagen nach dem Ende)", choices,
                             index=choices.index(suggested) if suggested else None,
                             format_func=lambda r: r.label, placeholder="noch offen – später nachtragen",
                             key=f"{form_key}_result",
                             help="Es zählt das letzte Ereignis innerhalb von 28 Tagen nach dem Ende. "
                                  "Noch offen? Dann steht „Verbleib erfassen“ auf der Aufgabenliste.")
            st.form_submit_button("Fall beenden", type="primary", **on_submit(
                lambda: change_status(db, actor, case_id, version, target,
                                      end_reason=state[f"{form_key}_reason"],
                                      on=_day(f"{form_key}_on", "Beendet am"),
                                      exit_result=state.get(f"{form_key}_result")), **done))


def _day(key: str, label: str, field: str = "on") -> date | None:
    """A form's required date as typed; an emptied field is refused, never taken for today. (The
    interview's day exists only while a case waits for it.)"""
    if key not in st.session_state:
        return None
    return required_day(st.session_state[key], field, label)


def interview_places(db: Database, actor: Actor) -> dict[int | None, str]:
    """Where a first interview can take place; read once per page run, not once per form."""
    places: dict[int | None, str] = {
        loc.id: f"Sprechstunde {loc.town}" + ("" if loc.status == LocationStatus.RUNNING else " (geplant)")
        for loc in list_locations(db, actor)
    }
    places[None] = "Hausbesuch"
    return places


def interview_inputs(places: dict[int | None, str], *, key: str) -> None:
    """Date, time and place of a first interview (inside a form); read with interview_choice."""
    cols = st.columns(3)
    date_field("Datum", local_today(), key=f"{key}_day", where=cols[0], field="first_interview_at")
    cols[1].time_input("Uhrzeit", value=time(10), step=900, key=f"{key}_time")
    cols[2].selectbox("Ort", list(places), format_func=places.get, key=f"{key}_place")


def interview_choice(key: str) -> tuple[datetime, int | None]:
    state = st.session_state
    day = required_day(state[f"{key}_day"], "first_interview_at", "Datum")
    return datetime.combine(day, state[f"{key}_time"]), state[f"{key}_place"]
