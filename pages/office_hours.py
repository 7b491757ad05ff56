"""Sprechstunden: the places, the coming dates, held sessions; leads keep the places."""

from datetime import date, time

import pandas as pd
import streamlit as st

from db.clock import today
from db.programme.locations import (
    LocationInput,
    has_started,
    held_sessions,
    list_locations,
    record_office_hours,
    save_location,
    upcoming_sessions,
)
from db.vocabulary import LocationStatus, Role
from db.validation import required_day
from pages import narrow
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import feedback, on_submit, show_flash, shown_errors
from pages.ui.formatting import WEEKDAYS, fmt_date, fmt_day
from pages.ui.fields import date_field, number_field

actor = current_actor()
db = get_db()
state = st.session_state


def hours(start: time | None, end: time | None) -> str:
    return f"{start:%H:%M}–{end:%H:%M} Uhr" if start and end else "–"


st.title("Sprechstunden")
show_flash()
with shown_errors():
    places = list_locations(db, actor)

narrow.table(pd.DataFrame([{
    "Ort": p.town,
    "Räumlichkeit": p.venue or "noch offen",
    "Stand": p.status.label,
    "Ab": fmt_date(p.start_date),
    "Wochentag": WEEKDAYS[p.weekday] if p.weekday is not None else "–",
    "Uhrzeit": hours(p.time_from, p.time_to),
} for p in places]), "places")

st.header("Nächste Termine (4 Wochen)")
coming = upcoming_sessions(places, today(), days=28)
if coming:
    narrow.table(pd.DataFrame([{
        "Datum": fmt_day(s.on), "Ort": s.town, "Räumlichkeit": s.venue or "–",
        "Uhrzeit": hours(s.time_from, s.time_to)} for s in coming]), "coming")
else:
    st.info("In den nächsten vier Wochen sind keine Sprechstunden geplant.")

if actor.role not in (Role.COMPANION, Role.LEAD):
    st.stop()  # case managers see where and when; recording is the companions' work

st.header("Gehaltene Sprechstunde erfassen")
started = {p.id: p.town for p in places if has_started(p, today())}
feedback("held")
with st.form("held_form", border=True):
    cols = st.columns(4)
    cols[0].selectbox("Ort", list(started), format_func=started.get, key="held_place")
    date_field("Datum", today(), key="held_on", where=cols[1], field="held_on")
    number_field("Besucher:innen", 0, key="held_visitors", where=cols[2], field="visitors")
    number_field("daraus Erstgespräche", 0, key="held_first", where=cols[3], field="first_interviews")
    st.text_input("Notiz (ohne Namen)", key="held_note", max_chars=1000)
    st.form_submit_button("Sprechstunde speichern", type="primary", **on_submit(
        lambda: record_office_hours(db, actor, state["held_place"], required_day(state["held_on"], "held_on", "Datum"),
                                    int(state["held_visitors"]), int(state["held_first"]),
                                    state["held_note"]),
        "Sprechstunde gespeichert.", key="held",
        reset={"held_visitors": 0, "held_first": 0, "held_note": ""}))

with shown_errors():
    held = held_sessions(db, actor, limit=20)
if held:
    st.markdown("**Zuletzt gehalten**")
    narrow.table(pd.DataFrame([{
        "Datum": fmt_date(h.held_on), "Ort": h.town, "Besucher:innen": h.visitors,
        "Erstgespräche": h.first_interviews, "Erfasst von": h.companion or "–",
        "Notiz": h.note or ""} for h in held]), "held")

if actor.role != Role.LEAD:
    st.stop()

st.header("Standorte pflegen")
by_id = {p.id: p for p in places}
choice = st.selectbox("Standort", [None, *by_id], key="place_choice",
                      format_func=lambda i: "Neuer Standort" if i is None else by_id[i].town)
place = by_id.get(choice)
form_key = f"place_{choice or 'new'}"
feedback(form_key)
with st.form(form_key, border=True):
    cols = st.columns(2)
    cols[0].text_input("Ort", value=place.town if place else "", key=f"{form_key}_town")
    cols[1].text_input("Räumlichkeit", value=(place.venue or "") if place else "", key=f"{form_key}_venue")
    statuses = list(LocationStatus)
    cols[0].selectbox("Stand", statuses, format_func=lambda s: s.label, key=f"{form_key}_status",
                      index=statuses.index(place.status) if place else 1)
    date_field("Ab", place.start_date if place else None, key=f"{form_key}_start", where=cols[1])
    cols = st.columns(3)
    cols[0].selectbox("Wochentag", [None, *range(7)], key=f"{form_key}_weekday",
                      index=(place.weekday + 1) if place and place.weekday is not None else 0,
                      format_func=lambda d: "–" if d is None else WEEKDAYS[d])
    cols[1].time_input("Beginn", value=place.time_from if place else None, step=900,
                       key=f"{form_key}_from")
    cols[2].time_input("Ende", value=place.time_to if place else None, step=900, key=f"{form_key}_to")

    def save() -> None:
        start: date | None = state[f"{form_key}_start"]
        save_location(db, actor, LocationInput(
            town=state[f"{form_key}_town"], venue=state[f"{form_key}_venue"],
            status=state[f"{form_key}_status"], start_date=start,
            weekday=state[f"{form_key}_weekday"], time_from=state[f"{form_key}_from"],
            time_to=state[f"{form_key}_to"]), choice)

    st.form_submit_button("Standort speichern", type="primary",
                          **on_submit(save, "Standort gespeichert.", key=form_key))
