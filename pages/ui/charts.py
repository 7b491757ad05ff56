"""Charts and metric tiles on a page, each chart also in words (alternatives)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from db.figures import charts
from db.figures.alternatives import ChartText
from db.reporting.registry import Tile
from pages import narrow
from pages.ui.fragments import in_page
from pages.ui.shown import md, plain


def show_chart(described: Callable[..., ChartText], draw: Callable[..., alt.TopLevelMixin], *args: object,
               text_args: tuple[object, ...] | None = None, key: str | None = None) -> None:
    """A chart as everybody can take it in: the drawing named and described for screen readers,
    its summary in words (described(*text_args), by default of the chart's own args) beneath,
    and its numbers as a table in "Daten zur Grafik".

    Spec and words are made once per content of the figures (charts.page_chart), and the
    spec's data turned into Arrow once per spec: a rerun only hands Streamlit what is ready."""
    chart = charts.page_chart(described, draw, *args, text_args=text_args)
    # Title and subtitle as text above the drawing: they wrap on a phone (Vega's own title is a
    # single line and ran off the screen).
    if chart.title:
        st.markdown(md("**{title}**", title=chart.title))
    if chart.subtitle:
        st.caption(plain(chart.subtitle))
    spec, datasets = _for_streamlit(chart.spec)
    st.vega_lite_chart({**json.loads(spec), "datasets": dict(datasets)}, width="stretch", key=key)
    st.caption(plain(chart.text.summary))
    chart_numbers(chart.text.table, key or "chart-" + hashlib.sha1(chart.text.name.encode()).hexdigest()[:10])


@in_page
def chart_numbers(table: pd.DataFrame, table_key: str) -> None:
    """"Daten zur Grafik": drawn only while somebody looks at them – Streamlit runs a lazy
    expander's content once it is opened (a rerun), not on every click elsewhere on the page
    (seven such tables were a sixth of a Lagebild rerun); and opening it reruns this fragment
    alone, not the page."""
    numbers = st.expander("Daten zur Grafik", key=f"{table_key}-daten", on_change="rerun")
    if numbers.open:
        with numbers:
            # An HTML table (read as a table, nothing cut off); one block per row on a phone,
            # where a week or month per column would run off the screen.
            narrow.table(table, table_key)


@functools.lru_cache(maxsize=256)
def _for_streamlit(spec: str) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    """The spec without its named datasets, and each dataset as the Arrow bytes Streamlit sends
    to the browser (it takes bytes as they are; rows it would convert on every rerun)."""
    parsed = json.loads(spec)
    datasets = tuple((name, dataframe_util.convert_anything_to_arrow_bytes(values))
                     for name, values in parsed.pop("datasets", {}).items())
    return json.dumps(parsed), datasets


def metric_tiles(tiles: list[Tile], per_row: int = 2) -> None:
    """Figures as tiles, a few to a row: labels and values are whole words ("Teilnehmende
    (Begleitung und Nachbetreuung)", "noch keine Abgänge") and must not be cut off."""
    for start in range(0, len(tiles), per_row):
        for column, tile in zip(st.columns(per_row), tiles[start:start + per_row], strict=False):
            column.metric(tile.label, plain(tile.value), help=plain(tile.help))
