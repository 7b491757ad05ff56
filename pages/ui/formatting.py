"""German dates and yes/no, and one colour per status (user text: pages/ui/shown.py)."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from db.clock import as_local
from db.vocabulary import CaseStatus

WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]


# One colour per status, everywhere.
STATUS_COLORS: dict[CaseStatus, str] = {
    CaseStatus.REFERRED: "gray",
    CaseStatus.INTERVIEW_PLANNED: "blue",
    CaseStatus.ACTIVE: "green",
    CaseStatus.EMPLOYED: "violet",
    CaseStatus.CLOSED: "gray",
    CaseStatus.DECLINED: "orange",
    CaseStatus.NO_SHOW: "red",
    CaseStatus.PAUSED: "orange",
}


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


# A stored moment (UTC) is shown in Brandenburg's time, and where the zone matters its header
# says so: the banner and the column of one page then show the same clock time.
LOCAL_TIME = "Ortszeit"


def fmt_moment(value: datetime) -> str:
    """A stored moment to the second, in local time (summer or winter as on that day)."""
    return as_local(value).strftime("%d.%m.%Y %H:%M:%S")


def yes_no(value: bool) -> str:
    """A yes/no cell as a word: read aloud and printed alike (a tick box reads "true")."""
    return "ja" if value else "nein"


def fmt_day(value: date) -> str:
    return f"{WEEKDAYS[value.weekday()]}, {value:%d.%m.%Y}"


def status_badge(status: CaseStatus) -> None:
    st.badge(status.label, color=STATUS_COLORS[status])  # type: ignore[arg-type]
