"""Fixed reporting periods for the council: calendar month, quarter, half-year, year and
"seit Programmstart" – only periods that have ended.

A free date range would let anyone move the end by a day and see when a single person's event
happened. Calendar periods nest (a month lies in one quarter, a quarter in one half-year …), so
the periods form a tree and every published period can be checked against the shorter periods
inside it (db.figures.council).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember"]


class Granularity(Enum):
    MONTH = (1, "Monat")
    QUARTER = (3, "Quartal")
    HALF_YEAR = (6, "Halbjahr")
    YEAR = (12, "Jahr")
    SINCE_START = (0, "Seit Programmstart")

    @property
    def months(self) -> int:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    start: date  # first day
    end: date  # last day
    granularity: Granularity
    # "Seit Programmstart" covers whole calendar years (so every shorter period lies inside
    # it); this is the month the programme's first case came in, for the label.
    opened: date | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Stable text form, e.g. for a select box or a file name: 2026-Q3, 2026-10, …"""
        g = self.granularity
        if g is Granularity.MONTH:
            return f"{self.start:%Y-%m}"
        if g is Granularity.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if g is Granularity.HALF_YEAR:
            return f"{self.start.year}-H{(self.start.month - 1) // 6 + 1}"
        if g is Granularity.YEAR:
            return f"{self.start.year}"
        return f"seit-{self.start:%Y-%m}-bis-{self.end:%Y-%m}"

    @property
    def label(self) -> str:
        g = self.granularity
        if g is Granularity.MONTH:
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        if g is Granularity.QUARTER:
            return f"{(self.start.month - 1) // 3 + 1}. Quartal {self.start.year}"
        if g is Granularity.HALF_YEAR:
            return f"{(self.start.month - 1) // 6 + 1}. Halbjahr {self.start.year}"
        if g is Granularity.YEAR:
            return f"Jahr {self.start.year}"
        return f"Seit Programmstart ({self.opened or self.start:%m/%Y} bis {self.end:%m/%Y})"

    @property
    def span(self) -> str:
        return f"{self.opened or self.start:%d.%m.%Y} bis {self.end:%d.%m.%Y}"

    def month_starts(self) -> list[date]:
        months, m = [], self.start
        while m <= self.end:
            months.append(m)
            m = _add_months(m, 1)
        return months

    def contains(self, other: ReportingPeriod) -> bool:
        """Strictly inside; of two periods with the same days (in January "seit Programmstart"
        is exactly last year) the year lies inside "seit Programmstart", not the other way."""
        if (self.start, self.end) == (other.start, other.end):
            return self.granularity is Granularity.SINCE_START and other.granularity is not Granularity.SINCE_START
        return self.start <= other.start and other.end <= self.end


def _add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _period(start: date, granularity: Granularity) -> ReportingPeriod:
    return ReportingPeriod(start, _add_months(start, granularity.months) - timedelta(days=1),
                           granularity)


def offered_periods(programme_start: date | None, today: date) -> list[ReportingPeriod]:
    """Every ended calendar period since the programme's first year, newest first within each
    kind, "seit Programmstart" first of all. Empty before the first month has ended."""
    if programme_start is None:
        return []
    first_year = programme_start.year
    last_month = _add_months(date(today.year, today.month, 1), -1)  # the last ended month
    if last_month < date(first_year, programme_start.month, 1):
        return []
    periods: list[ReportingPeriod] = []
    for granularity in (Granularity.MONTH, Granularity.QUARTER, Granularity.HALF_YEAR,
                        Granularity.YEAR):
        start = date(first_year, 1, 1)
        while True:
            period = _period(start, granularity)
            if period.end > _add_months(last_month, 1) - timedelta(days=1):
                break
            if period.end >= programme_start:
                periods.append(period)
            start = _add_months(start, granularity.months)
    # From January of the first year: the months before the first case hold nothing, and the
    # period then contains every year, half-year, quarter and month offered (a clean tree).
    since = ReportingPeriod(date(first_year, 1, 1), _add_months(last_month, 1) - timedelta(days=1),
                            Granularity.SINCE_START, date(first_year, programme_start.month, 1))
    order = {g: i for i, g in enumerate(Granularity)}
    return [since, *sorted(periods, key=lambda p: (order[p.granularity], -p.start.toordinal()))]


def children(period: ReportingPeriod, offered: list[ReportingPeriod]) -> list[ReportingPeriod]:
    """The largest offered periods inside `period` (they do not overlap: calendar periods nest)."""
    inside = [p for p in offered if period.contains(p)]
    return [p for p in inside if not any(q.contains(p) for q in inside)]
