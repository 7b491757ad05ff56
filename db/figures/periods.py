"""The council's reporting calendar: calendar quarters, each released once it is final.

Why quarters and nothing else: every further period kind that overlaps another (a month inside
its quarter, a year over four quarters, a "since start" that grows every month) links the
tables, and a reader who subtracts one from the other learns about the remainder – down to one
person. Disjoint quarters share no event, so no sum of published cells over two releases says
more than each release says alone. The lead keeps exact monthly and weekly figures on the
Lagebild; the council gets one table set per quarter, as official statistics publish a fixed
calendar.

A quarter is final – and may be released – once the 28 days in which leavers' results arrive
(db.casework.outcomes) have passed after its last day.

The one overlapping period is the calendar year, and only in the annual release
(db.figures.releases, README "Revisionen"): it revises the year's four quarters one last time
and prints the year's totals with them, computed from the same records at the same moment, so
that "year = sum of its quarters" is an identity the audit is told about, not a difference a
reader could exploit. A year may be released once the first quarter of the next year is final
(29 April): late entries of the fourth quarter have had three months to arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..casework.outcomes import RESULT_WINDOW_DAYS
from ..validation import ascii_number


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    start: date  # first day of the quarter
    end: date  # last day: also the reference day (Stichtag) of the stocks

    @classmethod
    def quarter(cls, year: int, number: int) -> ReportingPeriod:
        if not 1 <= number <= 4:
            raise ValueError(f"no quarter {number}")
        start = date(year, 3 * number - 2, 1)
        following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
        return cls(start, following - timedelta(days=1))

    @classmethod
    def containing(cls, day: date) -> ReportingPeriod:
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def year(cls, year: int) -> ReportingPeriod:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def from_key(cls, key: str) -> ReportingPeriod:
        """"2026-Q3" → the third quarter of 2026, "2026" → the year (ValueError for anything else)."""
        if "-" not in key and (year := ascii_number(key)) is not None and len(key) == 4:
            return cls.year(year)
        year, _, number = (ascii_number(part) for part in key.partition("-Q"))
        if year is None or number is None:
            raise ValueError(f"no quarter key: {key!r}")
        return cls.quarter(year, number)

    @property
    def is_year(self) -> bool:
        return (self.start.month, self.end.month) == (1, 12)

    @property
    def number(self) -> int:
        return (self.start.month - 1) // 3 + 1

    @property
    def key(self) -> str:
        """Stable text form for a select box, a file name and the stored release: 2026-Q3, 2026."""
        return f"{self.start.year}" if self.is_year else f"{self.start.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return f"Jahr {self.start.year}" if self.is_year else f"{self.number}. Quartal {self.start.year}"

    def quarters(self) -> list[ReportingPeriod]:
        """The quarters of a year (a quarter: itself)."""
        if not self.is_year:
            return [self]
        return [ReportingPeriod.quarter(self.start.year, n) for n in range(1, 5)]

    @property
    def revision_from(self) -> date:
        """A year's annual release: once the first quarter of the next year is final."""
        return ReportingPeriod.quarter(self.start.year + 1, 1).final_from

    @property
    def span(self) -> str:
        return f"{self.start:%d.%m.%Y} bis {self.end:%d.%m.%Y}"

    @property
    def final_from(self) -> date:
        """The first day on which every figure of the quarter is final (results window over)."""
        return self.end + timedelta(days=RESULT_WINDOW_DAYS + 1)

    def month_starts(self) -> list[date]:
        """The first day of every month the period covers (a quarter: three)."""
        months, month = [], date(self.start.year, self.start.month, 1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months

    def next(self) -> ReportingPeriod:
        return ReportingPeriod.containing(self.end + timedelta(days=1))


def final_quarters(programme_start: date | None, today: date) -> list[ReportingPeriod]:
    """Every quarter since the programme's first referral that is final today, oldest first."""
    if programme_start is None:
        return []
    quarters, quarter = [], ReportingPeriod.containing(programme_start)
    while quarter.final_from <= today:
        quarters.append(quarter)
        quarter = quarter.next()
    return quarters


def annual_years(programme_start: date | None, today: date) -> list[ReportingPeriod]:
    """Every year since the programme began whose annual release is due today, oldest first."""
    if programme_start is None:
        return []
    return [ReportingPeriod.year(y) for y in range(programme_start.year, today.year)
            if ReportingPeriod.year(y).revision_from <= today]
