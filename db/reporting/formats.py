"""German number and word forms for figures: one place for pages, charts, PDF and Excel."""

from __future__ import annotations

# German number and time formats for Vega-Lite (the `locale` config): pages, PNG and PDF draw
# the same spec, so "2,5", "1.234" and "März" come out alike everywhere.
VEGA_LOCALE = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0€"]},
    "time": {
        "dateTime": "%A, %e. %B %Y, %X", "date": "%d.%m.%Y", "time": "%H:%M:%S",
        "periods": ["", ""],
        "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        "months": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                   "September", "Oktober", "November", "Dezember"],
        "shortMonths": ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov",
                        "Dez"],
    },
}


def fmt_int(n: int) -> str:
    """1234567 → "1.234.567" (German thousands separator)."""
    return f"{n:,}".replace(",", ".")


def fmt_number(value: float | None, digits: int = 1) -> str:
    """3 → "3", 1234 → "1.234", 2.5 → "2,5" (up to `digits` decimals, no trailing zeros)."""
    if value is None or value != value:  # None or NaN: no value
        return "–"
    if float(value).is_integer():
        return fmt_int(int(value))
    whole, _, decimals = f"{value:,.{digits}f}".rstrip("0").rstrip(".").partition(".")
    return whole.replace(",", ".") + ("," + decimals if decimals else "")


def fmt_percent(value: float | None, *, none: str = "–") -> str:
    """25.29 → "25,3 %" (one decimal, decimal comma, narrow space before the sign)."""
    if value is None:
        return none
    return f"{value:.1f}".replace(".", ",") + "\u202f%"


def plural(n: int, singular: str, plural_form: str) -> str:
    """ "1 Fall", "0 Fälle", "2.345 Fälle". """
    return f"{fmt_int(n)} {singular if n == 1 else plural_form}"
