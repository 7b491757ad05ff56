"""The accessibility statement (Erklärung zur Barrierefreiheit, BbgBITV): read from one text file
the Jobcenter edits, checked for the parts the Land's template requires.

The shipped file is db/data/barrierefreiheit.toml; ACCESSIBILITY_STATEMENT names another one.
A file that lacks a required part or is not valid TOML is refused with a German message naming
what is missing – a statement with a gap is not published half-way.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

from ..errors import DomainError

COMPLIANCE = {"vollständig": "vollständig vereinbar", "teilweise": "teilweise vereinbar",
              "nicht": "nicht vereinbar"}


class StatementError(DomainError):
    pass


@dataclass(frozen=True)
class Contact:
    text: str
    office: str
    address: str
    email: str
    phone: str = ""


@dataclass(frozen=True)
class Limitation:
    content: str
    reason: str


@dataclass(frozen=True)
class AccessibilityStatement:
    title: str
    introduction: str
    compliance: str  # a key of COMPLIANCE
    compliance_text: str
    prepared_on: date
    method: str
    limitations: list[Limitation]
    feedback: Contact
    enforcement: Contact


def statement_path(environ: Mapping[str, str] = os.environ) -> Path:
    configured = environ.get("ACCESSIBILITY_STATEMENT", "").strip()
    return Path(configured) if configured else Path(str(files("db") / "data" / "barrierefreiheit.toml"))


def _text(table: Mapping, key: str, where: str, missing: list[str], required: bool = True) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        missing.append(f"{where}{key}")
        return ""
    return " ".join(value.split())


def parse_statement(source: str) -> AccessibilityStatement:
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise StatementError(f"Die Erklärung zur Barrierefreiheit ist fehlerhaft geschrieben: {exc}") from exc
    missing: list[str] = []
    title, introduction = _text(data, "titel", "", missing), _text(data, "einleitung", "", missing)
    compliance = _text(data, "stand", "", missing)
    if compliance and compliance not in COMPLIANCE:
        missing.append("stand (vollständig, teilweise oder nicht)")
    prepared_on = date.min
    if written := _text(data, "erstellt_am", "", missing):
        try:
            prepared_on = datetime.strptime(written, "%d.%m.%Y").date()
        except ValueError:
            missing.append("erstellt_am (TT.MM.JJJJ)")
    limitations = []
    for n, item in enumerate(data.get("nicht_barrierefrei", []), start=1):
        where = f"nicht_barrierefrei[{n}]."
        limitations.append(Limitation(_text(item, "inhalt", where, missing), _text(item, "grund", where, missing)))
    if compliance != "vollständig" and not limitations:
        missing.append("nicht_barrierefrei (Inhalte und Gründe)")

    def contact(key: str) -> Contact:
        table = data.get(key, {})
        where = f"{key}."
        return Contact(_text(table, "text", where, missing), _text(table, "stelle", where, missing),
                       _text(table, "anschrift", where, missing), _text(table, "email", where, missing),
                       _text(table, "telefon", where, missing, required=False))

    statement = AccessibilityStatement(
        title=title, introduction=introduction,
        compliance=compliance, compliance_text=_text(data, "stand_text", "", missing),
        prepared_on=prepared_on, method=_text(data, "methode", "", missing), limitations=limitations,
        feedback=contact("feedback"), enforcement=contact("durchsetzung"))
    if missing:
        raise StatementError("In der Erklärung zur Barrierefreiheit fehlt: " + ", ".join(missing) + ".")
    return statement


def load_statement(path: Path | None = None) -> AccessibilityStatement:
    path = path or statement_path()
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StatementError(f"Die Erklärung zur Barrierefreiheit ({path}) ist nicht lesbar: {exc.strerror}.") from exc
    return parse_statement(source)


PLACEHOLDER = "einzutragen"  # how the shipped file marks what the Jobcenter must fill in


def placeholders(statement: AccessibilityStatement) -> list[str]:
    """The contact fields that still say "… einzutragen" (the shipped file's placeholders)."""
    found = []
    for key, contact in (("feedback", statement.feedback), ("durchsetzung", statement.enforcement)):
        for field, value in (("stelle", contact.office), ("anschrift", contact.address),
                             ("email", contact.email), ("telefon", contact.phone)):
            if PLACEHOLDER in value:
                found.append(f"{key}.{field}")
    return found
