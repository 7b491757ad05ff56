"""Ergebnisse: what the Land judges the programme by – leavers and where they went, the
integration rate against the 25 % target, caseload against the cap, participants not counted –
and the funder's report as a download. For the team lead; definitions from the registry."""

import secrets

import pandas as pd
import streamlit as st

from db.accounts.users import staff_with_role
from db.casework.caseload import client_towns
from db.casework.entry import not_counted, not_counted_total
from db.casework.team import companion_caseloads
from db.figures import alternatives, charts
from db.clock import today
from db.figures.flows import programme_start
from db.reporting.formats import fmt_int, fmt_percent, plural
from db.reporting.registry import TARGET_RATE, Tile, definition, label
from db.results.indicators import summarised_leavers
from db.results.report import export_funder_report, leaver_table, reason_table, shown_cell
from db.vocabulary import Role
from pages import narrow
from pages.downloads import at_click
from pages.ui.as_of import as_of_slot, show_as_of
from pages.ui.charts import metric_tiles, show_chart
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import shown_errors
from pages.ui.formatting import fmt_date, yes_no
from pages.ui.forms import checked_period
from pages.ui.navigation import case_link, more_button, shown_limit
from pages.ui.fields import date_field
from pages.ui.shown import md, md_join

NOT_COUNTED_STEP = 20

actor = current_actor()
db = get_db()

st.title("Ergebnisse")
st.caption("Was das Land misst: Abgänge und ihr Verbleib nach 28 Tagen und sechs Monaten, der "
           f"Anteil in Arbeit oder Ausbildung (Ziel {fmt_percent(TARGET_RATE)}), die Fallzahl je "
           "Begleitung (höchstens 20 je Vollzeitstelle).")
as_of = as_of_slot()

with st.expander("Zeitraum und Filter", expanded=False, icon=":material/filter_list:"):
    first = programme_start(db) or today()
    row = st.columns(2)
    start = date_field("Abgänge von", first, key="results_from", where=row[0])
    end = date_field("bis", today(), key="results_to", where=row[1])
    row = st.columns(2)
    town = row[0].selectbox("Wohnort", client_towns(db, actor), index=None, placeholder="alle",
                            key="results_town")
    companions = {c.id: c.display_name for c in staff_with_role(db, actor, Role.COMPANION)}
    companion_id = row[1].selectbox("Begleitung", list(companions), format_func=companions.get,
                                    index=None, placeholder="alle", key="results_companion")
start, end = checked_period(start, end)
period = f"{fmt_date(start)} bis {fmt_date(end)}"

with shown_errors():
    summary = summarised_leavers(db, actor, companion_id, town, ended_from=start, ended_to=end)
    figures = summary.figures
    missing_total = not_counted_total(db, actor)
    team = companion_caseloads(db, actor)

metric_tiles([
    Tile(label("exits"), fmt_int(figures.leavers), f"{definition('exits')} Zeitraum: {period}."),
    Tile(label("integration_rate"), fmt_percent(figures.rate, none="noch keine Abgänge"),
         f"{definition('integration_rate')} Zeitraum: {period}."),
    Tile(label("exits_work_or_training"), fmt_int(figures.into_work_or_training), definition("exits_work_or_training")),
    Tile(label("exits_minijob"), fmt_int(figures.minijob), definition("exits_minijob")),
    Tile(label("exits_result_pending"), fmt_int(figures.result_pending), definition("exits_result_pending")),
    Tile(label("exits_result_unknown"), fmt_int(figures.result_unknown), definition("exits_result_unknown")),
    Tile(label("six_month_rate"), fmt_percent(figures.six_month_rate, none="noch offen"),
         definition("six_month_rate")),
    Tile(label("average_days"), "–" if figures.average_days is None else
         f"{fmt_int(round(figures.average_days))} Tage", definition("average_days")),
    Tile(label("incomplete_participants"), fmt_int(missing_total), definition("incomplete_participants")),
])
if figures.rate is not None:
    gap = figures.rate - TARGET_RATE
    (st.success if gap >= 0 else st.warning)(
        f"Anteil in Arbeit oder Ausbildung: {fmt_percent(figures.rate)} – "
        + (f"{fmt_percent(gap)} über dem Ziel." if gap >= 0 else f"{fmt_percent(-gap)} unter dem Ziel."))

