"""Every stored text renders as text, on every page: an injection payload (Markdown link and
image, HTML, bare links, a colour directive, KaTeX, a bidi override) is written into every
free-text field a user or an import can set – straight into the database, so no form's
validation helps – and every page of every role is rendered (AppTest). Each text the page hands
to Streamlit's Markdown (bodies, alerts, toasts, labels, help texts, metric values, and every
header, index value and cell of an st.table, which Streamlit renders as Markdown too) is then
put through a real Markdown parser (markdown-it, HTML and bare links on, the worst case) and
searched for Streamlit's own directives: none may come out as a link, an image, an HTML
element, coloured text or a formula. st.dataframe cells are drawn as text (a canvas): there the
payload must stand as typed, in no link or image column."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from .helpers import streamlit_markdown
from sqlalchemy import select, update

from db.store.database import Database
from db.store.models import (
    Activity,
    Case,
    CaseBarrier,
    Client,
    Employer,
    OfficeHourLocation,
    OfficeHourSession,
    Placement,
    Position,
    StatusChange,
    User,
)
from db.vocabulary import CaseStatus

from .conftest import log_in, open_panels

EVIL = "evil.example"
PAYLOAD = (f"Evi [Anmelden](https://{EVIL}/a) ![p](https://{EVIL}/p.png) <img src=https://{EVIL}/i.png> "
           f"<b>fett</b> https://{EVIL}/b www.{EVIL} :red[rot] $x^2$ \u202eexe.txt")
# Streamlit's own Markdown extensions, active only where not escaped by a backslash.
_UNESCAPED = r"(?<!\\)(?:\\\\)*"
# The payload's own directive and formula, unescaped: the app's own markup (an overdue date in
# red) is not planted text.
DIRECTIVE = re.compile(_UNESCAPED + r":red\[rot\\?\]")
KATEX = re.compile(_UNESCAPED + r"\$x\\?\^2(?<!\\)\$")
# Columns that are not free text: identifiers, enums, hashes, the login name.
NOT_TEXT = {"username", "password_hash", "hash", "prev_hash", "email"}
MARKDOWN = streamlit_markdown()
# Element kinds whose text Streamlit renders as Markdown (values of inputs are shown as typed).
MARKDOWN_VALUES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info",
                   "success", "toast", "exception", "metric"}
ALERTS = {"error", "warning", "info", "success", "toast"}


def _free_text_columns(model: type) -> list[sa.Column]:
    return [column for column in model.__table__.columns
            if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)
            and column.name not in NOT_TEXT and not column.primary_key and not column.foreign_keys]


def _plant(url: str) -> tuple[int, dict[str, str]]:
    """The payload in every free-text field of one accompanied case and everything around it."""
    db = Database.from_url(url)
    with db.write() as session:
        case = session.scalars(select(Case).where(Case.status == CaseStatus.ACTIVE).order_by(Case.id)).first()
        targets = [(Client, Client.id == case.client_id), (Case, Case.id == case.id),
                   (Activity, Activity.case_id == case.id), (CaseBarrier, CaseBarrier.case_id == case.id),
                   (StatusChange, StatusChange.case_id == case.id), (Placement, Placement.case_id == case.id),
                   (Employer, sa.true()), (OfficeHourLocation, sa.true()), (OfficeHourSession, sa.true()), (Position, sa.true()),
                   (User, sa.true())]  # every account's name: the team, results and users tables
        for model, where in targets:
            columns = _free_text_columns(model)
            assert columns, model
            for column in columns:
                # The row's id appended: unique columns (client number, employer name) stay unique.
                value = sa.literal(PAYLOAD + " ") + sa.cast(model.id, sa.String)
                session.execute(update(model).where(where).values({column.name: value}))
        # A contact with an employer in this case (Arbeitgeber › Letzte Kontakte names the client),
        # and its companion over capacity (the alerts list names over the cap).
        employer_id = session.scalars(select(Employer.id).order_by(Employer.id)).first()
        session.execute(update(Activity).where(Activity.case_id == case.id).values(employer_id=employer_id))
        session.execute(update(User).where(User.id == case.companion_id).values(capacity=1))
        people = {"companion": session.get(User, case.companion_id).username,
                  "case_manager": session.get(User, case.case_manager_id).username}
        case_id = case.id
    db.dispose()
    return case_id, employer_id, people


def _table_texts(frame) -> list[str]:  # type: ignore[no-untyped-def]
    """Every header, index value and cell of an st.table: each rendered as Markdown."""
    return [str(v) for v in [*frame.columns, frame.columns.name, *frame.index, frame.index.name,
                             *frame.to_numpy().ravel()] if v is not None]


def _texts(node) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(kind, text) of everything in the tree that Streamlit renders as Markdown: the bodies of
    Markdown-like elements, the labels and help texts of every widget, expander and tab, and
    the cells of st.table."""
    found = []
    kind = getattr(node, "type", "")
    value = getattr(node, "value", None) if kind in MARKDOWN_VALUES else None
    if isinstance(value, str):
        found.append((kind, value))
    if kind == "table":
        found += [("table", text) for text in _table_texts(node.value)]
    for attribute in ("label", "help"):
        try:
            text = getattr(node, attribute, None)
        except Exception:  # noqa: BLE001 - some elements compute these from protos they lack
            text = None
        if isinstance(text, str):
            found.append((f"{kind}.{attribute}", text))
    for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
        found += _texts(child)
    return found


