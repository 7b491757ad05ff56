"""Import & Export: bring an existing caseload in from a spreadsheet, take it out again.

Upload → preview with every problem by row and column → confirm. Nothing is written before the
confirmation, and then all rows or none.
"""

import hashlib
import secrets

import pandas as pd
import streamlit as st

from db.casework.caseload_io import (
    check_import,
    export_caseload,
    import_cases,
    read_upload,
    require_import_rights,
    template,
)
from db.clock import today
from db.errors import DomainError
from pages.downloads import at_click
from pages import narrow
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import show_flash, shown_errors
from pages.ui.privacy_panels import person_rights_panel, retention_panel
from pages.ui.shown import plain

actor = current_actor()
db = get_db()
state = st.session_state
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.title("Import & Export")
with shown_errors():
    require_import_rights(actor)
show_flash()

st.header("Bestehende Fälle übernehmen")
st.markdown(
    "1. Vorlage herunterladen und je Fall eine Zeile ausfüllen (die Beispielzeile ersetzen).  \n"
    "2. Datei hochladen und die Vorschau prüfen.  \n"
    "3. Übernehmen: alle Zeilen oder keine. Bereits übernommene Kundennummern werden übersprungen.")
cols = st.columns(2)
# Through at_click like every download: the server hands a file only to the session it was made
# for (pages/gateway.py), and a file made any other way to nobody.
cols[0].download_button("Vorlage als Excel", at_click(db, lambda _actor: template("xlsx")),
                        "vorlage-faelle.xlsx", XLSX,
                        icon=":material/download:", width="stretch", on_click="ignore")
cols[1].download_button("Vorlage als CSV", at_click(db, lambda _actor: template("csv")),
                        "vorlage-faelle.csv", "text/csv",
                        icon=":material/download:", width="stretch", on_click="ignore")

# A new key after each import empties the upload field (a file uploader cannot be reset otherwise).
upload = st.file_uploader("Datei mit Fällen (CSV oder Excel)", type=["csv", "xlsx"],
                          key=f"import_file_{state.get('import_round', 0)}")
if upload is not None:
    data = upload.getvalue()
    fingerprint = hashlib.sha256(data).hexdigest()
    try:
        frame = read_upload(upload.name, data)
        with shown_errors(), st.spinner("Datei wird geprüft …"):
            check = check_import(db, actor, frame)
    except DomainError as exc:
        st.error(plain(exc.message))
        check = None
    if check is not None:
        tiles = st.columns(3)
        tiles[0].metric("Neu anzulegen", len(check.rows))
        tiles[1].metric("Schon vorhanden", len(check.skipped))
        tiles[2].metric("Fehler", len(check.problems))
        if check.problems:
            st.error("Die Datei enthält Fehler. Bitte korrigieren und erneut hochladen – "
                     "es wurde nichts gespeichert.")
            narrow.grid(pd.DataFrame([{"Problem": p.message, "Zeile": p.row, "Spalte": p.column}
                                      for p in check.problems]), "import_problems")
        elif not check.rows:
            st.info("Alle Fälle dieser Datei sind bereits im Cockpit. Es gibt nichts zu übernehmen.")
        else:
            narrow.grid(pd.DataFrame([{
                "Name": f"{r.first_name} {r.last_name}", "Zeile": r.row, "Kundennummer": r.client_number,
                "Wohnort": r.town, "Status": r.status.label} for r in check.rows[:200]]), "import_rows")
            if len(check.rows) > 200:
                st.caption(f"Vorschau der ersten 200 von {len(check.rows)} Zeilen.")
            others = True
            if check.likely_known:
                # Only the sound of a name agrees: the lead decides, row by row in the file.
                st.warning(f"{len(check.likely_known)} Personen sind vermutlich schon erfasst. Ist es "
                           "dieselbe Person, bitte ihre Kundennummer in die Datei eintragen und erneut "
                           "hochladen.", icon=":material/person_search:")
                narrow.grid(pd.DataFrame([{
                    "Vermutlich": likely.known.match.name, "Zeile": likely.row,
                    "Kundennummer": likely.known.match.client_number, "Wohnort": likely.known.match.town,
                    "Warum": likely.known.reason} for likely in check.likely_known]), "import_likely")
                others = st.checkbox("Das sind andere Personen: trotzdem neu anlegen (wird protokolliert)",
                                     key=f"import_others_{fingerprint[:12]}")
            if st.button(f"{len(check.rows)} Fälle übernehmen", type="primary", key=f"import_{fingerprint[:12]}",
                         disabled=not others):
                with shown_errors(), st.spinner("Fälle werden übernommen …"):
                    result = import_cases(db, actor, frame, upload.name,
                                          confirmed_others=[likely.pair for likely in check.likely_known])
                state["flash"] = (f"{result.created} Fälle übernommen"
                                  + (f", {result.skipped} übersprungen." if result.skipped else "."))
                state["import_round"] = state.get("import_round", 0) + 1
                st.rerun()

st.header("Fälle exportieren")
st.caption("Alle laufenden Fälle in den Spalten der Vorlage. Der Export wird protokolliert.")
cols = st.columns(2)
# A random part in the name, fixed for the session: Streamlit serves a download under a hash of
# content and name, so the address of a personal export cannot be derived from its content.
secret = st.session_state.setdefault("export_name_secret", secrets.token_hex(6))
stamp = f"{today():%Y-%m-%d}-{secret}"
cols[0].download_button("Fälle als Excel", at_click(db, lambda now: export_caseload(db, now, "xlsx")),
                        f"faelle-{stamp}.xlsx", XLSX, icon=":material/table_view:", width="stretch",
                        on_click="ignore")
cols[1].download_button("Fälle als CSV", at_click(db, lambda now: export_caseload(db, now, "csv")),
                        f"faelle-{stamp}.csv", "text/csv", icon=":material/download:", width="stretch",
                        on_click="ignore")

retention_panel(db, actor)
person_rights_panel(db, actor)
