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

The menu on a phone: below Streamlit's own breakpoint (768 px, its theme's `md`) the sidebar
lies over the page and starts folded – a page change cost two taps (open the menu, choose).
`page_row` draws the menu's pages once more, as a row of links above the page, shown only
below that breakpoint: one tap per page change. It takes the very list given to st.navigation
(app.py, by role) and shows what Streamlit's menu shows, the visible pages in their order,
under the menu's names; the current page is marked (aria-current="page", as in the
menu). Streamlit's own top navigation (`position="top"`) is no help here: below the same
breakpoint its frontend puts the menu back into the sidebar. The sidebar menu stays as it is,
and a choice there still folds it (`fold_menu_after_choice`): Streamlit does that only when the
browser's user agent says "mobile" – a phone asking for the desktop site, a tablet or a narrow
window kept it open over the new page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from pages.ui.shown import Shown, kept_by_cells, md, md_join, shown_frame

PHONE_MAX_PX = 480
# Streamlit's breakpoint (theme `md`): narrower, its sidebar is an overlay that starts folded.
SIDEBAR_OVERLAY_BELOW_PX = 768
# The keyed containers of the page row: the row, and its links' line, whose key says which of
# them is the current page ("page-row-current-2": the third; "…-none" on a page not listed).
PAGE_ROW_KEY = "page-row"
PAGE_ROW_CURRENT_KEY = "page-row-current"

STYLE = f"""<style>
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
/* The page row: only where the sidebar menu lies folded over the page; each link framed (its
   size: pages/touch.py), the current one as Streamlit marks it (shaded, bold). The menu's names
   without its icons: the lead's twelve pages take four lines on a phone, not six. */
@media (min-width: {SIDEBAR_OVERLAY_BELOW_PX}px) {{
  /* With the wrapper Streamlit puts around it: no gap left above the heading at a desk. */
  .st-key-{PAGE_ROW_KEY}, [data-testid=stLayoutWrapper]:has(> .st-key-{PAGE_ROW_KEY}) {{ display: none !important; }}
}}
.st-key-{PAGE_ROW_KEY} [data-testid=stPageLink-NavLink] {{
  margin: 0; border: 1px solid rgba(49, 51, 63, 0.2); padding-left: 0.6rem; padding-right: 0.6rem;
}}
/* Streamlit pulls a page link's box 6 px into its neighbours' (for a link as tall as its text);
   the row's links are 44 px tall and would overlap line by line. */
.st-key-{PAGE_ROW_KEY} [data-testid=stElementContainer] {{ margin: 0; }}
.st-key-{PAGE_ROW_KEY} [data-testid=stPageLink-NavLink] > span:has([data-testid=stIconMaterial]) {{ display: none; }}
.st-key-{PAGE_ROW_KEY} [data-testid=stPageLink-NavLink] span {{ white-space: nowrap !important; }}
@media (max-width: {PHONE_MAX_PX}px) {{
  [class*="-desk-view"] {{ display: none !important; }}
  [data-testid="stTable"] table {{ width: 100%; }}
  [data-testid="stTable"] th, [data-testid="stTable"] td {{ white-space: normal; overflow-wrap: anywhere; }}
  /* A block's long word (an e-mail address, a list of changed fields) breaks rather than runs off. */
  [class*="-phone-view"] [data-testid=stMarkdownContainer] {{ overflow-wrap: anywhere; }}
  /* A case card (pages/ui/navigation.case_card) is one link: framed as Streamlit frames a
     bordered container, its lines in the text's colour. */
  [class*="-phone-view"] [data-testid=stPageLink-NavLink] {{
    margin: 0; padding: 0.75rem 1rem; align-items: flex-start;
    border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem;
  }}
}}
</style>"""


