"""Lists on a phone: the same rows as cards where a desk shows a grid (WCAG 1.4.10 Reflow).

Streamlit draws on the server and does not know the screen's width, and its table grid is a
canvas that scrolls sideways on a phone (a companion saw Status and Fällig, not whose row it
was). A page therefore draws both views of a short list into two keyed containers, and the
browser shows one of them by the screen's width: `desk(key)` from 481 px, `phone(key)` up to
480 px. The hidden view is `display: none`, so it is neither seen nor read out, nor reachable
by keyboard. Every list goes one of two ways, and either way it is one block per row on a phone
(or the page's own cards, e.g. with a link to each case), nothing to scroll sideways however many
columns it has: `table`, an HTML table at a desk that wraps its text (every column in view), or
`grid`, Streamlit's grid at a desk for long lists and rows picked by a click. Labels Streamlit
would cut off with an ellipsis wrap at every width.

The menu on a phone (`fold_menu_after_choice`): below Streamlit's own breakpoint (768 px, its
theme's `md`) the sidebar lies over the page, and Streamlit folds it after a choice only when
the browser's user agent says "mobile" – a phone asking for the desktop site, a tablet or a
narrow window kept it open over the new page (three taps per page: open, choose, close).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from pages.ui.shown import Shown, md, md_join, shown_frame

PHONE_MAX_PX = 480
# Streamlit's breakpoint (theme `md`): narrower, its sidebar is an overlay that starts folded.
SIDEBAR_OVERLAY_BELOW_PX = 768

_STYLE = f"""<style>
/* Labels Streamlit cuts to one line with an ellipsis – a link in the work list, a tile's label
   or value ("nicht ausgewiesen (Geheimhaltung)"), a button naming a person, a toggle – wrap instead: no word of them is lost (WCAG 1.4.10). */
[data-testid=stMain] [data-testid=stPageLink-NavLink] span,
[data-testid=stMain] [data-testid=stMetricLabel], [data-testid=stMain] [data-testid=stMetricLabel] *,
[data-testid=stMain] [data-testid=stMetricValue], [data-testid=stMain] [data-testid=stMetricValue] *,
[data-testid=stMain] button [data-testid=stMarkdownContainer],
[data-testid=stMain] button [data-testid=stMarkdownContainer] *,
[data-testid=stMain] label [data-testid=stMarkdownContainer],
[data-testid=stMain] label [data-testid=stMarkdownContainer] * {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: break-word;
}}
@media (min-width: {PHONE_MAX_PX + 1}px) {{ [class*="-phone-view"] {{ display: none !important; }} }}
@media (max-width: {PHONE_MAX_PX}px) {{
  [class*="-desk-view"] {{ display: none !important; }}
  [data-testid="stTable"] table {{ width: 100%; }}
  [data-testid="stTable"] th, [data-testid="stTable"] td {{ white-space: normal; overflow-wrap: anywhere; }}
  /* A block's long word (an e-mail address, a list of changed fields) breaks rather than runs off. */
  [class*="-phone-view"] [data-testid=stMarkdownContainer] {{ overflow-wrap: anywhere; }}
}}
</style>"""


def narrow_styles() -> None:
    """The two views' rule; once per run, before any page."""
    st.html(_STYLE)


# A choice in the menu – by tap, click or Enter, all of them a click on its link – folds the menu
# wherever the menu lies over the page. Streamlit's own handler runs first (on its root) and
# navigates; the fold waits for its render, then uses the menu's own close button, so the menu's
# state stays Streamlit's. pages/focus.py then puts the focus on the new page's heading.
_FOLD_MENU = f"""<script>
(() => {{
  if (window.__cockpitFoldMenu) return;
  window.__cockpitFoldMenu = true;
  document.addEventListener("click", (event) => {{
    if (window.innerWidth >= {SIDEBAR_OVERLAY_BELOW_PX}) return;
    const link = event.target instanceof Element
      && event.target.closest("[data-testid=stSidebarNav] a");
    if (!link) return;
    setTimeout(() => {{
      const sidebar = document.querySelector("[data-testid=stSidebar]");
      if (!sidebar || sidebar.dataset.collapsed === "true") return;
      const close = sidebar.querySelector("[data-testid=stSidebarCollapseButton] button");
      if (close) close.click();
    }}, 0);
  }});
}})();
</script>"""


def fold_menu_after_choice() -> None:
    """Once per run, before any page: one tap per page change on a phone."""
    st.html(_FOLD_MENU, unsafe_allow_javascript=True)


@contextmanager
def desk(key: str) -> Iterator[None]:
    with st.container(key=f"{key}-desk-view"):
        yield


@contextmanager
def phone(key: str) -> Iterator[None]:
    with st.container(key=f"{key}-phone-view", gap="small"):
        yield


def blocks(frame: pd.DataFrame) -> Shown:
    """The rows as Markdown blocks, one per row: the first column in bold, then "Spalte: Wert"
    lines; every value shown as text."""
    columns = [str(c) for c in frame.columns]
    out = []
    for row in frame.itertuples(index=False):
        first, *rest = (str(v) for v in row)
        out.append(md_join("  \n", [md("**{first}**", first=first),
                                     *(md("{column}: {value}", column=c, value=v)
                                       for c, v in zip(columns[1:], rest, strict=True))]))
    return md_join("\n\n---\n\n", out)


def table(frame: pd.DataFrame, key: str, *, hide_index: bool = True,
          cards: Callable[[], None] | None = None) -> None:
    """A short list: an HTML table from 481 px that wraps its text, every column in view; one
    block per row on a phone, or the page's `cards`. A named index is shown as the first column.
    The one way to an st.table: it renders every cell as Markdown, so every text is escaped (a
    cell already Shown, e.g. md(":red[{day}]"), stays as it is)."""
    with desk(key):
        st.table(shown_frame(frame), hide_index=hide_index)
    _on_a_phone(frame if hide_index else frame.reset_index(), key, cards)


def grid(frame: pd.DataFrame, view: str, *, cards: Callable[[], None] | None = None,
         **dataframe: Any) -> Any:
    """A long list: Streamlit's grid from 481 px (its own scroll box downwards, sorting, a row
    picked by a click with on_select); one block per row on a phone, or the page's `cards`.
    `view` names the two views; `dataframe` goes to st.dataframe (its `key` too). Cells are
    shown as typed. Returns what st.dataframe returns."""
    with desk(view):
        picked = st.dataframe(frame, hide_index=True, width="stretch", **dataframe)
    _on_a_phone(frame, view, cards)
    return picked


def _on_a_phone(frame: pd.DataFrame, key: str, cards: Callable[[], None] | None) -> None:
    with phone(key):
        if cards is None:
            st.markdown(blocks(frame))
        else:
            cards()
