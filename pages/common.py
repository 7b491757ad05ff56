"""What every page shares: database, acting user, formats, status badge, messages, and the
status-change control used by the case list, the case page and the agenda."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import altair as alt
import streamlit as st

from db.actors import Actor
from db.bootstrap import prepare
from db.casework.cases import NewPlacement, change_status, schedule_first_interview
from db.clock import today as local_today
from db.store.database import Database
from db.programme.employers import list_employers
from db.privacy.erasure import erase_person
from db.errors import ConflictError, DomainError, PermissionDenied, ValidationError
from db.figures import charts
from db.figures.alternatives import ChartText
from db.reporting.registry import Tile
from db.programme.locations import list_locations
from db.privacy.retention import anonymise_closed_cases, count_due, retention_years
from db.privacy.subject_access import export_person
from db.validation import clean_text
from db.vocabulary import CaseStatus, EndReason, ExitResult, JobKind, LocationStatus, PauseReason
from db.casework.workflow import NEEDS_INPUT, PARTICIPATING, action_label, allowed_next
from pages.downloads import at_click

WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]

# One colour per status, everywhere.
STATUS_COLORS: dict[CaseStatus, str] = {
    CaseStatus.REFERRED: "gray",
    CaseStatus.INTERVIEW_PLANNED: "blue",
    CaseStatus.ACTIVE: "green",
    CaseStatus.EMPLOYED: "violet",
    CaseStatus.CLOSED: "gray",
    CaseStatus.DECLINED: "orange",
    CaseStatus.NO_SHOW: "red",
    CaseStatus.PAUSED: "orange",
}

CASE_PAGE = "pages/case.py"


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


def route_through_app() -> None:
    """Make sure app.py alone routes every request (app.py's first statement).

    Until the first st.navigation call of a server process, Streamlit also treats the files in
    pages/ as stand-alone pages. The first request after a start would then either run a page
    file directly (a bookmark: no login, no role navigation; see route_page_through_app) or wrap
    app.py in that legacy navigation, which changes the widget ids between the first and the
    second run (the first login click would be lost). Switching the legacy mode off and
    re-running avoids both.

    The switch is one per process, but browsers that connect at the same moment after a restart
    all start their first run in the legacy mode, and only the first of them would see the
    switch still on (seen with bench/load.py: two of three simultaneous first logins did
    nothing). So a run is also re-run when it is wrapped: then app.py does not run under its
    own page hash. (Re-running every first run instead would lose the page a bookmark asks for.)
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import (
        ThreadState,
        get_script_run_ctx,
    )

    ctx = get_script_run_ctx()
    wrapped = ctx is not None and ThreadState.get().active_script_hash != ctx.pages_manager.main_script_hash
    if PagesManager.uses_pages_directory or wrapped:
        PagesManager.uses_pages_directory = False
        st.rerun()


def route_page_through_app() -> None:
    """A page file's first statement: if Streamlit ran it on its own (the legacy mode of the
    first request after a start), switch that mode off and let app.py route the request."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# After an action Streamlit redraws the page and the keyboard focus falls back to its start. The
# message saying what happened is where a keyboard or screen-reader user should go on from
# (WCAG 2.4.3): a small script focuses it once it is drawn. The nonce makes the script new in
# every run that shows a message, so it runs again for a second action in a row.
_FOCUS = """<script>
(() => {
  const nonce = "%(nonce)s";
  const attempt = (n) => {
    const target = document.querySelector(%(selector)s);
    if (target) { target.setAttribute("tabindex", "-1"); target.focus(); }
    else if (n < 40) setTimeout(() => attempt(n + 1), 50);
  };
  attempt(0);
})();
</script>"""


def move_focus_to(key: str) -> None:
    """Focus the element drawn with `key` (st.container(key=…)) once it is on the page."""
    st.html(_FOCUS % {"selector": json.dumps(f".st-key-{key}"), "nonce": secrets.token_hex(4)},
            unsafe_allow_javascript=True)


def current_actor() -> Actor:
    """The logged-in user; app.py puts it here before any page runs."""
    route_page_through_app()
    actor = st.session_state.get("actor")
    if not isinstance(actor, Actor):
        st.warning("Bitte melden Sie sich an.")
        st.stop()
    return actor


@contextmanager
def shown_errors(heading: str | None = None, way_back: Callable[[], None] | None = None) -> Iterator[None]:
    """Domain errors become a German message on the page instead of a traceback. Where nothing
    of the page has been drawn yet, `heading` names the page above the message and `way_back`
    offers a way on (a refused case is not a dead end)."""
    try:
        yield
    except DomainError as exc:  # messages may quote what was typed: shown as text
        if heading:
            st.title(heading)
        st.error(plain(exc.message), icon=":material/lock:" if isinstance(exc, PermissionDenied) else None)
        if way_back:
            way_back()
        st.stop()


def grid_or_box_choice(grid: object, ids: list[int], key: str, label: str,
                       format_func: Callable[[int], str]) -> int | None:
    """The row chosen by a click in a grid or in the select box beneath it: the grid's rows are
    not reachable by keyboard, nor on a phone where the grid is hidden. A new click in the grid
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
    return st.selectbox(label, ids, index=None, key=f"{key}_pick", format_func=format_func,
                        placeholder="Zeile anklicken oder hier Namen tippen")


def checked_period(start: date | None, end: date | None) -> tuple[date, date]:
    """A period from its two date fields – or, for an emptied field or swapped days, a German
    message and nothing more of the page."""
    if start is None or end is None or start > end:
        st.error("Bitte einen Zeitraum wählen, der nicht nach seinem Ende beginnt.")
        st.stop()
    return start, end


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


def yes_no(value: bool) -> str:
    """A yes/no cell as a word: read aloud and printed alike (a tick box reads "true")."""
    return "ja" if value else "nein"


def fmt_day(value: date) -> str:
    return f"{WEEKDAYS[value.weekday()]}, {value:%d.%m.%Y}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|<>~$:^@])")
