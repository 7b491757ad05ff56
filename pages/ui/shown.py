"""The one way text reaches an element Streamlit renders as Markdown (markdown, captions, alerts,
toasts, titles, labels, help texts, st.table cells): `Shown`, a str that only `plain` and `md`
build. `plain` escapes what a user typed; `md` fills a literal Markdown template with escaped
values; `md_join` joins escaped parts; `shown_frame` makes a table whose every header, index and cell is escaped
(kept by the frame's content, `kept_by_cells`).
tests/test_shown_text.py refuses any other argument to such an element in pages/ and app.py.

Elements that show text as typed (select-box and multiselect options, st.dataframe cells, chart
labels) take the raw text: escaping there would show the backslashes."""

from __future__ import annotations

import functools
import hashlib
import io
import numbers
import pickle
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

import pandas as pd

from db.validation import clean_text

# Only plain and md hold this: Shown("…") anywhere else is refused.
_BUILT = object()

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|<>~$:^@])")

# "." and "=" are only active at a line's start ("1. " starts a list, "===" a heading). A list
# number is ASCII digits in Markdown (and \d would be any Unicode digit).
_LINE_START = re.compile(r"(?m)^(\s*[0-9]*)([.=])")

# Markdown turns a bare "www.x.de" or "http://…" into a link by itself; a zero-width space
# after "www" and in "://" keeps it text (it is invisible, and copying the name still works).
_AUTOLINK = re.compile(r"(?i)(www)(\.)|(:)(//)")

# Text with none of the characters the three above act on ("Synth Begleitung 12", "nein", "20";
# "www" and "://" need "." or ":") is shown as it is: one search instead of three substitutions
# (a page's tables pass a thousand cells a run through plain).
_ANYTHING_TO_ESCAPE = re.compile(r"[\\`*_{}\[\]()#+\-!|<>~$:^@.=]")

# A template's placeholders: {name}, nothing else (no attribute access, no format spec).
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Shown(str):
    """Text safe to render as Markdown. Built only by plain() and md(); joining or adding to a
    plain str gives a plain str again, which the static test does not accept."""

    __slots__ = ()

    def __new__(cls, text: str, built: object = None) -> Shown:
        if built is not _BUILT:
            raise TypeError("Shown entsteht nur über plain() oder md()")
        return super().__new__(cls, text)


def plain(text: object) -> Shown:
    """User text shown as typed: no Markdown, no links or images, no HTML, no colour or KaTeX
    directives, no bare-URL links. Text that is already Shown stays as it is (never escaped
    twice); None is the empty text, anything else its str()."""
    if isinstance(text, Shown):
        return text
    raw = "" if text is None else text if isinstance(text, str) else str(text)
    cleaned = clean_text(raw, multiline=True)
    if _ANYTHING_TO_ESCAPE.search(cleaned) is None:
        return Shown(cleaned, _BUILT)
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", cleaned)
    escaped = _LINE_START.sub(r"\1\\\2", escaped)
    escaped = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(3)) + "\u200b" + (m.group(2) or m.group(4)),
                            escaped)
    return Shown(escaped, _BUILT)


def md(template: str, /, **values: object) -> Shown:
    """A literal Markdown template ("**{name}** · seit {day}") with every value escaped by
    plain(); a value that is already Shown goes in as it is."""
    names = set(_PLACEHOLDER.findall(template))
    if names != set(values):
        raise ValueError(f"template fields {sorted(names)} != values {sorted(values)}")
    return Shown(_PLACEHOLDER.sub(lambda m: plain(values[m.group(1)]), template), _BUILT)


def md_join(separator: str, parts: Iterable[object], /) -> Shown:
    """Parts joined by a literal Markdown separator (" · ", "  \\n"); each part escaped by
    plain() unless it is already Shown."""
    return Shown(separator.join(plain(part) for part in parts), _BUILT)


_TEXT = pd.Series(["text"]).dtype  # pandas' default for a column of text ("str")


def _cells(frame: pd.DataFrame) -> bytes | None:
    """A frame's content as a key: its labels, dtypes and every value with its type – "a*b" as
    str and as Shown are equal but shown differently (escaped or not), as are 1, 1.0 and True.
    Pickled by pickle's own C code (a Python tuple per cell cost twice as much) without its memo:
    the bytes depend on the values only. None for a frame too large to keep, or with a value
    that cannot be pickled."""
    if frame.size > KEPT_CELLS:
        return None
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    try:
        pickler.dump((frame.columns.name, frame.index.name, frame.columns.tolist(), frame.index.tolist(),
                      tuple(map(str, frame.dtypes)), tuple(map(str, (frame.columns.dtype, frame.index.dtype))),
                      frame.to_numpy(dtype=object).tolist()))
    except (pickle.PicklingError, TypeError, AttributeError, ValueError):
        return None
    return hashlib.blake2b(out.getbuffer(), digest_size=20).digest()


KEPT_CELLS = 2_000  # larger frames are made anew (the lead's tables: a few hundred cells)
KEPT_FRAMES = 64
R = TypeVar("R")


def kept_by_cells(fn: Callable[[pd.DataFrame], R]) -> Callable[[pd.DataFrame], R]:
    """fn(frame) once per content of the frame: the lead's tables (caseloads of fifty companions,
    the indicators by gender) are the same on run after run until the figures change, and
    escaping every cell for both views of a table was a fifth of an Ergebnisse run. The result is
    handed out as it is: a Shown is a str, and a frame made for st.table is only read."""
    kept: OrderedDict[bytes, R] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(fn)
    def cached(frame: pd.DataFrame) -> R:
        key = _cells(frame)
        if key is not None:
            with lock:
                if key in kept:
                    kept.move_to_end(key)
                    return kept[key]
        made = fn(frame)
        if key is not None:
            with lock:
                kept[key] = made
                while len(kept) > KEPT_FRAMES:
                    kept.popitem(last=False)
        return made

    return cached


@kept_by_cells
def shown_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as st.table may draw it: st.table renders every header, index value and cell as
    Markdown, so each text becomes plain(); numbers stay numbers (right-aligned, no markup)."""
    def cell(value: object) -> object:
        return value if _inert(value) else plain(value)

    # Text columns (object, pandas' default str) as lists rather than by DataFrame.map, which
    # is most of the cost of a case list's table; the frame and its types come out the same
    # (other column types, which pandas converts its own way, by map as before).
    def column(values: pd.Series) -> object:
        if len(values) and (values.dtype == object or values.dtype == _TEXT):
            return [cell(v) for v in values.tolist()]
        return values.map(cell).array

    shown = pd.DataFrame({position: column(frame.iloc[:, position]) for position in range(frame.shape[1])},
                         index=frame.index)
    shown.columns = pd.Index([cell(c) for c in frame.columns], name=cell(frame.columns.name))
    shown.index = pd.Index([cell(i) for i in frame.index], name=cell(frame.index.name))
    return shown


def _inert(value: object) -> bool:
    """Values that cannot carry markup: numbers, dates, missing values."""
    if isinstance(value, str):
        return False
    return isinstance(value, numbers.Number | date) or bool(pd.isna(value))
