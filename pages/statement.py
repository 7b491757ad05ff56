"""The accessibility statement as a page section: on its own page and on the login screen."""

from __future__ import annotations

import streamlit as st

from db.programme.accessibility import COMPLIANCE, Contact, StatementError, load_statement
from pages.ui.formatting import fmt_date
from pages.ui.shown import plain

# Markdown headings by level: a fixed table, so the heading marks are never built from data.
HEADING = {level: "#" * level for level in range(1, 7)}


def _contact(contact: Contact) -> None:
    st.markdown(plain(contact.text))
    lines = [plain(contact.office), plain(contact.address), f"E-Mail: {plain(contact.email)}"]
    if contact.phone:
        lines.append(f"Telefon: {plain(contact.phone)}")
    st.markdown("  \n".join(lines))


def show_statement(level: int = 1) -> None:
    """The statement in the structure of the Land's template; `level` is its title's heading
    level (1 on its own page, 2 below the login form), the sections one below."""
    try:
        statement = load_statement()
    except StatementError as exc:
        st.error(plain(exc.message))
        return
    title = HEADING[level]
    section = HEADING[level + 1]
    st.markdown(f"{title} {plain(statement.title)}")
    st.markdown(plain(statement.introduction))
    st.markdown(f"{section} Stand der Vereinbarkeit mit den Anforderungen")
    st.markdown(f"**{plain(COMPLIANCE[statement.compliance].capitalize())}.** {plain(statement.compliance_text)}")
    st.markdown(f"{section} Nicht barrierefreie Inhalte")
    for item in statement.limitations:
        st.markdown(f"**{plain(item.content)}**  \n{plain(item.reason)}")
    st.markdown(f"{section} Erstellung dieser Erklärung")
    st.markdown(f"Diese Erklärung wurde am {fmt_date(statement.prepared_on)} erstellt. {plain(statement.method)}")
    st.markdown(f"{section} Feedback und Kontaktangaben")
    _contact(statement.feedback)
    st.markdown(f"{section} Durchsetzungsverfahren")
    _contact(statement.enforcement)