# The page row's marks, kept up to date as Streamlit redraws it: aria-current="page" on the link
# its line's key names (Streamlit marks an st.page_link to the current page only by its look),
# and the row named as a navigation landmark.
#
# A choice in the menu – by tap, click or Enter, all of them a click on its link – folds the menu
# wherever the menu lies over the page. Streamlit's own handler runs first (on its root) and
# navigates; the fold waits for its render, then uses the menu's own close button, so the menu's
# state stays Streamlit's. pages/focus.py then puts the focus on the new page's heading.
_FOLD_MENU = f"""<script>
(() => {{
  if (window.__cockpitFoldMenu) return;
  window.__cockpitFoldMenu = true;
  const mark = () => {{
    const row = document.querySelector(".st-key-{PAGE_ROW_KEY}");
    if (!row) return;
    if (row.getAttribute("role") !== "navigation") {{
      row.setAttribute("role", "navigation");
      row.setAttribute("aria-label", "Seitenwahl");  // the sidebar menu is "Seiten"
    }}
    const line = row.querySelector('[class*="st-key-{PAGE_ROW_CURRENT_KEY}-"]');
    const at = line ? /st-key-{PAGE_ROW_CURRENT_KEY}-(\\d+)/.exec(line.className) : null;
    row.querySelectorAll("a[data-testid=stPageLink-NavLink]").forEach((link, index) => {{
      const here = at !== null && Number(at[1]) === index;
      if (here && link.getAttribute("aria-current") !== "page") link.setAttribute("aria-current", "page");
      if (!here && link.hasAttribute("aria-current")) link.removeAttribute("aria-current");
    }});
  }};
  // Only Streamlit's changes wake it (new elements, a container's key class); its own are neither.
  new MutationObserver(mark).observe(document.body, {{
    subtree: true, childList: true, attributes: true, attributeFilter: ["class"]}});
  mark();
  // Streamlit keeps the sidebar's last state for the next visit, at any width (localStorage
  // "stSidebarCollapsed-…"). Opened or folded where it lies over the page, that is no choice for
  // a desk (a folded menu on the next wide screen): the stored state is put back as it was.
  const STORED = "stSidebarCollapsed-";
  const TOGGLES = "[data-testid=stExpandSidebarButton], [data-testid=stSidebarCollapseButton], "
    + "[data-testid=stSidebarNav] a";
  let kept = null;  // the stored state before a toggle on a narrow screen
  const stored = () => Object.fromEntries(Object.keys(localStorage)
    .filter((key) => key.startsWith(STORED)).map((key) => [key, localStorage.getItem(key)]));
  const putBack = () => {{
    if (kept === null) return;
    try {{
      Object.keys(stored()).filter((key) => !(key in kept)).forEach((key) => localStorage.removeItem(key));
      Object.entries(kept).forEach(([key, value]) => localStorage.setItem(key, value));
    }} catch (e) {{ /* no storage: nothing kept either */ }}
    kept = null;
  }};
  const toggle = (event) => window.innerWidth < {SIDEBAR_OVERLAY_BELOW_PX}
    && event.target instanceof Element && event.target.closest(TOGGLES);
  // Before Streamlit's own handler (on its root): what was stored.
  document.addEventListener("click", (event) => {{
    if (!toggle(event) || kept !== null) return;
    try {{ kept = stored(); }} catch (e) {{ kept = null; }}
  }}, true);
  // After it: a choice in the menu folds the menu, and the stored state is put back.
  document.addEventListener("click", (event) => {{
    const target = toggle(event);
    if (!target) return;
    setTimeout(() => {{
      const sidebar = document.querySelector("[data-testid=stSidebar]");
      const close = sidebar && sidebar.querySelector("[data-testid=stSidebarCollapseButton] button");
      if (target.matches("[data-testid=stSidebarNav] a") && close && sidebar.dataset.collapsed !== "true")
        close.click();
      putBack();
    }}, 0);
  }});
}})();
</script>"""


def fold_menu_after_choice() -> None:
    """Once per run, before any page: the sidebar menu out of the way after a choice, the page
    row's marks."""
    st.html(_FOLD_MENU, unsafe_allow_javascript=True)


def page_row(menu: Sequence[StreamlitPage], current: StreamlitPage) -> None:
    """The menu's pages as one row of links above the page, below 768 px: one tap per page
    change. `menu` is the list given to st.navigation; shown is what its menu shows (the visible
    pages, and nothing for a single page). Each link is the page's own (title, icon), so the
    names cannot drift from the menu's; the key of their line says which is the current page's,
    which the script above marks with aria-current (a keyed container around each link would
    break the line's layout: Streamlit gives such a container less height than the link)."""
    listed = [page for page in menu if page.visibility == "visible"]
    if len(listed) < 2:
        return
    at = next((str(i) for i, page in enumerate(listed) if page is current), "none")
    with st.container(key=PAGE_ROW_KEY), \
            st.container(key=f"{PAGE_ROW_CURRENT_KEY}-{at}", horizontal=True, gap="xsmall"):
        for page in listed:
            st.page_link(page)


@contextmanager
def desk(key: str) -> Iterator[None]:
    with st.container(key=f"{key}-desk-view"):
        yield


@contextmanager
def phone(key: str) -> Iterator[None]:
    with st.container(key=f"{key}-phone-view", gap="small"):
        yield


@kept_by_cells  # the lead's tables are the same run after run until the figures change
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
