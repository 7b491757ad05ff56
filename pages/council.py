"""Kreistag: the council briefing for a fixed, ended period. Everything shown here comes from the
protected tables of db.figures.council – small counts and what would reveal them are hidden."""

from datetime import date

import streamlit as st

from db.figures import export
from db.figures.alternatives import council_text
from db.figures.council import council_briefing, offered
from db.figures.disclosure import MARKS_EXPLAINED
from db.figures.periods import Granularity
from pages.common import current_actor, get_db, metric_tiles, plain, show_chart, shown_errors

actor = current_actor()
db = get_db()

st.title("Kreistag – Lagebericht")
st.caption("Integrationsbegleitung im Jobcenter Spree-Neiße: nur Summen, keine Personendaten")

with shown_errors():
    periods = offered(db, actor)
if not periods:
    st.info("Noch ist kein Kalendermonat seit Programmstart abgeschlossen – der erste Lagebericht "
            "ist nach dem Ende des ersten Monats verfügbar.")
    st.stop()

kinds = [g for g in Granularity if any(p.granularity is g for p in periods)]
choice = st.columns(2)
kind = choice[0].selectbox("Art des Zeitraums", kinds, format_func=lambda g: g.label, key="council_kind")
in_kind = [p for p in periods if p.granularity is kind]
period = choice[1].selectbox("Zeitraum (abgeschlossen)", in_kind, format_func=lambda p: p.label,
                             key=f"council_period_{kind.name}")

with shown_errors():
    briefing = council_briefing(db, actor, period.key)
assert briefing is not None  # periods exist, so a briefing does


st.header(f"Stand heute ({briefing.as_of:%d.%m.%Y})")
metric_tiles(briefing.stock_tiles)
st.header(f"Zeitraum: {period.label}")
st.caption(period.span)
metric_tiles(briefing.period_tiles)
st.info(plain(briefing.summary))

stamp = f"{period.key}-stand-{date.today():%Y-%m-%d}"
downloads = st.columns(3)
downloads[0].download_button(
    "Lagebericht als PDF", data=lambda: export.export_pdf(db, actor, period.key),
    file_name=f"lagebericht-integrationsbegleitung-{stamp}.pdf", mime="application/pdf",
    icon=":material/picture_as_pdf:", on_click="ignore", type="primary")
downloads[1].download_button(
    "Tabellen als Excel", data=lambda: export.export_xlsx(db, actor, period.key),
    file_name=f"lagebericht-tabellen-{stamp}.xlsx", icon=":material/table:", on_click="ignore",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
downloads[2].download_button(
    "Tabellen als CSV", data=lambda: export.export_csv(db, actor, period.key),
    file_name=f"lagebericht-tabellen-{stamp}.csv", mime="text/csv", icon=":material/csv:",
    on_click="ignore")

figures = {f.slug: f for f in export.briefing_charts(briefing)}
for table in briefing.tables:
    st.header(table.title)
    st.caption(plain(table.explanation))
    shown = table.table.shown().rename_axis(table.row_title).reset_index()
    # Every row visible without scrolling, the row names in full.
    st.dataframe(shown, width="stretch", hide_index=True, height=35 * (len(shown) + 1) + 3,
                 column_config={table.row_title: st.column_config.TextColumn(width="large")})
    if table.table.hidden:  # what the marks mean, under every table that has one
        st.caption(MARKS_EXPLAINED)
    if figure := figures.get(table.slug):
        show_chart(figure.chart, council_text(figure.title, table.table), key=f"chart_{figure.slug}")
        st.download_button(f"Grafik „{figure.title}“ als PNG", key=f"png_{figure.slug}", icon=":material/image:",
                           data=lambda slug=figure.slug: export.export_png(db, actor, period.key, slug),
                           file_name=f"{figure.slug}-{stamp}.png", mime="image/png", on_click="ignore")
st.caption(export.PUBLISHED_ONLY)
