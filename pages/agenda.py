"""Termine: the coming first interviews and due next steps, day by day."""

import itertools

import streamlit as st

from db.agenda import agenda
from db.cases import change_status
from db.results.tasks import TASK_LABELS, result_tasks
from db.users import staff_with_role
from db.vocabulary import CaseStatus, Role
from pages.common import (
    current_actor,
    feedback,
    fmt_date,
    fmt_day,
    get_db,
    more_button,
    on_submit,
    open_case_button,
    plain,
    show_flash,
    shown_errors,
    shown_limit,
)

actor = current_actor()
db = get_db()

AGENDA_STEP = 40
st.title("Termine")
show_flash()

companion_id = None
if actor.role == Role.LEAD:
    companions = {c.id: c.display_name for c in staff_with_role(db, actor, Role.COMPANION)}
    companion_id = st.selectbox("Begleitung", list(companions), format_func=companions.get,
                                index=None, placeholder="alle", key="agenda_companion")
days = st.segmented_control("Zeitraum", [7, 14, 28], default=14, format_func=lambda d: f"{d} Tage",
                            key="agenda_days") or 14

# After an interview was marked as held, the case is one click away (barriers, first notes).
if last := st.session_state.get("agenda_last_case"):
    last_id, last_name = last
    cols = st.columns([3, 1])
    cols[0].caption(f"Zuletzt bearbeitet: {plain(last_name)}")
    with cols[1]:
        open_case_button(last_id, key="agenda_last_open")


def mark(case_id: int, version: int, name: str, status: CaseStatus) -> None:
    change_status(db, actor, case_id, version, status)
    st.session_state["agenda_last_case"] = (case_id, name)


def task_list() -> None:
    """Aufgaben from the results: missing exit results, six-month follow-ups, paused cases due."""
    with shown_errors():
        tasks, counts = result_tasks(db, actor, companion_id=companion_id, limit=20)
    if not tasks:
        return
    st.subheader("Aufgaben")
    st.caption(" · ".join(f"{n} × {TASK_LABELS[kind]}" for kind, n in counts.items() if n))
    for task in tasks:
        with st.container(border=True):
            cols = st.columns([3, 2, 1])
            cols[0].markdown(f"**{task.label}** · {plain(task.client_name)}"
                             + (f" · {plain(task.companion)}" if actor.role == Role.LEAD and task.companion else ""))
            cols[1].markdown(("bis " if task.kind == "exit_result" else "fällig seit ") + fmt_date(task.due))
            with cols[2]:
                open_case_button(task.case_id, key=f"task_{task.kind}_{task.case_id}")


task_list()

with shown_errors():
    items = agenda(db, actor, companion_id=companion_id, days=days,
                   limit=shown_limit("agenda", AGENDA_STEP))
if not items:
    st.info("Keine Termine und keine fälligen Schritte in diesem Zeitraum.")
    st.stop()

for day, group in itertools.groupby(items, key=lambda i: i.day):
    st.subheader(fmt_day(day))
    for item in group:
        key = f"agenda_{item.kind}_{item.case_id}"
        with st.container(border=True):
            cols = st.columns([1, 3, 2, 2] if item.kind == "interview" else [1, 3, 3, 1])
            if item.kind == "interview":
                cols[0].markdown(f"**{item.at:%H:%M}**")
                cols[1].markdown(f"Erstgespräch · **{plain(item.client_name)}** · {item.place}"
                                 + (f" · {plain(item.companion)}" if companion_id is None and actor.role == Role.LEAD else ""))
                cols[2].button("Fand statt", key=f"{key}_held", type="primary", width="stretch",
                               **on_submit(
                                   lambda i=item: mark(i.case_id, i.version, i.client_name,
                                                       CaseStatus.ACTIVE),
                                   f"Erstgespräch mit {item.client_name} fand statt – jetzt in Begleitung.",
                                   key=key))
                cols[3].button("Nicht erschienen", key=f"{key}_noshow", width="stretch", **on_submit(
                    lambda i=item: mark(i.case_id, i.version, i.client_name, CaseStatus.NO_SHOW),
                    f"{item.client_name}: nicht erschienen.", key=key))
            else:
                cols[0].markdown("⚠ **überfällig**" if item.overdue else "fällig")
                cols[1].markdown(f"**{plain(item.client_name)}** · {plain(item.text)}")
                with cols[3]:
                    open_case_button(item.case_id, key=f"{key}_open", label="Öffnen")
            feedback(key)

more_button("agenda", AGENDA_STEP, len(items))