def _active(text: str) -> list[str]:
    html = MARKDOWN.render(text)
    problems = []
    if f'href="https://{EVIL}' in html or f"href=\"http://{EVIL}" in html:
        problems.append("Link")
    if "<img" in html:
        problems.append("Bild")
    if "<b>" in html:
        problems.append("HTML")
    if "\u202e" in html:
        problems.append("Bidi")
    if DIRECTIVE.search(text):
        problems.append("Farbe")
    if KATEX.search(text):
        problems.append("KaTeX")
    return problems


def _dataframes(node) -> list:  # type: ignore[no-untyped-def,type-arg]
    found = [node] if getattr(node, "type", "") == "dataframe" else []
    for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
        found += _dataframes(child)
    return found


def _grid_problems(grid) -> list[str]:  # type: ignore[no-untyped-def]
    """A grid draws cells as text; only a link or image column would make them active, and an
    escaped cell would show its backslashes."""
    problems = []
    config = json.loads(grid.proto.columns or "{}")
    for name, column in config.items():
        if (column.get("type_config") or {}).get("type") in ("link", "image"):
            problems.append(f"Spalte {name} als Link oder Bild")
    for text in _table_texts(grid.value):
        if "Anmelden" in text and "Anmelden](" not in text:
            problems.append(f"maskiert statt wie getippt: {text[:80]}")
    return problems


ROLE_PAGES = {
    "leitung": ["dashboard", "results", "cases", "case", "referrals", "agenda", "office_hours", "team",
                "employers", "caseload_import", "council", "account"],
    "companion": ["agenda", "cases", "case", "referrals", "office_hours", "employers", "account"],
    "case_manager": ["referrals", "case", "office_hours", "account"],
    "admin": ["users", "audit_log", "account"],
    "datenschutz": ["audit_log"],
    "kreistag": ["council"],
}


# Where the payload must appear – in an st.table, in an alert – so that a page which stops
# showing it (or the test's planting going astray) cannot pass unnoticed: the five pages of
# issue 39 (Sprechstunden, Team & Stellen, Ergebnisse, Benutzer, Arbeitgeber › Letzte Kontakte).
MUST_SHOW = {("leitung", "office_hours", "table"), ("companion", "office_hours", "table"),
             ("case_manager", "office_hours", "table"), ("leitung", "team", "table"),
             ("leitung", "team", "warning"), ("leitung", "results", "table"),
             ("leitung", "results", "warning"), ("leitung", "employers", "table"),
             ("companion", "employers", "table"), ("admin", "users", "table"),
             ("leitung", "employers", "dataframe"), ("companion", "employers", "dataframe")}


@pytest.mark.parametrize("username", list(ROLE_PAGES))
def test_a_planted_payload_is_text_on_every_page(app, db_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    case_id, employer_id, people = _plant(db_url)  # the case's own companion and case manager look at it
    log_in(app, people.get(username, username))
    assert not app.exception, app.exception
    seen: set[tuple[str, str, str]] = set()
    active = []
    for page in ROLE_PAGES[username]:
        if page == "case":
            app.query_params["id"] = str(case_id)
        if page == "employers":
            app.session_state["employers_pick"] = employer_id  # its detail: placements, contacts
        open_panels(app.switch_page(f"pages/{page}.py").run())  # the folded forms too
        assert not app.exception, (page, app.exception)
        for kind, text in _texts(app._tree):
            if "Anmelden" in text and EVIL in text:
                seen.add((username, page, kind))
            if problems := _active(text):
                active.append((page, kind, problems, text[:160]))
        for grid in _dataframes(app._tree):
            if any("Anmelden" in text for text in _table_texts(grid.value)):
                seen.add((username, page, "dataframe"))
            active += [(page, "dataframe", [problem], "") for problem in _grid_problems(grid)]
    assert not active, "\n".join(f"{page} · {kind} · {problems} · {text}" for page, kind, problems, text in active)
    missing = {where for where in MUST_SHOW if where[0] == username} - seen
    assert not missing, f"the payload was not shown where it must be: the test would prove nothing: {missing}"
    if username in ("leitung", "companion", "case_manager", "admin"):  # the others see no names
        assert seen, "the payload was shown nowhere: the test would prove nothing"
