"""Team & Stellen: companions and their caseload, funded positions, and the capacity ahead."""

import pandas as pd
import streamlit as st

from db.clock import today
from db.casework.team import (
    MAX_CAPACITY,
    PositionInput,
    capacity_forecast,
    companion_caseloads,
    list_positions,
    save_position,
)
from db.figures import alternatives, charts, series
from db.reporting.registry import label
from db.vocabulary import PositionState
from pages import narrow
from pages.ui.as_of import as_of_slot, show_as_of
from pages.ui.charts import show_chart
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import feedback, on_submit, show_flash, shown_errors
from pages.ui.formatting import fmt_date
from pages.ui.fields import date_field, number_field
from pages.ui.shown import plain

actor = current_actor()
db = get_db()
state = st.session_state

st.title("Team & Stellen")
as_of = as_of_slot()
show_flash()
with shown_errors():
    team = companion_caseloads(db, actor)
    positions = list_positions(db, actor)
    forecast = capacity_forecast(db, actor, months=12)

st.header("Integrationsbegleitung")
# Small tables as HTML tables: cells wrap instead of being cut off ("Mittel ab April in A…"), and
# screen readers read them as tables with headers; on a phone one block per row.
narrow.table(pd.DataFrame([{
    # What the lead looks for first comes first: on a tablet the right-hand columns scroll away.
    "Name": c.name,
    label("participants"): c.accompanied,
    "Kapazität": c.cap_label,
    "Zulauf: " + label("planned_first_interviews"): c.planned,
    "Zulauf: " + label("interviews_outcome_missing"): c.outcome_missing,
    "Beginn": fmt_date(c.start_date),
    "Gegen die Kapazität": c.state.text or "–",
} for c in team]), "team")
st.caption("Gegen die Kapazität zählen die Teilnehmenden (In Begleitung und Nachbetreuung; höchstens "
           "20 je Vollzeitstelle). Vereinbarte Erstgespräche sind Zulauf und stehen daneben.")
# Over the cap, or over it once the inflow starts: db.casework.team decides, the page says it.
for c in team:
    if c.state.marked:
        st.warning(plain(c.mark_text), icon=":material/group:")
show_chart(alternatives.capacity_text, charts.capacity_chart, series.team_capacity(team, today()),
           "Begleitung")

st.header("Stellen")
narrow.table(pd.DataFrame([{
    "Stelle": p.title,
    "Stand": p.state.label,
    "Finanziert ab": fmt_date(p.funded_from),
    "Besetzt mit": p.holder_name or "–",
    "Im Dienst ab": fmt_date(p.working_from),
    "Kapazität": p.capacity,
    "Hinweis": p.note or "–",
} for p in positions]), "positions")

show_chart(alternatives.forecast_text, charts.forecast_chart, forecast)

st.header("Stelle bearbeiten")
by_id = {p.id: p for p in positions}
choice = st.selectbox("Stelle", [None, *by_id], key="position_choice",
                      format_func=lambda i: "Neue Stelle" if i is None else by_id[i].title)
position = by_id.get(choice)
holders = {c.id: c.name for c in team}
form_key = f"position_{choice or 'new'}"
feedback(form_key)
with st.form(form_key, border=True):
    cols = st.columns(2)
    cols[0].text_input("Bezeichnung", value=position.title if position else "", key=f"{form_key}_title")
    states = list(PositionState)
    cols[1].selectbox("Stand", states, format_func=lambda s: s.label, key=f"{form_key}_state",
                      index=states.index(position.state) if position else states.index(PositionState.FUNDED))
    date_field("Finanziert ab", position.funded_from if position else None, key=f"{form_key}_funded",
               where=cols[0], field="funded_from")
    number_field(f"Kapazität (Teilnehmende, höchstens {MAX_CAPACITY})",
                 position.capacity if position else MAX_CAPACITY, key=f"{form_key}_capacity", where=cols[1],
                 field="capacity")
    options = [None, *holders]
    cols[0].selectbox("Besetzt mit", options, format_func=lambda i: "–" if i is None else holders[i],
                      index=options.index(position.holder_id) if position and position.holder_id in holders else 0,
                      key=f"{form_key}_holder")
    cols[1].text_input("Hinweis", value=(position.note or "") if position else "", key=f"{form_key}_note")

    def save() -> None:
        save_position(db, actor, PositionInput(
            title=state[f"{form_key}_title"], state=state[f"{form_key}_state"],
            funded_from=state[f"{form_key}_funded"], capacity=int(state[f"{form_key}_capacity"]),
            holder_id=state[f"{form_key}_holder"], note=state[f"{form_key}_note"]), choice)

    st.form_submit_button("Stelle speichern", type="primary",
                          **on_submit(save, "Stelle gespeichert.", key=form_key))

show_as_of(as_of)
