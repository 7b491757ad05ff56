"""Lagebild: the team lead's dashboard – figures against plan and the programme's charts.

Exact figures (the lead may see them); labels and definitions from the indicator registry.
Plans are compared with the same kind of figure: the stock plan "Aktive Fälle" with today's
participants, the monthly plans with this month's events so far.
"""

from datetime import timedelta

import streamlit as st

from db.accounts.users import staff_with_role
from db.clock import today
from db.casework.caseload import client_towns
from db.casework.worklist import UNASSIGNED_WORKING_DAYS, needs_action
from db.figures import alternatives, charts, flows, series
from db.figures.kpis import kpis
from db.figures.series import Period
from db.reporting.formats import fmt_percent
from db.reporting.registry import TARGET_RATE, TO_DATE, Tile, definition, label
from db.results.indicators import summarised_leavers
from db.store.recount import read_ahead
from db.vocabulary import PlanMetric, Role
from pages.ui.as_of import as_of_slot, show_as_of
from pages.ui.charts import metric_tiles, show_chart
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import shown_errors
from pages.ui.formatting import fmt_date
from pages.ui.forms import checked_period
from pages.ui.navigation import case_link
from pages.ui.fields import date_field
from pages.ui.shown import md_join, plain

actor = current_actor()
db = get_db()
read_ahead(db)  # the work list's cache and the figures below: one read of stamp and ages

st.title("Lagebild")


def work_list() -> None:
    """Handlungsbedarf: what the lead should act on today, with names and a way to each case."""
    with shown_errors():
        work = needs_action(db, actor)
    st.header("Handlungsbedarf")
    if work.empty:
        st.success("Heute ist nichts überfällig, niemand über der Kapazität.", icon=":material/task_alt:")
        return
    if work.over_capacity:  # over the cap, or over it once the inflow starts (db decides): a line each
        st.warning(md_join("  \n", [load.mark_text for load in work.over_capacity]), icon=":material/group:")
    if work.over_capacity:
        st.page_link("pages/team.py", label="Team & Stellen: Kapazität und Stellen", icon=":material/groups:")
    for title, group, what in (
        ("Überfällige nächste Schritte", work.overdue_steps, "fällig"),
        ("Erstgespräche ohne Ergebnis", work.outcome_missing, "Termin"),
        (f"Zuweisungen seit mehr als {UNASSIGNED_WORKING_DAYS} Arbeitstagen ohne Begleitung",
         work.unassigned, "zugewiesen"),
    ):
        if not group.total:
            continue
        st.markdown(f"**{plain(title)}: {group.total:d}**")
        for item in group.items:
            case_link(item.case_id, md_join(" · ", [item.client_name, f"{what} {fmt_date(item.day)}",
                                                    *(t for t in (item.text, item.companion) if t)]))
        if group.total > len(group.items):
            st.caption(f"… und {group.total - len(group.items):d} weitere")
    st.page_link("pages/cases.py", label="Alle überfälligen Fälle in der Fallliste",
                 query_params={"ueberfaellig": "1"}, icon=":material/list:")


work_list()
as_of = as_of_slot()  # over the figures; the work list above is exact

with st.expander("Filter", expanded=False, icon=":material/filter_list:"):
    cols = st.columns(4)
    # Two fields, each with its German name: a range field is read out as "start date" and
    # "end date" (Streamlit's English, not ours).
    start = date_field("Zeitraum von", today() - timedelta(weeks=10), key="dash_from",
                       where=cols[0])
    end = date_field("Zeitraum bis", today(), key="dash_to", where=cols[1])
    town = cols[2].selectbox("Wohnort", client_towns(db, actor), index=None, placeholder="alle",
                             key="dash_town")
    companions = {c.id: c.display_name for c in staff_with_role(db, actor, Role.COMPANION)}
    companion_id = cols[3].selectbox("Begleitung", list(companions), format_func=companions.get,
                                     index=None, placeholder="alle", key="dash_companion")
start, end = checked_period(start, end)
period = Period(start=start, end=end, town=town, companion_id=companion_id)

with shown_errors():
    figures = kpis(db, actor, companion_id=companion_id)
    plan = series.plan_now(db, actor)
    events = flows.monthly_events(db, actor, companion_id)
    exits = summarised_leavers(db, actor, companion_id)

this_month = today().replace(day=1)
so_far = events[events["month"] == this_month].groupby("key")["count"].sum()


def against_plan(value: int, metric: PlanMetric) -> str:
    target = plan.get(metric)
    return f"{value} / {target}" if target is not None else str(value)


metric_tiles([
    Tile(f"{label('participants')} / Plan", against_plan(figures.participants, PlanMetric.ACTIVE_CASES),
         f"{definition('participants')} Plan: Aktive Fälle im laufenden Monat."),
    Tile(label("overdue_next_steps"), str(figures.overdue_next_steps), definition("overdue_next_steps")),
    Tile(label("interviews_outcome_missing"), str(figures.interviews_outcome_missing),
         definition("interviews_outcome_missing")),
    Tile(f"{label('interviews_held')} im laufenden Monat / Plan",
         against_plan(int(so_far.get("interviews_held", 0)), PlanMetric.FIRST_INTERVIEWS),
         f"{definition('interviews_held')} Plan: Erstgespräche im laufenden Monat."),
    Tile(f"{label('referrals')} im laufenden Monat / Plan",
         against_plan(int(so_far.get("referrals", 0)), PlanMetric.REFERRALS), definition("referrals")),
    Tile(f"{label('integration_rate')} ({TO_DATE})",
         fmt_percent(exits.figures.rate, none="noch keine Abgänge"),
         f"{definition('integration_rate')} Ziel: {fmt_percent(TARGET_RATE)}."),
])

# The tiles' lists, one click away.
links = st.columns(3)
links[0].page_link("pages/cases.py", label="Teilnehmende in der Fallliste", icon=":material/list:",
                   query_params={"status": "active,employed"})
links[1].page_link("pages/cases.py", label="Überfälliges in der Fallliste", icon=":material/list:",
                   query_params={"ueberfaellig": "1"})
links[2].page_link("pages/referrals.py", label="Offene Zuweisungen", icon=":material/move_to_inbox:")

# One chart per row: the labels stay readable on a tablet (800 px) as on a desk.
with shown_errors():
    for data, draw, described in (
        (series.intake(db, actor, period), charts.intake_chart, alternatives.intake_text),
        (series.caseload_by_companion(db, actor, period), charts.capacity_chart, alternatives.capacity_text),
        (series.funnel(db, actor, period), charts.funnel_chart, alternatives.funnel_text),
        (series.barriers(db, actor, period), charts.barriers_chart, alternatives.barriers_text),
        (series.contacts(db, actor, period), charts.contacts_chart, alternatives.contacts_text),
        (series.office_hours(db, actor, period), charts.office_hours_chart, alternatives.office_hours_text),
    ):
        show_chart(described, draw, data)
    quarters = exits.quarters
    if quarters["rate"].notna().any():  # the rate against the target, once there are leavers
        show_chart(alternatives.rate_text, charts.rate_chart, quarters, TARGET_RATE)

show_as_of(as_of)
