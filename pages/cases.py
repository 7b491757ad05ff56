"""Fälle: the case list with filters, paging and a quick status change."""

import pandas as pd
import streamlit as st

from db.caseload import CaseFilter, caseload, client_towns
from db.figures.kpis import kpis
from db.figures.registry import definition, label
from db.users import staff_with_role
from db.vocabulary import Barrier, CaseStatus, Role
from pages.common import (
    current_actor,
    fmt_date,
    get_db,
    open_case_button,
    plain,
    show_flash,
    shown_errors,
    status_badge,
    status_control,
)

PAGE_SIZE = 25

actor = current_actor()
db = get_db()

st.title("Fälle")
show_flash()

with shown_errors():
    figures = kpis(db, actor)
tiles = st.columns(4)
for column, key in zip(tiles, ("active_cases", "planned_first_interviews", "employed",
                               "overdue_next_steps"), strict=True):
    column.metric(label(key), getattr(figures, key), help=definition(key))

with st.expander("Filter", expanded=True, icon=":material/filter_list:"):
    row1 = st.columns([2, 2, 1, 1])
    search = row1[0].text_input("Suche (Name oder Kundennummer)", key="cases_search")
    statuses = row1[1].multiselect("Status", list(CaseStatus), format_func=lambda s: s.label,
                                   key="cases_status", placeholder="alle")
    town = row1[2].selectbox("Wohnort", client_towns(db, actor), index=None, key="cases_town",
                             placeholder="alle")
    barrier = row1[3].selectbox("Hemmnis", list(Barrier), format_func=lambda b: b.label,
                                index=None, key="cases_barrier", placeholder="alle")
    row2 = st.columns([2, 1, 1, 1])
    companion_id = None
    if actor.role == Role.LEAD:
        companions = {c.id: c.display_name for c in staff_with_role(db, actor, Role.COMPANION)}
        companion_id = row2[0].selectbox("Begleitung", list(companions), format_func=companions.get,
                                         index=None, key="cases_companion", placeholder="alle")
    referred_from = row2[1].date_input("Zugewiesen ab", value=None, format="DD.MM.YYYY",
                                       key="cases_from")
    referred_to = row2[2].date_input("Zugewiesen bis", value=None, format="DD.MM.YYYY",
                                     key="cases_to")
    overdue_only = row2[3].toggle("Nur überfällige", key="cases_overdue")

filters = CaseFilter(
    companion_id=companion_id, statuses=tuple(statuses), town=town, barrier=barrier,
    referred_from=referred_from, referred_to=referred_to, search=search, overdue_only=overdue_only,
)
# A new filter starts again at the first page.
if st.session_state.get("cases_filter") != filters:
    st.session_state["cases_filter"] = filters
    st.session_state["cases_page"] = 0
page_no = st.session_state.get("cases_page", 0)

with shown_errors():
    result = caseload(db, actor, filters, limit=PAGE_SIZE, offset=page_no * PAGE_SIZE)

if not result.rows:
    st.info("Keine Fälle zu diesen Filtern.")
    st.stop()

table = pd.DataFrame(
    {
        "Kundennr.": [r.client_number for r in result.rows],
        "Name": [r.client_name for r in result.rows],
        "Wohnort": [r.town for r in result.rows],
        "Status": [r.status.label for r in result.rows],
        "Begleitung": [r.companion or "–" for r in result.rows],
        "Zugewiesen": [fmt_date(r.referred_on) for r in result.rows],
        "Erstgespräch": [fmt_date(r.first_interview_at) for r in result.rows],
        "Nächster Schritt": [r.next_step or "" for r in result.rows],
        "Fällig": [("⚠ " if r.overdue else "") + fmt_date(r.next_step_due) for r in result.rows],
    }
)
styled = table.style.apply(
    lambda column: ["color: #b42318; font-weight: 600" if r.overdue else "" for r in result.rows],
    subset=["Fällig"],
)
picked = st.dataframe(styled, hide_index=True, width="stretch", on_select="rerun",
                      selection_mode="single-row", key="cases_table")

pages_total = max(1, -(-result.total // PAGE_SIZE))
nav = st.columns([1, 2, 1])
if nav[0].button("◀ Zurück", disabled=page_no == 0, key="cases_prev"):
    st.session_state["cases_page"] = page_no - 1
    st.rerun()
nav[1].caption(f"Seite {page_no + 1} von {pages_total} · {result.total} Fälle")
if nav[2].button("Weiter ▶", disabled=page_no + 1 >= pages_total, key="cases_next"):
    st.session_state["cases_page"] = page_no + 1
    st.rerun()

selected_rows = picked.selection.rows if picked else []
if not selected_rows:
    st.caption("Eine Zeile anklicken, um den Status zu ändern oder den Fall zu öffnen.")
    st.stop()

row = result.rows[selected_rows[0]]
with st.container(border=True):
    head = st.columns([3, 1])
    head[0].markdown(f"**{plain(row.client_name)}** · {plain(row.client_number)}")
    with head[0]:
        status_badge(row.status)
    with head[1]:
        open_case_button(row.case_id, key="cases_open")
    if actor.role in (Role.COMPANION, Role.LEAD):
        status_control(db, actor, row.case_id, row.version, row.status, key=f"list_{row.case_id}")
