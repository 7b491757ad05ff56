"""Cells a spreadsheet shows as typed: every Excel and CSV file that leaves the app (council
releases, the funder's report, the case export, a subject-access file) goes through here."""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A spreadsheet must show text as text: a leading = + - @ would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.map(safe_cell)
    out.index = [safe_cell(str(i)) for i in out.index]
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out
