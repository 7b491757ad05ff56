"""Input checks shared by all service functions; each raises a ValidationError naming its field."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from .clock import today
from .errors import ValidationError

# Bidirectional overrides and isolates: "Anna\u202eredeirF" shows as something else than it is.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Text without control characters: PostgreSQL refuses NUL outright, and the others (bell,
    escape, backspace, bidi overrides …) only hide or garble what was typed. Line breaks and
    tabs stay in notes; in one-line fields (names, towns) they become spaces."""
    kept = "\n\t" if multiline else ""
    return "".join(
        ch if ch in kept or (unicodedata.category(ch) != "Cc" and ch not in BIDI_CONTROLS)
        else (" " if ch in "\n\r\t" else "")
        for ch in (value or "")
    ).strip()


T = TypeVar("T")


class Problems:
    """Collects every problem of a form, so one message names them all instead of the first."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.field: str | None = None

    def check(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            self.messages.append(exc.message)
            self.field = self.field or exc.field
            return None

    def raise_any(self) -> None:
        if self.messages:
            raise ValidationError(" ".join(self.messages), self.field)


def required_text(value: str | None, field: str, label: str, max_len: int = 120) -> str:
    text = clean_text(value)
    if not text:
        raise ValidationError(f"Bitte „{label}“ ausfüllen.", field=field)
    if len(text) > max_len:
        raise ValidationError(f"„{label}“ ist zu lang (höchstens {max_len} Zeichen).", field=field)
    return text


def optional_text(value: str | None, field: str, label: str, max_len: int = 4000) -> str | None:
    text = clean_text(value, multiline=True)
    if len(text) > max_len:
        raise ValidationError(f"„{label}“ ist zu lang (höchstens {max_len} Zeichen).", field=field)
    return text or None


def not_in_future(value: date, field: str, label: str) -> date:
    if value > today():
        raise ValidationError(f"„{label}“ darf nicht in der Zukunft liegen.", field=field)
    return value


def not_before(value: date, earliest: date | None, field: str, label: str, earliest_label: str) -> date:
    if earliest is not None and value < earliest:
        raise ValidationError(
            f"„{label}“ darf nicht vor {earliest_label} ({earliest:%d.%m.%Y}) liegen.", field=field
        )
    return value


def plausible_birth_year(value: int | None) -> int | None:
    if value is None:
        return None
    this_year = today().year
    if not 1920 <= value <= this_year - 14:
        raise ValidationError(
            f"Geburtsjahr muss zwischen 1920 und {this_year - 14} liegen.", field="birth_year"
        )
    return value


def positive_minutes(value: int | None) -> int | None:
    if value is None:
        return None
    if not 0 < value <= 24 * 60:
        raise ValidationError("Dauer muss zwischen 1 und 1440 Minuten liegen.", field="duration")
    return value


def require_unique_name(session: Session, column: InstrumentedAttribute[str], value: str,
                        record_id: int | None, message: str, field: str) -> None:
    """No second record with this name, whatever its capitals ("Guben" and "guben" are one)."""
    table_id = column.class_.id
    other = session.scalar(select(table_id).where(func.lower(column) == value.lower()))
    if other is not None and other != record_id:
        raise ValidationError(message, field=field)
