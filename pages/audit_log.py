"""Protokoll: who viewed or changed what, for the data protection officer and the admins."""

import pandas as pd
import streamlit as st

from db.privacy.audit_review import (
    ACTION_LABELS,
    AuditFilter,
    actions,
    audit_entries,
    chain_status,
    entity_label,
    field_label,
)
from pages import narrow
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import shown_errors
from pages.ui.formatting import LOCAL_TIME, fmt_moment
from pages.ui.fields import date_field
from pages.ui.shown import md, plain

actor = current_actor()
db = get_db()

st.title("Protokoll")
st.caption("Jede Ansicht und Änderung von Personendaten, jede Anmeldung und jeder Export. Das "
           "Protokoll enthält keine Personendaten selbst, nur welche Felder sich geändert haben. "
           "Auch diese Suche wird protokolliert.")

with shown_errors():
    check = chain_status(db, actor)
    known_actions = actions(db, actor)
if check.broken_at is None:
    newest = (md(" Neuester Eintrag: Nr. {id} vom {when} ({zone}), Prüfwert {hash} – mit der "
                 "Ankerdatei und den Sicherungen vergleichbar.", id=check.head.id,
                 when=fmt_moment(check.head.at), zone=LOCAL_TIME, hash=check.head.hash[:16])
              if check.head else "")
    st.success(f"Protokoll unverändert: {check.entries:d} Einträge, Hash-Kette vollständig.{newest}",
               icon=":material/verified:")
else:
    st.error(f"Protokoll verändert ab Eintrag {check.broken_at:d}: {plain(check.problem)}. Bitte die IT und "
             "die Datenschutzbeauftragte informieren.", icon=":material/gpp_bad:")

with st.form("audit_filter"):
    row1 = st.columns(3)
    number = row1[0].text_input("Kundennummer", max_chars=32)
    user = row1[1].text_input("Benutzername", max_chars=64)
    action = row1[2].selectbox("Aktion", known_actions, index=None, placeholder="alle",
                               format_func=lambda a: ACTION_LABELS.get(a, a))
    row2 = st.columns(3)
    start = date_field("von", where=row2[0])
    end = date_field("bis", where=row2[1])
    searched = st.form_submit_button("Suchen", type="primary")

if searched:
    with shown_errors():
        rows = audit_entries(db, actor, AuditFilter(number, user, action or "", start, end))
    st.caption(f"{len(rows)} Einträge (die neuesten zuerst, höchstens 200).")
    # One block per entry on a phone: time, who, what, where and which fields, nothing sideways.
    narrow.grid(pd.DataFrame([{
        f"Zeitpunkt ({LOCAL_TIME})": fmt_moment(r.at), "Benutzer": r.username,
        "Aktion": ACTION_LABELS.get(r.action, r.action),
        "Bereich": entity_label(r.entity), "Datensatz": r.entity_id if r.entity_id is not None else "–",
        "Felder": ", ".join(f"{field_label(k)}: {v}" for k, v in (r.changes or {}).items()) or "–",
    } for r in rows]), "audit")
