"""Lagebild: the team lead's dashboard – figures against plan and the programme's charts."""

from datetime import date, timedelta

import streamlit as st

from db import charts, indicators
from db.caseload import client_towns
from db.indicators import Period
from db.kpis import kpis
from db.users import staff_with_role
from db.vocabulary import PlanMetric, Role
from pages.common import current_actor, get_db, shown_errors

actor = current_actor()
db = get_db()

st.title("Lagebild")

with st.expander("Filter", expanded=False, icon=":material/filter_list:"):
    cols = st.columns(3)
    default = (date.today() - timedelta(weeks=10), date.today())
    chosen = cols[0].date_input("Zeitraum", value=default, format="DD.MM.YYYY", key="dash_period")
    start, end = chosen if isinstance(chosen, tuple) and len(chosen) == 2 else default
    town = cols[1].selectbox("Wohnort", client_towns(db, actor), index=None, placeholder="alle",
                             key="dash_town")
    companions = {c.id: c.display_name for c in staff_with_role(db, actor, Role.COMPANION)}
    companion_id = cols[2].selectbox("Begleitung", list(companions), format_func=companions.get,
                                     index=None, placeholder="alle", key="dash_companion")
period = Period(start=start, end=end, town=town, companion_id=companion_id)

with shown_errors():
    figures = kpis(db, actor, companion_id=companion_id)
    plan = indicators.plan_now(db, actor)


def against_plan(value: int, metric: PlanMetric) -> str:
    target = plan.get(metric)
    return f"{value} / {target}" if target is not None else str(value)


tiles = st.columns(4)
tiles[0].metric("In Begleitung / Plan", against_plan(figures.active_cases + figures.employed,
                                                    PlanMetric.ACTIVE_CASES),
                help="In Begleitung und in Nachbetreuung, gegen den Plan des laufenden Monats")
tiles[1].metric("Erstgespräche geplant / Plan (Monat)",
                against_plan(figures.planned_first_interviews, PlanMetric.FIRST_INTERVIEWS))
tiles[2].metric("Neue Zuweisungen (offen)", figures.referred)
tiles[3].metric("Überfällige nächste Schritte", figures.overdue_next_steps)

# One chart per row: the labels stay readable on a tablet (800 px) as on a desk.
with shown_errors():
    for chart in (
        charts.intake_chart(indicators.intake(db, actor, period)),
        charts.capacity_chart(indicators.caseload_by_companion(db, actor, period)),
        charts.funnel_chart(indicators.funnel(db, actor, period)),
        charts.barriers_chart(indicators.barriers(db, actor, period)),
        charts.contacts_chart(indicators.contacts(db, actor, period)),
        charts.office_hours_chart(indicators.office_hours(db, actor, period)),
    ):
        st.altair_chart(charts.fitted(chart), width="stretch")
