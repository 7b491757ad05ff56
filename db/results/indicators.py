"""The result indicators the Land judges the programme by, counted in SQL.

Definitions (also in the indicator registry, db/reporting/registry.py):
- **Abgänge** (leavers): counted participants – first interview held, core entry data complete –
  whose participation ended in the period (end date of the case).
- **in Arbeit oder Ausbildung**: leavers whose result at 28 days (the last event recorded within
  28 days after the exit) is employment subject to social insurance, self-employment, or
  school or vocational training. Minijobs are counted separately and not in the rate.
- **Integrationsquote**: the share of those among all leavers of the period, in percent; a
  leaver whose result is still open counts in the denominator (the figure can only rise while
  results are completed within the 28 days).
- **Verbleib nach sechs Monaten**: leavers of the period whose six months have passed; of those,
  the ones found in work (self-employment included; "nicht erreichbar" and an unanswered
  follow-up count as not known to be in work).

Every figure is a sum over calendar months (`monthly_leavers`), like the other flows, so any
period – and the split by gender – adds up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.sql.elements import True_
from sqlalchemy.orm import Session

from ..accounts.permissions import case_scope, require_role
from ..actors import Actor
from ..casework.outcomes import INTO_WORK_OR_TRAINING
from ..casework.team import caseloads
from ..clock import today
from ..store.database import Database
from ..store.memo import by_content
from ..store.recount import lead_figure
from ..store.models import Case, Client
from ..vocabulary import CaseStatus, ExitResult, FollowUpResult, Gender, Role
from .kept_months import all_leaver_rows, counted_participant, leaver_rows

RESULT_ROLES = (Role.LEAD, Role.COUNCIL)
NOT_STATED = "ohne Angabe"  # gender of a leaver whose record predates the entry data
COLUMNS = ["month", "gender", "end_reason", "result", "follow_up", "six_months_passed", "in_window", "count",
           "days"]


def _conditions(actor: Actor, companion_id: int | None, town: str | None) -> list[ColumnElement[bool]]:
    require_role(actor, *RESULT_ROLES)
    conditions: list[ColumnElement[bool]] = [case_scope(actor, personal=False)]
    if companion_id is not None:
        conditions.append(Case.companion_id == companion_id)
    if town is not None:
        conditions.append(Client.town == town)
    return conditions


@lead_figure
def monthly_leavers(db: Database, actor: Actor, companion_id: int | None = None,
                    town: str | None = None, *, ended_from: date | None = None,
                    ended_to: date | None = None) -> pd.DataFrame:
    """Counted leavers per month of their exit, by gender, end reason, result at 28 days,
    six-month answer and whether six months have passed; with the sum of their days in the
    programme (db.results.kept_months.leaver_rows). `ended_from`/`ended_to` limit the exits to
    days of a period that does not consist of whole months (the funder's report). Over every
    case, closed months come from the kept counts (db.results.kept_months)."""
    conditions = _conditions(actor, companion_id, town)
    if all(isinstance(c, True_) for c in conditions):
        rows = all_leaver_rows(db, ended_from, ended_to)
    else:
        if ended_from is not None:
            conditions.append(Case.end_date >= ended_from)
        if ended_to is not None:
            conditions.append(Case.end_date <= ended_to)
        with db.read() as session:
            rows = leaver_rows(session, conditions, today())
    # One order whichever way the rows came (kept or counted now).
    rows.sort(key=lambda row: tuple("" if v is None else str(v) for v in row[:7]))
    return pd.DataFrame(rows, columns=COLUMNS)


@dataclass(frozen=True)
class LeaverFigures:
    """The result indicators of one group of leavers (a period, a gender …)."""

    leavers: int = 0
    into_work_or_training: int = 0
    minijob: int = 0
    result_pending: int = 0  # no result yet, still inside the 28 days
    result_unknown: int = 0  # no result, and the 28 days are over
    six_months_passed: int = 0
    six_months_in_work: int = 0
    days: int = 0
    by_result: dict[str, int] = field(default_factory=dict)  # ExitResult value ("" = open)
    by_reason: dict[str, int] = field(default_factory=dict)  # EndReason value

    @property
    def rate(self) -> float | None:
        """Percent of leavers into work or training, one decimal; None without leavers."""
        return _percent(self.into_work_or_training, self.leavers)

    @property
    def six_month_rate(self) -> float | None:
        return _percent(self.six_months_in_work, self.six_months_passed)

    @property
    def average_days(self) -> float | None:
        return None if self.leavers == 0 else round(self.days / self.leavers, 1)


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


@by_content
def leaver_figures(frame: pd.DataFrame) -> LeaverFigures:
    """Sum a (filtered) frame of monthly leavers into the indicators."""
    if frame.empty:
        return LeaverFigures()
    by_result = frame.groupby(frame["result"].fillna(""))["count"].sum()
    by_reason = frame.groupby(frame["end_reason"].fillna(""))["count"].sum()
    six = frame[frame["six_months_passed"] == 1]
    in_work = six[six["follow_up"].isin([FollowUpResult.EMPLOYED.value])]
    return LeaverFigures(
        leavers=int(frame["count"].sum()),
        into_work_or_training=int(sum(by_result.get(r.value, 0) for r in INTO_WORK_OR_TRAINING)),
        minijob=int(by_result.get(ExitResult.MINIJOB.value, 0)),
        result_pending=int(frame[frame["result"].isna() & (frame["in_window"] == 1)]["count"].sum()),
        result_unknown=int(frame[frame["result"].isna() & (frame["in_window"] == 0)]["count"].sum()),
        six_months_passed=int(six["count"].sum()),
        six_months_in_work=int(in_work["count"].sum()),
        days=int(frame["days"].fillna(0).sum()),
        by_result={str(k): int(v) for k, v in by_result.items()},
        by_reason={str(k): int(v) for k, v in by_reason.items()},
    )


@by_content
def by_gender(frame: pd.DataFrame) -> dict[str, LeaverFigures]:
    """Every indicator split by gender (as the ESF+ asks), every gender listed, and in total."""
    genders = frame["gender"].fillna(NOT_STATED) if not frame.empty else pd.Series(dtype=str)
    out = {g.label: leaver_figures(frame[genders == g.value]) for g in Gender}
    if not frame.empty and (genders == NOT_STATED).any():
        out[NOT_STATED] = leaver_figures(frame[genders == NOT_STATED])
    out["Gesamt"] = leaver_figures(frame)
    return out


@by_content  # the same leavers on every run until the recount: grouped once
def quarterly_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """The integration rate per calendar quarter of exit: quarter, leavers, into work, rate
    (counted as leaver_figures counts, in one grouping)."""
    if frame.empty:
        return pd.DataFrame(columns=["quarter", "leavers", "into_work_or_training", "rate"])
    month = pd.to_datetime(frame["month"])
    into = frame["result"].isin([r.value for r in INTO_WORK_OR_TRAINING])
    sums = pd.DataFrame({
        "quarter": month.dt.year.astype(str) + "-Q" + month.dt.quarter.astype(str),
        "leavers": frame["count"], "into_work_or_training": frame["count"].where(into, 0),
    }).groupby("quarter", sort=True).sum().reset_index()
    sums["leavers"] = sums["leavers"].astype(int)
    sums["into_work_or_training"] = sums["into_work_or_training"].astype(int)
    sums["rate"] = [_percent(part, whole) for part, whole in
                    zip(sums["into_work_or_training"], sums["leavers"], strict=True)]
    return sums


@dataclass(frozen=True)
class LeaverSummary:
    """What the lead's pages show of one frame of leavers."""

    figures: LeaverFigures
    quarters: pd.DataFrame  # quarterly_rates
    by_gender: dict[str, LeaverFigures]


@by_content
def leaver_summary(frame: pd.DataFrame) -> LeaverSummary:
    """The indicators, the rate per quarter and the split by gender of one frame of leavers,
    made together: the frame's content is fingerprinted once per page run, not once per figure
    (a thousand and more rows: a few milliseconds each time)."""
    return LeaverSummary(leaver_figures(frame), quarterly_rates(frame), by_gender(frame))


@lead_figure
def summarised_leavers(db: Database, actor: Actor, companion_id: int | None = None,
                       town: str | None = None, *, ended_from: date | None = None,
                       ended_to: date | None = None) -> LeaverSummary:
    """leaver_summary of monthly_leavers with the same arguments, kept as one figure: a page that
    shows only the summary gets it without the frame of every month's leavers (a thousand and
    more rows, copied and fingerprinted on every run before)."""
    return leaver_summary(monthly_leavers(db, actor, companion_id, town, ended_from=ended_from,
                                          ended_to=ended_to))


# --- participants and capacity ----------------------------------------------------------------

def incomplete_count(session: Session, scope: ColumnElement[bool]) -> int:
    """Participants (first interview held) whose core entry data are incomplete: the funder
    does not count them."""
    return session.scalar(select(func.count()).where(
        scope, Case.start_date.is_not(None), Case.entry_complete.is_(False))) or 0


def headline(figures: LeaverFigures) -> dict[str, int | float | None]:
    """The leaver figures under their registry keys (CLI, Lagebild)."""
    return {
        "exits": figures.leavers,
        "exits_work_or_training": figures.into_work_or_training,
        "exits_minijob": figures.minijob,
        "integration_rate": figures.rate,
        "exits_result_pending": figures.result_pending,
        "exits_result_unknown": figures.result_unknown,
        "six_month_rate": figures.six_month_rate,
        "average_days": figures.average_days,
    }


def companions_over_cap(session: Session) -> int:
    """Active companions whose caseload (accompanied and planned first interviews, paused cases
    not counted) is above their cap (20 for full time, the lead's lower figure for part time).
    A count of staff, no participant in it."""
    return sum(1 for load in caseloads(session) if load.over_cap)


def participant_profile(db: Database, actor: Actor, start: date, end: date,
                        characteristics: Iterable[str] | None = None) -> pd.DataFrame:
    """Counted participants active in the period by each entry characteristic and gender:
    columns characteristic, value, gender, count. One grouped query per characteristic."""
    from ..casework.entry import PROFILE_COLUMNS

    require_role(actor, *RESULT_ROLES)
    active = and_(counted_participant(), Case.start_date <= end,
                  (Case.end_date.is_(None)) | (Case.end_date >= start),
                  Case.status != CaseStatus.DECLINED, case_scope(actor, personal=False))
    rows: list[tuple[str, str | None, str | None, int]] = []
    with db.read() as session:
        for name in characteristics or PROFILE_COLUMNS:
            column = PROFILE_COLUMNS[name]
            rows += [(name, value, gender, n) for value, gender, n in session.execute(
                select(column, Client.gender, func.count()).join(Client, Case.client_id == Client.id)
                .where(active).group_by(column, Client.gender))]
    return pd.DataFrame(rows, columns=["characteristic", "value", "gender", "count"])

