"""Input checks shared by all service functions; each raises a ValidationError naming its field."""

from __future__ import annotations

import re
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


# Unicode's control characters (category Cc: C0, DEL, C1) and the bidi controls: text without
# any of them is left as it is, stripped – one regex search instead of a look-up per character
# (every text a page shows passes here, pages.ui.shown.plain: thousands per Ergebnisse run).
_CONTROL_OR_BIDI = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Text without control characters: PostgreSQL refuses NUL outright, and the others (bell,
    escape, backspace, bidi overrides …) only hide or garble what was typed. Line breaks and
    tabs stay in notes; in one-line fields (names, towns) they become spaces."""
    if not value:
        return ""
    if _CONTROL_OR_BIDI.search(value) is None:
        return value.strip()
    kept = "\n\t" if multiline else ""
    return "".join(
        ch if ch in kept or (unicodedata.category(ch) != "Cc" and ch not in BIDI_CONTROLS)
        else (" " if ch in "\n\r\t" else "")
        for ch in (value or "")
    ).strip()


# The one way a number or an id is read from text (query parameters, spreadsheet cells, the
# environment): ASCII digits only. str.isdigit() is true for "²", "①" and "٣", and int() reads
# "٣" as 3 but raises on "²" – and takes " 1_0 " as 10. Every other spelling is no number.
_ASCII_DIGITS = frozenset("0123456789")
MAX_DIGITS = 18  # an id or count never has more; int() on a megabyte of digits costs seconds


def ascii_digits(text: object) -> str | None:
    """The text if it is nothing but ASCII digits 0–9 (leading zeros kept: a postcode), else None."""
    if not isinstance(text, str) or not text or len(text) > MAX_DIGITS or not set(text) <= _ASCII_DIGITS:
        return None
    return text


def ascii_number(text: object) -> int | None:
    """The whole number that text spells in ASCII digits 0–9, else None (no sign, no spaces)."""
    digits = ascii_digits(text)
    return int(digits) if digits is not None else None


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


# No date before this is a date of the programme, a birth or a consent: a typed "01.01.0019" is
# a slip, not a value to store. Date fields accept any date (pages/ui/fields.py), so this and the
# rules below are what refuses one – in German, naming the field and the allowed range.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def german_day(value: date) -> str:
    """DD.MM.YYYY for any year (strftime does not pad years below 1000 on Linux)."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def plausible_day(value: date, field: str, label: str) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationError(
            f"„{label}“ ({german_day(value)}) ist kein mögliches Datum: erlaubt ist "
            f"{german_day(EARLIEST_DAY)} bis {german_day(LATEST_DAY)}.", field=field)
    return value


def required_day(value: date | None, field: str, label: str) -> date:
    """A date a form must have: an emptied field is refused, never replaced by today."""
    if value is None:
        raise ValidationError(f"Bitte „{label}“ ausfüllen (TT.MM.JJJJ).", field=field)
    return plausible_day(value, field, label)


def not_in_future(value: date, field: str, label: str) -> date:
    """Something that already happened: from EARLIEST_DAY up to today."""
    plausible_day(value, field, label)
    if value > today():
        raise ValidationError(f"„{label}“ darf nicht in der Zukunft liegen (erlaubt: bis heute, "
                              f"{german_day(today())}).", field=field)
    return value


def not_in_past(value: date, field: str, label: str, *, since: date | None = None) -> date:
    """Something still to come, like a new due date: from today on (or from `since`, the day it
    was decided, for an entry made late)."""
    plausible_day(value, field, label)
    earliest = since or today()
    if value < earliest:
        raise ValidationError(f"„{label}“ darf nicht in der Vergangenheit liegen (erlaubt: ab "
                              f"{'heute, ' if since is None else ''}{german_day(earliest)}).", field=field)
    return value


# A number to dial: digits and the usual separators, and enough digits to reach somebody.
PHONE_CHARACTERS = frozenset("0123456789 +/-()")
PHONE_MIN_DIGITS = 5


def phone_number(value: str | None, field: str = "phone", label: str = "Telefon") -> str | None:
    text = optional_text(value, field, label, 64)
    if text is None:
        return None
    if not set(text) <= PHONE_CHARACTERS or sum(ch.isdigit() for ch in text) < PHONE_MIN_DIGITS:
        raise ValidationError(
            f"„{label}“ ist keine Telefonnummer: nur Ziffern, Leerzeichen und + / - ( ), "
            f"mindestens {PHONE_MIN_DIGITS} Ziffern.", field=field)
    return text


def not_before(value: date, earliest: date | None, field: str, label: str, earliest_label: str) -> date:
    plausible_day(value, field, label)
    if earliest is not None and value < earliest:
        raise ValidationError(
            f"„{label}“ darf nicht vor {earliest_label} ({german_day(earliest)}) liegen.", field=field
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
