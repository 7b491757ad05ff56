"""The leavers of closed months, kept as counted: a recount of the leaver figures does not read
history again (issue 42).

A month is *closed* on a day when every leaver in it has passed the six months (and so the 28
days) on that day: its rows of monthly_leavers then carry six_months_passed = 1 and
in_window = 0 whatever the day, and depend on the data alone. Those rows are kept in
`leaver_months` (aggregates only, as monthly_leavers returns them) with the month in
`leaver_months_counted`.

Exact because the database itself says when a month's data changed: triggers on cases, clients
and exit_outcomes (migration 0018) add the month of a case's end – old and new – to
`leaver_month_marks` on every insert, update and delete, whoever writes. Before kept rows are
read, every marked and every never-counted closed month is counted anew, in one pass, inside a
write transaction that first takes the lock every such count takes (PostgreSQL; SQLite has one
writer anyway) and reads the marks before it counts: a change committed before the marks were
read is in the count, a later one left its own mark, which only the count that read it deletes
(by id). A figure therefore shows each kept month as it stood at the start of the call or later.

Only the unfiltered count (every case, as the lead and the council see it) is kept; a companion
or a town is counted in full, as before. `leaver_rows` is that one plain count: the kept rows are
its rows of earlier calls (tests/test_kept_months.py compares both over generated histories).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from ..casework.outcomes import RESULT_WINDOW_DAYS, last_end_with_follow_up_due, latest_result
from ..clock import today
from ..store.database import Database
from ..store.models import Case, Client, LeaverMonth, LeaverMonthCounted, LeaverMonthMark
from ..store.sqlfunc import days_between, month_start
from ..vocabulary import CaseStatus

Row = tuple  # month, gender, end_reason, result, follow_up, six_months_passed, in_window, count, days


def counted_participant() -> ColumnElement[bool]:
    """SQL: a participant the funder counts – accompaniment began, core data complete."""
    return and_(Case.start_date.is_not(None), Case.entry_complete.is_(True))


def leaver_rows(session: Session, conditions: list[ColumnElement[bool]], on: date) -> list[Row]:
    """The plain count: counted leavers per month of their exit, by gender, end reason, result
    at 28 days, six-month answer and whether six months have passed on `on`; with the sum of
    their days in the programme. One grouped query."""
    month = month_start(Case.end_date)
    result = latest_result(Case.id)
    passed = case((Case.end_date <= last_end_with_follow_up_due(on), 1), else_=0)
    # Still inside the 28 days in which a result may be recorded (db.casework.outcomes).
    in_window = case((Case.end_date >= on - timedelta(days=RESULT_WINDOW_DAYS), 1), else_=0)
    # One pass over the leavers: each one's result (a correlated subquery) is looked up once,
    # in the inner query, not again for the GROUP BY (SQLite evaluates it per mention).
    # Materialized, so SQLite does not flatten the two queries back into one.
    leavers = (
        select(month.label("month"), Client.gender.label("gender"), Case.end_reason.label("end_reason"),
               result.label("result"), Case.follow_up_result.label("follow_up_result"),
               passed.label("passed"), in_window.label("in_window"),
               days_between(Case.end_date, Case.start_date).label("days"))
        .join(Client, Case.client_id == Client.id)
        .where(*conditions, counted_participant(), Case.status == CaseStatus.CLOSED,
               Case.end_date.is_not(None))
        .cte("leavers").prefix_with("MATERIALIZED")
    )
    keys = [leavers.c.month, leavers.c.gender, leavers.c.end_reason, leavers.c.result,
            leavers.c.follow_up_result, leavers.c.passed, leavers.c.in_window]
    query = select(*keys, func.count(), func.sum(leavers.c.days)).group_by(*keys)
    return [tuple(r) for r in session.execute(query)]


def closed_until(on: date) -> date:
    """The last day of the newest month closed on `on` (see module doc)."""
    due = last_end_with_follow_up_due(on)
    last = due if (due + timedelta(days=1)).day == 1 else due.replace(day=1) - timedelta(days=1)
    # Six months lie far beyond the 28 days; said here so that a shorter follow-up cannot
    # keep a month whose results may still come in.
    window_open = (on - timedelta(days=RESULT_WINDOW_DAYS)).replace(day=1) - timedelta(days=1)
    return min(last, window_open)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_end(month: date) -> date:
    return _next_month(month) - timedelta(days=1)


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _in_months(months: list[date]) -> ColumnElement[bool]:
    """SQL: a case that ended in one of `months` (consecutive months as one range)."""
    ranges: list[tuple[date, date]] = []
    for month in sorted(months):
        if ranges and _next_month(ranges[-1][1]) == month:
            ranges[-1] = (ranges[-1][0], month)
        else:
            ranges.append((month, month))
    return or_(*[Case.end_date.between(a, _month_end(b)) for a, b in ranges])


def _kept_range(session: Session, on: date, ended_from: date | None,
                ended_to: date | None) -> tuple[date, date] | None:
    """The whole closed months within the period that have leavers' data to keep: from the
    month of the earliest end of any case on."""
    last = closed_until(on)
    if ended_to is not None:
        last = min(last, ended_to if ended_to == _month_end(ended_to) else ended_to.replace(day=1) - timedelta(days=1))
    earliest = session.scalar(select(func.min(Case.end_date)))
    if earliest is None:
        return None
    first = earliest.replace(day=1)
    if ended_from is not None:
        first = max(first, ended_from if ended_from.day == 1 else _next_month(ended_from))
    return (first, last) if first <= last else None


def _pending(session: Session, first: date, last: date) -> list[date]:
    """The months in [first, last] to count anew: marked, or never counted."""
    marked = set(session.scalars(select(LeaverMonthMark.month).distinct()
                                 .where(LeaverMonthMark.month.between(first, last))))
    counted = set(session.scalars(select(LeaverMonthCounted.month)
                                  .where(LeaverMonthCounted.month.between(first, last))))
    return sorted(marked | (set(_months(first, last)) - counted))


def _count_pending(db: Database, first: date, last: date, on: date) -> None:
    with db.read() as session:
        if not _pending(session, first, last):
            return
    with db.write() as session:
        if not db.is_sqlite:  # one count at a time (self-conflicting mode); readers pass
            session.execute(text("LOCK TABLE leaver_months_counted IN SHARE ROW EXCLUSIVE MODE"))
        marks = list(session.scalars(select(LeaverMonthMark.id)
                                     .where(LeaverMonthMark.month.between(first, last))))
        months = _pending(session, first, last)
        if not months:
            return
        rows = leaver_rows(session, [_in_months(months)], on)
        session.execute(delete(LeaverMonth).where(LeaverMonth.month.in_(months)))
        kept = []
        for month, gender, end_reason, result, follow_up, passed, in_window, count, days in rows:
            if passed != 1 or in_window != 0:  # cannot be in a closed month; never kept if it were
                raise RuntimeError(f"month {month} is not closed on {on}")
            kept.append({"month": month, "gender": gender, "end_reason": end_reason, "result": result,
                         "follow_up_result": follow_up, "count": count, "days": days})
        if kept:
            session.execute(insert(LeaverMonth), kept)
        known = set(session.scalars(select(LeaverMonthCounted.month).where(LeaverMonthCounted.month.in_(months))))
        if new := [{"month": m} for m in months if m not in known]:
            session.execute(insert(LeaverMonthCounted), new)
        for chunk in (marks[i:i + 500] for i in range(0, len(marks), 500)):
            session.execute(delete(LeaverMonthMark).where(LeaverMonthMark.id.in_(chunk)))


def all_leaver_rows(db: Database, ended_from: date | None = None, ended_to: date | None = None) -> list[Row]:
    """monthly_leavers' rows for every case (no companion, no town): the closed months of the
    period from leaver_months (counted anew where marked), the rest counted now."""
    on = today()
    period: list[ColumnElement[bool]] = []
    if ended_from is not None:
        period.append(Case.end_date >= ended_from)
    if ended_to is not None:
        period.append(Case.end_date <= ended_to)
    with db.read() as session:
        kept_range = _kept_range(session, on, ended_from, ended_to)
    if kept_range is None:
        with db.read() as session:
            return leaver_rows(session, period, on)
    first, last = kept_range
    _count_pending(db, first, last, on)
    with db.read() as session:
        kept = [(m, g, e, r, f, 1, 0, n, d) for m, g, e, r, f, n, d in session.execute(
            select(LeaverMonth.month, LeaverMonth.gender, LeaverMonth.end_reason, LeaverMonth.result,
                   LeaverMonth.follow_up_result, LeaverMonth.count, LeaverMonth.days)
            .where(LeaverMonth.month.between(first, last)))]
        # The rest: after the kept months, and a partial first month of the period (one range
        # where possible: an index range, not a filter over every leaver).
        rest = [Case.end_date > last]
        if ended_from is not None and ended_from < first:
            rest.append(Case.end_date < first)
        live = leaver_rows(session, [*period, or_(*rest) if len(rest) > 1 else rest[0]], on)
    return kept + live

