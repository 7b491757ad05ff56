"""Date and number fields that never replace what was typed.

Streamlit's browser side refuses a date or number outside the widget's min/max (an English
"Date set outside allowed range") and keeps sending the previous value: a save then stores
something else than the field shows. Given the widest bounds the widget can hold, every typed
value reaches the server, and the rules in db/ refuse it with a German message naming the
field and the allowed range. Every date and number input of the app is made here
(tests/test_typed_values.py checks that no page calls st.date_input or st.number_input itself).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from pages.ui.shown import Shown

# What a DD.MM.YYYY field can show: nothing typed in it lies outside.
WIDEST_DAY = (date(1, 1, 1), date(9999, 12, 31))


def date_field(label: Shown, value: date | None = None, *, key: str | None = None, where: Any = st, **kwargs: Any) -> date | None:
    """A German date field (DD.MM.YYYY) without a range of its own: the range is a rule in db/."""
    return where.date_input(label, value=value, min_value=WIDEST_DAY[0], max_value=WIDEST_DAY[1],
                            format="DD.MM.YYYY", key=key, **kwargs)


def number_field(label: Shown, value: int | None = None, *, key: str | None = None, where: Any = st,
                 **kwargs: Any) -> int | None:
    """A whole-number field without min/max (Streamlit's bounds are then the widest a browser
    counts exactly): a value out of range is refused by the rule in db/, never replaced."""
    return where.number_input(label, value=value, step=kwargs.pop("step", 1), key=key, **kwargs)
