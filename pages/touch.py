"""Touch targets on a phone: at least 44 × 44 CSS px (WCAG 2.5.5) for what a finger does most –
the buttons of a page (saving, a status change, "… zuweisen"), the one-tap choices (pills,
radio options), the links that open a case, the page row's links (pages/narrow.page_row, shown
below 768 px), and the phone number, which dials.

Streamlit draws its buttons 40 px high and a radio option or a link as tall as its text (the
phone number was an 83 × 21 px link). One style (STYLE, shown by app.py with the others in every run): up to pages/narrow.PHONE_MAX_PX
every such target gets the height and width; the phone number at every width (a desk with a
softphone clicks it too). tests/test_taps.py measures the boxes at 390 px.
"""

from __future__ import annotations

from pages.narrow import PAGE_ROW_KEY, PHONE_MAX_PX

TOUCH_PX = 44

STYLE = f"""<style>
[data-testid=stMain] a[href^="tel:"] {{
  display: inline-flex; align-items: center; min-height: {TOUCH_PX}px; min-width: {TOUCH_PX}px;
}}
.st-key-{PAGE_ROW_KEY} [data-testid=stPageLink-NavLink] {{
  min-height: {TOUCH_PX}px; min-width: {TOUCH_PX}px; align-items: center;
}}
@media (max-width: {PHONE_MAX_PX}px) {{
  [data-testid=stMain] button[data-testid^=stBaseButton],
  [data-testid=stMain] [data-testid=stButtonGroup] button {{ min-height: {TOUCH_PX}px; min-width: {TOUCH_PX}px; }}
  [data-testid=stMain] [data-testid=stPageLink-NavLink] {{ min-height: {TOUCH_PX}px; align-items: center; }}
  [data-testid=stMain] [data-testid=stRadio] label {{ min-height: {TOUCH_PX}px; align-items: center; }}
}}
</style>"""
