"""Kreistag: the council briefing. Aggregates only; small counts are shown as "< 3"."""

from datetime import date, timedelta

import streamlit as st

from db import charts, export
from db.briefing import briefing_summary, briefing_tables, briefing_tiles
from db.indicators import Period
from pages.common import current_actor, get_db, shown_errors

actor = current_actor()
db = get_db()

st.title("Kreistag – Lagebericht Integrationsbegleitung")
default = (date.today() - timedelta(weeks=10), date.today())
chosen = st.date_input("Zeitraum", value=default, format="DD.MM.YYYY", key="council_period")
start, end = chosen if isinstance(chosen, tuple) and len(chosen) == 2 else default
period = Period(start=start, end=end)

with shown_errors():
    tiles = briefing_tiles(db, actor)
    summary = briefing_summary(db, actor)
    tables = briefing_tables(db, actor, period)
    figures = export.briefing_charts(db, actor, period)

for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
    column.metric(tile.label, tile.value)
st.info(summary)

stamp = f"{date.today():%Y-%m-%d}"
downloads = st.columns(3)
downloads[0].download_button(
    "Lagebericht als PDF", data=lambda: export.export_pdf(db, actor, period),
    file_name=f"lagebericht-integrationsbegleitung-{stamp}.pdf", mime="application/pdf",
    icon=":material/picture_as_pdf:", on_click="ignore", type="primary")
downloads[1].download_button(
    "Tabellen als Excel", data=lambda: export.export_xlsx(db, actor, period),
    file_name=f"lagebericht-tabellen-{stamp}.xlsx", icon=":material/table:", on_click="ignore",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
downloads[2].download_button(
    "Tabellen als CSV", data=lambda: export.export_csv(db, actor, period),
    file_name=f"lagebericht-tabellen-{stamp}.csv", mime="text/csv", icon=":material/csv:",
    on_click="ignore")

for figure in figures:
    st.altair_chart(charts.fitted(figure.chart), width="stretch")
    st.download_button("Grafik als PNG", data=lambda slug=figure.slug: export.export_png(db, actor, period, slug),
                       file_name=f"{figure.slug}-{stamp}.png", mime="image/png",
                       key=f"png_{figure.slug}", on_click="ignore", icon=":material/image:")

for table in tables:
    st.subheader(table.title)
    if table.table.empty:
        st.caption("Keine Daten im Zeitraum.")
    else:
        st.dataframe(table.table, width="stretch")
st.caption("Nur Summen, keine Personendaten. Werte von 1 oder 2 werden als „< 3“ ausgewiesen; "
           "weitere Werte sind verdeckt, wo eine Summe sie sonst verraten würde.")
