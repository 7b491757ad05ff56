"""Termine: the coming first interviews and due next steps, day by day."""

import itertools
from datetime import timedelta

import streamlit as st

from db.accounts.users import staff_with_role
from db.casework.agenda import agenda, agenda_counts
from db.casework.cases import change_status
from db.casework.corrections import undo_status_change
from db.casework.results_tasks import TASK_LABELS, result_tasks
from db.clock import today as local_today
from db.vocabulary import CaseStatus, Role
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import feedback, on_submit, show_flash, shown_errors
from pages.ui.formatting import fmt_date, fmt_day
from pages.ui.navigation import more_button, open_case_button, shown_limit
from pages.ui.shown import plain

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
days = st.segmented_control("Zeitraum", [2, 7, 14, 28], default=2, key="agenda_days",
                            format_func=lambda d: "Heute und morgen" if d == 2 else f"{d:d} Tage") or 2

with shown_errors():
    counts = agenda_counts(db, actor, companion_id=companion_id, days=days)
st.markdown(f"**{counts.overdue_steps:d} überfällig · {counts.outcome_missing:d} Ergebnis fehlt · "
            f"{counts.interviews:d} Erstgespräche**" + (" (heute und morgen)" if days == 2 else f" ({days:d} Tage)"))

# After an interview was marked, the case is one click away (barriers, first notes), and a
# wrong tap can be taken back the same day.
if last := st.session_state.get("agenda_last_case"):
    last_id, last_name, last_version = last
    cols = st.columns([2, 1, 1])
    cols[0].caption(f"Zuletzt bearbeitet: {plain(last_name)}")
    with cols[1]:
        open_case_button(last_id, key="agenda_last_open", label=f"Fall {last_name} öffnen")
    cols[2].button(f"Rückgängig – {plain(last_name)}", key="agenda_undo", icon=":material/undo:", **on_submit(
        lambda: undo(last_id, last_version), f"Statuswechsel von {last_name} rückgängig gemacht.",
        key="agenda_undo"))
    feedback("agenda_undo")


def mark(case_id: int, version: int, name: str, status: CaseStatus) -> None:
    version = change_status(db, actor, case_id, version, status)
    st.session_state["agenda_last_case"] = (case_id, name, version)


def undo(case_id: int, version: int) -> None:
    undo_status_change(db, actor, case_id, version)
    st.session_state.pop("agenda_last_case", None)


def task_list() -> None:
    """Aufgaben from the results: missing exit results, six-month follow-ups, paused cases due."""
    with shown_errors():
        tasks, counts = result_tasks(db, actor, companion_id=companion_id, limit=20)
    if not tasks:
        return
    st.header("Aufgaben")
    st.caption(" · ".join(f"{n:d} × {TASK_LABELS[kind]}" for kind, n in counts.items() if n))
    for task in tasks:
        with st.container(border=True):
            cols = st.columns([3, 2, 1])
            cols[0].markdown(f"**{task.label}** · {plain(task.client_name)}"
                             + (f" · {plain(task.companion)}" if actor.role == Role.LEAD and task.companion else ""))
            cols[1].markdown(("bis " if task.kind == "exit_result" else "fällig seit ") + fmt_date(task.due))
            with cols[2]:
                open_case_button(task.case_id, key=f"task_{task.kind}_{task.case_id}",
                                 label=f"Fall {task.client_name} öffnen")


task_list()

with shown_errors():
    items = agenda(db, actor, companion_id=companion_id, days=days,
                   limit=shown_limit("agenda", AGENDA_STEP))
if not items:
    st.info("Keine Termine und keine fälligen Schritte in diesem Zeitraum. Weitere Tage: "
            "Zeitraum oben wählen.")
    st.stop()

today = local_today()
# Everything before today under one heading ("Überfällig"), then day by day. "Heute" is always
# there (the anchor #heute), with a word if nothing is due today.
by_day = {day: list(group) for day, group in
          itertools.groupby(items, key=lambda i: max(i.day, today - timedelta(days=1)))}
by_day.setdefault(today, [])
for day in sorted(by_day):
    if day < today:
        st.header("Überfällig", anchor="ueberfaellig")
    else:
        st.header(("Heute · " if day == today else "") + fmt_day(day),
                     anchor="heute" if day == today else None)
    if not by_day[day]:
        st.caption("Heute keine Termine und keine fälligen Schritte.")
    for item in by_day[day]:
        key = f"agenda_{item.kind}_{item.case_id}"
        name = item.client_name
        with st.container(border=True):
            if item.kind == "interview":
                when = f"{item.at:%d.%m. %H:%M}" if item.outcome_missing else f"{item.at:%H:%M}"
                st.markdown(("⚠ **Ergebnis fehlt** · " if item.outcome_missing else "")
                            + f"**{when}** · Erstgespräch · **{plain(name)}** · {plain(item.place)}"
                            + (f" · {plain(item.companion)}" if companion_id is None and actor.role == Role.LEAD else ""))
                cols = st.columns(3)
                held_now = item.day <= today  # an outcome can be entered from the interview's day on
                if held_now:
                    cols[0].button(f"Fand statt – {plain(name)}", key=f"{key}_held", type="primary",
                                   width="stretch", **on_submit(
                                       lambda i=item: mark(i.case_id, i.version, i.client_name, CaseStatus.ACTIVE),
                                       f"Erstgespräch mit {name} am {fmt_date(item.day)} fand statt – "
                                       "jetzt in Begleitung.", key=key))
                    cols[1].button(f"Nicht erschienen – {plain(name)}", key=f"{key}_noshow", width="stretch",
                                   **on_submit(
                                       lambda i=item: mark(i.case_id, i.version, i.client_name, CaseStatus.NO_SHOW),
                                       f"{name}: zum Erstgespräch am {fmt_date(item.day)} nicht erschienen.",
                                       key=key))
                with cols[2 if held_now else 0]:
                    open_case_button(item.case_id, key=f"{key}_open", label=f"Fall {name} öffnen")
            else:
                st.markdown(("⚠ **überfällig** seit " if item.overdue else "fällig ")
                            + f"{fmt_date(item.day)} · **{plain(name)}** · {plain(item.text)}")
                with st.columns(3)[0]:
                    open_case_button(item.case_id, key=f"{key}_open", label=f"Fall {name} öffnen")
            feedback(key)

more_button("agenda", AGENDA_STEP, len(items))
