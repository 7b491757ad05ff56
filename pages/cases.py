"""Fälle: the case list with filters, paging and a quick status change."""

from typing import Any

import pandas as pd
import streamlit as st

from db.accounts.users import staff_with_role
from db.casework.caseload import SORT_TEXT, CaseFilter, caseload, client_towns
from db.figures.kpis import CASE_LIST_KEYS, case_list_figures
from db.reporting.formats import plural
from db.reporting.registry import counted, definition, label
from db.vocabulary import Barrier, CaseStatus, Role
from pages import narrow
from pages.ui.as_of import as_of_slot, show_as_of
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import show_flash, shown_errors
from pages.ui.formatting import fmt_date, status_badge
from pages.ui.forms import FOLDED, folded, grid_or_box_choice, status_control
from pages.ui.navigation import case_card, open_case_button
from pages.ui.fields import date_field
from pages.ui.shown import md, plain

PAGE_SIZE = 25

actor = current_actor()
db = get_db()

st.title("Fälle")
show_flash()

# A lead's figures over every case are a shared count: the page says when it was counted.
as_of = as_of_slot() if actor.role == Role.LEAD else None
with shown_errors():
    figures = case_list_figures(db, actor)  # one statement: only what the line shows (issue 42)
# One line instead of four tiles: on a phone the list starts on the first screen.
st.caption(" · ".join(plain(counted(key, figures[key])) for key in CASE_LIST_KEYS), help="\n\n".join(
    f"**{label(key)}:** {definition(key)}" for key in ("planned_first_interviews", "overdue_next_steps",
                                                       "interviews_outcome_missing")))
if as_of is not None:
    show_as_of(as_of)

FILTER_KEYS = ("cases_search", "cases_status", "cases_town", "cases_barrier", "cases_companion",
               "cases_from", "cases_to", "cases_overdue")
PANEL = "cases"  # the folded panel's key (pages/ui/forms.folded)
KEPT = "cases_kept_filters"  # the filters' values, not a widget's: kept while the panel is folded
# The panel's state lives as long as the visit (Streamlit forgets it on another page): its absence
# is an arrival. A link from the start page ("?ueberfaellig=1", "?status=active,employed") opens
# the list filtered; otherwise a visit starts unfiltered, as the widgets' own state did.
if FOLDED + PANEL not in st.session_state:
    wanted = set(st.query_params.get("status", "").split(","))
    arriving = {"cases_status": [s for s in CaseStatus if s.value in wanted],
                "cases_overdue": st.query_params.get("ueberfaellig") == "1"}
    st.session_state[KEPT] = {k: v for k, v in arriving.items() if v}
    # Folded unless a filter is set: on a phone the list comes first.
    st.session_state[FOLDED + PANEL] = bool(st.session_state[KEPT])
kept: dict[str, Any] = st.session_state[KEPT]
# The widgets' values as the browser sent them – the panel drawn in the run before, or a search
# typed and the panel folded with one click (both messages in one run): they are the filters
# now, whether the panel is drawn in this run or not.
if any(key in st.session_state for key in FILTER_KEYS):
    kept = st.session_state[KEPT] = {k: st.session_state[k] for k in FILTER_KEYS if st.session_state.get(k)}
# Drawn only while open: folded, its eight widgets (and the towns' query) cost nothing (issue 42).
# Streamlit forgets the value of a widget a run does not draw: the filters stay in force from
# KEPT, and reopened the widgets show them again.
panel = folded("Filter", key=PANEL, icon=":material/filter_list:")
if panel is not None:
    for key, value in kept.items():
        if key not in st.session_state:
            st.session_state[key] = value
    with panel:
        row1 = st.columns([2, 2, 1, 1])
        row1[0].text_input("Suche (Name oder Kundennummer)", key="cases_search",
                           help="Findet auch gleich klingende Namen: Maier findet Meyer und Mayer.")
        row1[1].multiselect("Status", list(CaseStatus), format_func=lambda s: s.label,
                            key="cases_status", placeholder="alle")
        row1[2].selectbox("Wohnort", client_towns(db, actor), index=None, key="cases_town",
                          placeholder="alle")
        row1[3].selectbox("Hemmnis", list(Barrier), format_func=lambda b: b.label,
                          index=None, key="cases_barrier", placeholder="alle")
        row2 = st.columns([2, 1, 1, 1])
        if actor.role == Role.LEAD:
            companions = {c.id: c.display_name for c in staff_with_role(db, actor, Role.COMPANION)}
            row2[0].selectbox("Begleitung", list(companions), format_func=companions.get,
                              index=None, key="cases_companion", placeholder="alle")
        date_field("Zugewiesen ab", key="cases_from", where=row2[1])
        date_field("Zugewiesen bis", key="cases_to", where=row2[2])
        row2[3].toggle("Nur überfällige", key="cases_overdue",
                       help="Überfällige nächste Schritte und Erstgespräche ohne Ergebnis")
    kept = st.session_state[KEPT] = {k: st.session_state[k] for k in FILTER_KEYS if st.session_state.get(k)}

