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
    def from_key(cls, key: str) -> ReportingPeriod:
        """"2026-Q3" → the third quarter of 2026 (ValueError for anything else)."""
        year, _, number = (ascii_number(part) for part in key.partition("-Q"))
        if year is None or number is None:
            raise ValueError(f"no quarter key: {key!r}")
        return cls.quarter(year, number)

    @property
    def number(self) -> int:
        return (self.start.month - 1) // 3 + 1

    @property
    def key(self) -> str:
        """Stable text form for a select box, a file name and the stored release: 2026-Q3."""
        return f"{self.start.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.number}. Quartal {self.start.year}"

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