# "." and "=" are only active at a line's start ("1. " starts a list, "===" a heading).
_LINE_START = re.compile(r"(?m)^(\s*\d*)([.=])")
# Markdown turns a bare "www.x.de" or "http://…" into a link by itself; a zero-width space
# after "www" and in "://" keeps it text (it is invisible, and copying the name still works).
_AUTOLINK = re.compile(r"(?i)(www)(\.)|(:)(//)")


def plain(text: str | None) -> str:
    """User text shown as typed: no Markdown, no links or images, no HTML, no colour or KaTeX
    directives, no bare-URL links."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", clean_text(text, multiline=True))
    escaped = _LINE_START.sub(r"\1\\\2", escaped)
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(3)) + "\u200b" + (m.group(2) or m.group(4)), escaped)


def show_chart(text: ChartText, draw: Callable[..., alt.TopLevelMixin], *args: object,
               key: str | None = None) -> None:
    """A chart as everybody can take it in: the drawing named and described for screen readers,
    its summary in words beneath, and its numbers as a table in "Daten zur Grafik".

    draw(*args) is built and validated once per content of the figures (charts.page_spec); a
    rerun hands Streamlit the finished spec."""
    spec = json.loads(charts.page_spec(draw, *args, description=text.description))
    st.vega_lite_chart(spec, width="stretch", key=key)
    st.caption(plain(text.summary))
    with st.expander("Daten zur Grafik"):
        st.table(text.table, hide_index=True)  # an HTML table: read as a table, nothing cut off


def metric_tiles(tiles: list[Tile], per_row: int = 2) -> None:
    """Figures as tiles, a few to a row: labels and values are whole words ("Teilnehmende
    (Begleitung und Nachbetreuung)", "noch keine Abgänge") and must not be cut off."""
    for start in range(0, len(tiles), per_row):
        for column, tile in zip(st.columns(per_row), tiles[start:start + per_row], strict=False):
            column.metric(tile.label, tile.value, help=tile.help)


def status_badge(status: CaseStatus) -> None:
    st.badge(status.label, color=STATUS_COLORS[status])  # type: ignore[arg-type]


def show_flash() -> None:
    """The success message of the last action, once; the keyboard focus moves to it."""
    if message := st.session_state.pop("flash", None):
        st.toast(plain(message), icon=":material/check_circle:")  # messages name people
        with st.container(key="flash_message"):
            st.success(plain(message))
        move_focus_to("flash_message")


def on_submit(action: Callable[[], object], success: str | Callable[[], str], *, key: str,
              reset: dict[str, object] | None = None) -> dict:
    """Keyword arguments for st.button / st.form_submit_button that run `action` on the click.

    The action runs in the click's callback, before the page reloads its data, and its closure
    holds the version the user was looking at: a change saved by somebody else in between ends
    in a conflict instead of being overwritten. On success the `reset` session keys (the inputs
    of a form, say) get the given values – set, not deleted, so the browser shows them too; on
    failure the input stays and feedback(key) says why. `success` may be a function, read after
    the action, for a message that names what was entered ("Hausbesuch bei … gespeichert").
    """
    return {"on_click": _run_action, "args": (action, success, key, reset or {})}


def _run_action(action: Callable[[], object], success: str | Callable[[], str], key: str,
                reset: dict[str, object]) -> None:
    st.session_state.pop(f"error_{key}", None)
    try:
        action()
    except ConflictError as exc:
        st.session_state[f"conflict_{key}"] = exc.message
        return
    except DomainError as exc:
        st.session_state[f"error_{key}"] = exc.message
        return
    st.session_state.pop(f"conflict_{key}", None)
    message = success() if callable(success) else success
    for name, value in reset.items():
        st.session_state[name] = value
    st.session_state["flash"] = message


def feedback(key: str) -> None:
    """Why the last action of this control failed: a validation message, or the conflict
    message with a way to load the other person's version."""
    if message := st.session_state.pop(f"error_{key}", None):
        with st.container(key=f"error_message_{key}"):
            st.error(plain(message))
        move_focus_to(f"error_message_{key}")
    if message := st.session_state.get(f"conflict_{key}"):
        st.error(plain(message), icon=":material/sync_problem:")
        if st.button("Neu laden", key=f"reload_{key}", icon=":material/refresh:"):
            st.session_state.pop(f"conflict_{key}", None)
            st.rerun()


def status_control(db: Database, actor: Actor, case_id: int, version: int, status: CaseStatus,
                   *, key: str, name: str, suggested: ExitResult | None = None,
                   planned: datetime | None = None) -> None:
    """The allowed next statuses as buttons; those that need input open a small form. `name` is
    the person's, for the message ("Status von Carola Beispiel geändert: In Begleitung")."""
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
        st.date_input("Datum des Erstgesprächs", value=min(planned.date(), today) if planned else today,
                      max_value=today, format="DD.MM.YYYY", key=day_key)
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
                                               on=st.session_state.get(day_key)),
                f"Status von {name} geändert: {target.label}", key=key))
    pending = st.session_state.get(pending_key)
    if pending in targets:
        _status_form(db, actor, case_id, version, pending, key=key, name=name, suggested=suggested,
                     participant=status in PARTICIPATING)