filters = CaseFilter(
    companion_id=kept.get("cases_companion") if actor.role == Role.LEAD else None,
    statuses=tuple(kept.get("cases_status", ())), town=kept.get("cases_town"),
    barrier=kept.get("cases_barrier"), referred_from=kept.get("cases_from"),
    referred_to=kept.get("cases_to"), search=kept.get("cases_search", ""),
    overdue_only=bool(kept.get("cases_overdue")),
)
# A new filter starts again at the first page.
if st.session_state.get("cases_filter") != filters:
    st.session_state["cases_filter"] = filters
    st.session_state["cases_page"] = 0
page_no = st.session_state.get("cases_page", 0)
# A paging click (the buttons below) is read here, before the list is fetched: the run the click
# asks for draws the new page – one run, not a run and a rerun (issue 42).
turned = bool(st.session_state.get("cases_next") or st.session_state.get("cases_prev"))
if st.session_state.get("cases_next"):
    page_no = st.session_state["cases_page"] = page_no + 1
elif st.session_state.get("cases_prev"):
    page_no = st.session_state["cases_page"] = max(0, page_no - 1)

with shown_errors():
    result = caseload(db, actor, filters, limit=PAGE_SIZE, offset=page_no * PAGE_SIZE)

if not result.rows:
    st.info("Keine Fälle zu diesen Filtern.")
    st.stop()

# Whose case it is first, then what decides the next move: status, next step, due date; the rest after.
steps = [("Ergebnis des Erstgesprächs fehlt" if r.outcome_missing else r.next_step or "") for r in result.rows]
dues = [fmt_date(r.first_interview_at.date() if r.outcome_missing and r.first_interview_at else r.next_step_due)
        for r in result.rows]
table = pd.DataFrame(
    {
        "Name": [r.client_name for r in result.rows],
        "Status": [r.status.label for r in result.rows],
        "Nächster Schritt": steps,
        # Overdue in red and bold; the ⚠ says it without colour. (An object column: pandas would
        # turn the Shown cells into plain strings, and the table would escape them again.)
        "Fällig": pd.Series([md(":red[**⚠ {due}**]", due=due) if r.late else due
                             for r, due in zip(result.rows, dues, strict=True)], dtype=object),
        "Kundennr.": [r.client_number for r in result.rows],
        "Begleitung": [r.companion or "–" for r in result.rows],
        "Erstgespräch": [fmt_date(r.first_interview_at) for r in result.rows],
        "Zugewiesen": [fmt_date(r.referred_on) for r in result.rows],
        "Wohnort": [r.town for r in result.rows],
    }
)


def cards() -> None:
    """On a phone: one card per case – who, status, what is next and when – opened with one tap."""
    for r, step, due in zip(result.rows, steps, dues, strict=True):
        lines = [plain(f"{r.status.label} · {r.client_number}")]
        if r.status == CaseStatus.INTERVIEW_PLANNED and r.first_interview_at:  # when and where to be
            lines.append(plain(f"Erstgespräch: {fmt_date(r.first_interview_at)} · {r.first_interview_place}"))
        if step:
            lines.append(plain(f"Nächster Schritt: {step}"))
        if r.late:
            lines.append(md("**Fällig: {due} – überfällig**", due=due))
        elif r.next_step_due:
            lines.append(plain(f"Fällig: {due}"))
        case_card(r.case_id, r.client_name, lines)


st.caption(SORT_TEXT)
# At a desk an HTML table that wraps: every column in view, whose case it is first.
narrow.table(table, "cases", cards=cards)

pages_total = max(1, -(-result.total // PAGE_SIZE))
nav = st.columns([1, 2, 1])
# A press not seen above – the first run of a session that does not know the buttons yet (after
# an app server's restart, pages/reconnect) – turns the page as before: with a rerun.
if nav[0].button("◀ Zurück", disabled=page_no == 0, key="cases_prev") and not turned:
    st.session_state["cases_page"] = page_no - 1
    st.rerun()
nav[1].caption(f"Seite {page_no + 1:d} von {pages_total:d} · {plural(result.total, 'Fall', 'Fälle')}")
if nav[2].button("Weiter ▶", disabled=page_no + 1 >= pages_total, key="cases_next") and not turned:
    st.session_state["cases_page"] = page_no + 1
    st.rerun()

by_key = {r.case_id: r for r in result.rows}
chosen_id = grid_or_box_choice(None, list(by_key), "cases", "Fall auswählen",
                               lambda i: f"{by_key[i].client_name} · {by_key[i].status.label}")
if chosen_id is None:
    st.stop()

row = by_key[chosen_id]
with st.container(border=True):
    head = st.columns([3, 1])
    head[0].markdown(f"**{plain(row.client_name)}** · {plain(row.client_number)}")
    with head[0]:
        status_badge(row.status)
    with head[1]:
        open_case_button(row.case_id, key="cases_open")
    if actor.role in (Role.COMPANION, Role.LEAD):
        status_control(db, actor, row.case_id, row.version, row.status, key=f"list_{row.case_id}",
                       name=row.client_name, planned=row.first_interview_at)
