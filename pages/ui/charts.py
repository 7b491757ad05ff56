"""Charts and metric tiles on a page, each chart also in words (alternatives)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import altair as alt
import streamlit as st

from db.figures import charts
from db.figures.alternatives import ChartText
from db.reporting.registry import Tile
from pages import narrow
from pages.ui.formatting import plain


def show_chart(text: ChartText, draw: Callable[..., alt.TopLevelMixin], *args: object,
               key: str | None = None) -> None:
    """A chart as everybody can take it in: the drawing named and described for screen readers,
    its summary in words beneath, and its numbers as a table in "Daten zur Grafik".

    draw(*args) is built and validated once per content of the figures (charts.page_spec); a
    rerun hands Streamlit the finished spec."""
    spec = json.loads(charts.page_spec(draw, *args, description=text.description))
    st.vega_lite_chart(spec, width="stretch", key=key)
    st.caption(plain(text.summary))
    with st.expander("Daten zur Grafik"):
        # An HTML table (read as a table, nothing cut off); one block per row on a phone, where a
        # week or month per column would run off the screen.
        narrow.table(text.table, key or "chart-" + hashlib.sha1(text.name.encode()).hexdigest()[:10])


def metric_tiles(tiles: list[Tile], per_row: int = 2) -> None:
    """Figures as tiles, a few to a row: labels and values are whole words ("Teilnehmende
    (Begleitung und Nachbetreuung)", "noch keine Abgänge") and must not be cut off."""
    for start in range(0, len(tiles), per_row):
        for column, tile in zip(st.columns(per_row), tiles[start:start + per_row], strict=False):
            column.metric(tile.label, tile.value, help=tile.help)
