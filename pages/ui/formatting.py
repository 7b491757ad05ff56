"""German dates and yes/no, text shown safely as Markdown, and one colour per status."""

from __future__ import annotations

import re
from datetime import date, datetime

import streamlit as st

from db.validation import clean_text
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


def yes_no(value: bool) -> str:
    """A yes/no cell as a word: read aloud and printed alike (a tick box reads "true")."""
    return "ja" if value else "nein"


def fmt_day(value: date) -> str:
    return f"{WEEKDAYS[value.weekday()]}, {value:%d.%m.%Y}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|<>~$:^@])")


# "." and "=" are only active at a line's start ("1. " starts a list, "===" a heading).
_LINE_START = re.compile(r"(?m)^(\s*\d*)([.=])")


# Markdown turns a bare "www.x.de" or "http://…" into a link by itself; a zero-width space
# after "www" and in "://" keeps it text (it is invisible, and copying the name still works).
_AUTOLINK = re.compile(r"(?i)(www)(\.)|(:)(//)")


def plain(text: str | None) -> str:
    """User text shown as typed: no Markdown, no links or images, no HTML, no colour or KaTeX
    directives, no bare-URL links."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", clean_text(text, multiline=True))
    escaped = _LINE_START.sub(r"\1\\\2", escaped)
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(3)) + "\u200b" + (m.group(2) or m.group(4)), escaped)


def status_badge(status: CaseStatus) -> None:
    st.badge(status.label, color=STATUS_COLORS[status])  # type: ignore[arg-type]