def _status_form(db: Database, actor: Actor, case_id: int, version: int, target: CaseStatus,
                 *, key: str, name: str, suggested: ExitResult | None, participant: bool) -> None:
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
            employers = {e.id: e.name for e in list_employers(db, actor)}
            st.selectbox("Arbeitgeber", list(employers), format_func=employers.get, index=None,
                         placeholder="Bitte wählen", key=f"{form_key}_employer")
            st.date_input("Arbeitsbeginn", value=date.today(), format="DD.MM.YYYY",
                          key=f"{form_key}_start")
            # No preselection: four taps must not record a Minijob as a full-time job.
            st.selectbox("Art der Stelle", list(JobKind), format_func=lambda k: k.label, index=None,
                         placeholder="Bitte wählen", key=f"{form_key}_kind")
            st.text_input("Tätigkeit (optional)", key=f"{form_key}_title")
            st.form_submit_button("Arbeitsaufnahme speichern", type="primary", **on_submit(
                lambda: change_status(db, actor, case_id, version, target, placement=NewPlacement(
                    employer_id=state[f"{form_key}_employer"], start_date=state[f"{form_key}_start"],
                    job_kind=state[f"{form_key}_kind"], job_title=state[f"{form_key}_title"])),
                **{**done, "success": lambda: f"Arbeitsaufnahme von {name} bei "
                                              f"{employers[state[f'{form_key}_employer']]} gespeichert."}))
        elif target == CaseStatus.PAUSED:
            st.selectbox("Grund", list(PauseReason), index=None, format_func=lambda r: r.label,
                         placeholder="Bitte wählen", key=f"{form_key}_pause_reason")
            cols = st.columns(2)
            cols[0].date_input("Ruht ab", value=date.today(), format="DD.MM.YYYY", key=f"{form_key}_on")
            cols[1].date_input("Wiederaufnahme geplant am", value=date.today() + timedelta(days=28),
                               format="DD.MM.YYYY", key=f"{form_key}_resume")
            st.caption("Ruhende Fälle zählen nicht gegen die Kapazität; zum geplanten Datum "
                       "erscheint die Wiederaufnahme auf der Aufgabenliste.")
            st.form_submit_button("Ruhen lassen", type="primary", **on_submit(
                lambda: change_status(db, actor, case_id, version, target, on=state[f"{form_key}_on"],
                                      pause_reason=state[f"{form_key}_pause_reason"],
                                      resume_on=state[f"{form_key}_resume"]), **done))
        else:
            st.selectbox("Beendigungsgrund", list(EndReason), index=None,
                         format_func=lambda r: r.label, placeholder="Bitte wählen",
                         key=f"{form_key}_reason")
            st.date_input("Beendet am", value=date.today(), format="DD.MM.YYYY", key=f"{form_key}_on")
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
                                      on=state[f"{form_key}_on"],
                                      exit_result=state.get(f"{form_key}_result")), **done))


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
    cols[0].date_input("Datum", value=date.today(), format="DD.MM.YYYY", key=f"{key}_day")
    cols[1].time_input("Uhrzeit", value=time(10), step=900, key=f"{key}_time")
    cols[2].selectbox("Ort", list(places), format_func=places.get, key=f"{key}_place")