quarters = summary.quarters
if quarters["rate"].notna().any():
    show_chart(alternatives.rate_text, charts.rate_chart, quarters, TARGET_RATE)

st.header("Nach Geschlecht")
split = summary.by_gender
table = leaver_table(split)
shown = pd.DataFrame([[shown_cell(name, v) for v in row] for name, row in zip(table.index, table.to_numpy(), strict=True)],
                     index=table.index.rename("Abgänge"), columns=table.columns, dtype=object)
narrow.table(shown, "by_gender", hide_index=False)

st.header("Abgänge nach Beendigungsgrund")
narrow.table(reason_table(split)[["Gesamt"]].rename(columns={"Gesamt": label("exits")})
             .rename_axis("Beendigungsgrund"), "by_reason", hide_index=False)

st.header("Fallzahl je Begleitung")
# Over the cap, or over it once the inflow starts (db.casework.team decides): one warning, a
# line each – forty companions marked were forty elements on every run.
if marked := [c.mark_text for c in team if c.state.marked]:
    st.warning(md_join("  \n", marked), icon=":material/group:")
narrow.table(pd.DataFrame([{"Name": c.name, label("participants"): c.accompanied, "Kapazität": c.cap_label,
                            "Zulauf (Erstgespräche)": c.inflow, "Über der Kapazität": yes_no(c.over_cap)}
                           for c in team]), "caseload")
st.caption(definition("companions_over_cap"))

st.header("Nicht zählbar")
if not missing_total:
    st.success("Alle Teilnehmenden haben vollständige Eintrittsdaten.")
else:
    st.caption(f"{plural(missing_total, 'Person zählt', 'Personen zählen')} für das Land nicht, "
               "bis die Kerndaten ergänzt sind. Geordnet nach Beginn der Begleitung, die frühesten zuerst.")
    # Every person, NOT_COUNTED_STEP at a time ("Mehr anzeigen"), each one link to the case that
    # says what is missing: one element a person (fifty bordered cards with columns and a button
    # each were half of a run).
    with shown_errors():
        missing, missing_total = not_counted(db, actor, limit=shown_limit("results_not_counted", NOT_COUNTED_STEP))
    for row in missing:
        case_link(row.case_id, md("**{name}** · {companion} · seit {day} · fehlt: {what}", name=row.client_name,
                                  companion=row.companion or "ohne Begleitung", day=fmt_date(row.start_date),
                                  what=", ".join(row.missing)))
    more_button("results_not_counted", NOT_COUNTED_STEP, len(missing), missing_total)

st.header("Bericht für das Land")
st.caption(f"Teilnehmende, Indikatoren nach Geschlecht und Hinweise für {period} (Filter Wohnort und "
           "Begleitung gelten hier nicht: der Bericht umfasst das ganze Projekt). Enthält "
           "personenbezogene Daten; jeder Abruf wird protokolliert.")
suffix = st.session_state.setdefault("report_name_secret", secrets.token_hex(6))
cols = st.columns(3)
for column, (fmt, text, mime) in zip(cols, [
    ("xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("csv", "CSV", "text/csv"),
    ("pdf", "PDF (Indikatoren, eine Seite)", "application/pdf"),
], strict=True):
    column.download_button(text, key=f"report_{fmt}", icon=":material/download:", on_click="ignore",
                           data=at_click(db, lambda now, fmt=fmt: export_funder_report(db, now, start, end, fmt)),
                           file_name=f"teilnehmende-{start:%Y%m%d}-{end:%Y%m%d}-{suffix}.{fmt}", mime=mime)

show_as_of(as_of)
