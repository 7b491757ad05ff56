"""Every stored text renders as text, on every page: an injection payload (Markdown link and
image, HTML, a bare link, a bidi override) is written into every free-text field a user or an
import can set – straight into the database, so no form's validation helps – and every page of
every role is rendered (AppTest). Each text the page hands to Streamlit's Markdown is then put
through a real Markdown parser (markdown-it, HTML and bare links on, the worst case): none may
come out as a link, an image or an HTML element."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from markdown_it import MarkdownIt
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

from .conftest import log_in

EVIL = "evil.example"
PAYLOAD = (f"Evi [Anmelden](https://{EVIL}/a) ![p](https://{EVIL}/p.png) <img src=https://{EVIL}/i.png> "
           f"<b>fett</b> https://{EVIL}/b \u202eexe.txt")
# Columns that are not free text: identifiers, enums, hashes, the login name.
NOT_TEXT = {"username", "password_hash", "hash", "prev_hash", "email"}
MARKDOWN = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["linkify", "table", "strikethrough"])
# Element kinds whose text Streamlit renders as Markdown (values of inputs are shown as typed).
MARKDOWN_VALUES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info",
                   "success", "toast", "exception"}


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
                   (User, User.id.in_([case.companion_id, case.case_manager_id]))]
        for model, where in targets:
            columns = _free_text_columns(model)
            assert columns, model
            for column in columns:
                # The row's id appended: unique columns (client number, employer name) stay unique.
                value = sa.literal(PAYLOAD + " ") + sa.cast(model.id, sa.String)
                session.execute(update(model).where(where).values({column.name: value}))
        people = {"companion": session.get(User, case.companion_id).username,
                  "case_manager": session.get(User, case.case_manager_id).username}
        case_id = case.id
    db.dispose()
    return case_id, people


def _texts(node) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(kind, text) of everything in the tree that Streamlit renders as Markdown: the bodies of
    Markdown-like elements and the labels of every widget, expander and tab."""
    found = []
    kind = getattr(node, "type", "")
    value = getattr(node, "value", None) if kind in MARKDOWN_VALUES else None
    if isinstance(value, str):
        found.append((kind, value))
    for attribute in ("label", "help", "placeholder"):
        try:
            text = getattr(node, attribute, None)
        except Exception:  # noqa: BLE001 - some elements compute these from protos they lack
            text = None
        if isinstance(text, str) and attribute == "label":
            found.append((f"{kind}.label", text))
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


@pytest.mark.parametrize("username", list(ROLE_PAGES))
def test_a_planted_payload_is_text_on_every_page(app, db_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    case_id, people = _plant(db_url)  # the case's own companion and case manager look at it
    log_in(app, people.get(username, username))
    assert not app.exception, app.exception
    seen_payload, active = False, []
    for page in ROLE_PAGES[username]:
        if page == "case":
            app.query_params["id"] = str(case_id)
        app.switch_page(f"pages/{page}.py").run()
        assert not app.exception, (page, app.exception)
        for kind, text in _texts(app._tree):
            seen_payload |= "Anmelden" in text and EVIL in text
            if problems := _active(text):
                active.append((page, kind, problems, text[:160]))
    assert not active, "\n".join(f"{page} · {kind} · {problems} · {text}" for page, kind, problems, text in active)
    if username in ("leitung", "companion", "case_manager"):  # the others see no names in text
        assert seen_payload, "the payload was shown nowhere: the test would prove nothing"