def interview_choice(key: str) -> tuple[datetime, int | None]:
    state = st.session_state
    return datetime.combine(state[f"{key}_day"], state[f"{key}_time"]), state[f"{key}_place"]


def shown_limit(key: str, step: int) -> int:
    """How many entries a long list shows now: `step` at first, `step` more per "Mehr anzeigen".
    Each entry carries buttons and forms, so drawing hundreds at once would slow every click."""
    return int(st.session_state.get(f"{key}_limit", step))


def more_button(key: str, step: int, shown: int, total: int | None = None) -> None:
    """Below a list cut at shown_limit: how much is shown, and a button for the next `step`."""
    limit = shown_limit(key, step)
    if shown < limit:
        return
    st.caption(f"{shown} von {total} angezeigt." if total is not None else f"Die ersten {shown} angezeigt.")
    if st.button("Mehr anzeigen", key=f"{key}_more", icon=":material/expand_more:"):
        st.session_state[f"{key}_limit"] = limit + step
        st.rerun()


def retention_panel(db: Database, actor: Actor) -> None:
    """Aufbewahrung: how many finished cases are past the retention period, and the button that
    removes their personal data (counts stay). For the lead (Import & Export) and the admin."""
    st.header("Aufbewahrung")
    with shown_errors():
        years = retention_years()
        due = count_due(db, actor, years)
    st.caption(f"Personendaten werden {years} Jahre nach dem Ende des letzten Falls einer Person "
               "entfernt. Zahlen und Auswertungen bleiben unverändert.")
    if not due:
        st.info("Derzeit sind keine Personendaten zu entfernen.")
        return
    st.warning(f"{due} Person(en) mit Fällen, die vor mehr als {years} Jahren endeten.")
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


def open_case_button(case_id: int, *, key: str, label: str = "Fall öffnen") -> None:
    """A button to the case page; `label` may name the person (shown as text, not Markdown)."""
    if st.button(plain(label), key=key, icon=":material/folder_open:"):
        st.switch_page(CASE_PAGE, query_params={"id": str(case_id)})
