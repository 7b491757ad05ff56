"""Date and number fields that never replace what was typed, and say beside themselves why a
save was refused.

Streamlit's browser side refuses a date or number outside the widget's min/max (an English
"Date set outside allowed range") and keeps sending the previous value: a save then stores
something else than the field shows. Given the widest bounds the widget can hold, every typed
value reaches the server, and the rules in db/ refuse it with a German message naming the
field and the allowed range. Every date and number input of the app is made here
(tests/test_typed_values.py checks that no page calls st.date_input or st.number_input itself).

A refusal names its field (DomainError.field, the rule's name for it). A field made with
`field=` (that name, or several) shows the message directly under itself on the run after a
refused save and takes the focus: on a phone the field a form names may be a screen or more
above the button that was pressed (tests/test_fields_browser.py measures it at 390 px). The
pairing is by form and field name – pages/ui/feedback.on_submit records the form of the button
that was pressed – so every form gets it without code of its own.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import date
from typing import Any

import streamlit as st
from streamlit.elements.lib.form_utils import current_form_id

from pages.ui.shown import Shown, plain

# What a DD.MM.YYYY field can show: nothing typed in it lies outside.
WIDEST_DAY = (date(1, 1, 1), date(9999, 12, 31))

# Session keys: the fields drawn in the last run ((form, field name) → widget key), and a
# refusal waiting to be shown beside its field.
_DRAWN = "_fields_drawn"
_REFUSED = "_field_refused::{form}::{field}"


def form_of(where: Any = st) -> str:
    """The id of the st.form an element drawn through `where` belongs to ("" outside a form)."""
    return current_form_id(st._main if where is st else where)


def forget_refusals() -> None:
    """In a click's callback, before its action: a refusal its field never showed (the page went
    elsewhere) must not turn up beside it later."""
    for name in [k for k in st.session_state if str(k).startswith(_REFUSED.partition("{")[0])]:
        del st.session_state[name]


def refusal_beside_field(form: str, field: str | None, message: object) -> bool:
    """In a click's callback: keep `message` for the field `field` of form `form`, if that field
    was on the page the click came from. False if there is none: the message stays under the form."""
    if not field:
        return False
    drawn = st.session_state.get(_DRAWN, {}).get((form, field))
    if drawn is None or drawn not in st.session_state:  # a widget not drawn last run is forgotten
        return False
    st.session_state[_REFUSED.format(form=form, field=field)] = message
    return True


# The field the message belongs to is scrolled to the middle of the screen (a phone's keyboard
# and Streamlit's header cover its edges), and the message takes the keyboard focus: a screen
# reader reads it, the next Tab goes on in the form.
_SHOW = """<script>
(() => {
  const nonce = "%(nonce)s";
  const attempt = (n) => {
    const message = document.querySelector(%(selector)s);
    if (!message) { if (n < 40) setTimeout(() => attempt(n + 1), 50); return; }
    const field = message.previousElementSibling || message;
    field.scrollIntoView({block: "center"});
    message.setAttribute("tabindex", "-1");
    message.focus({preventScroll: true});
  };
  attempt(0);
})();
</script>"""


def _beside(where: Any, key: str | None, field: str | Iterable[str] | None) -> None:
    """Register the field just drawn, and show a refusal waiting for it right under it."""
    if field is None or key is None:
        return
    form = form_of(where)
    names = (field,) if isinstance(field, str) else tuple(field)
    drawn = st.session_state.setdefault(_DRAWN, {})
    if len(drawn) > 200:  # a long session through many cases: keep what the last run drew
        drawn = st.session_state[_DRAWN] = {k: v for k, v in drawn.items() if v in st.session_state}
    for name in names:
        drawn[(form, name)] = key
    for name in names:
        message = st.session_state.pop(_REFUSED.format(form=form, field=name), None)
        if message is not None:
            slot = f"refused_{key}"
            where.container(key=slot).error(plain(str(message)), icon=":material/error:")
            st.html(_SHOW % {"selector": json.dumps(f".st-key-{slot}"), "nonce": secrets.token_hex(4)},
                    unsafe_allow_javascript=True)
            return


def date_field(label: Shown, value: date | None = None, *, key: str | None = None, where: Any = st,
               field: str | Iterable[str] | None = None, **kwargs: Any) -> date | None:
    """A German date field (DD.MM.YYYY) without a range of its own: the range is a rule in db/.
    `field`: the name(s) the rules in db/ give it, for a refusal shown beside it."""
    day = where.date_input(label, value=value, min_value=WIDEST_DAY[0], max_value=WIDEST_DAY[1],
                           format="DD.MM.YYYY", key=key, **kwargs)
    _beside(where, key, field)
    return day


def number_field(label: Shown, value: int | None = None, *, key: str | None = None, where: Any = st,
                 field: str | Iterable[str] | None = None, **kwargs: Any) -> int | None:
    """A whole-number field without min/max (Streamlit's bounds are then the widest a browser
    counts exactly): a value out of range is refused by the rule in db/, never replaced."""
    number = where.number_input(label, value=value, step=kwargs.pop("step", 1), key=key, **kwargs)
    _beside(where, key, field)
    return number
