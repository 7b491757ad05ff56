"""What the case card (page Fall) shows about entry data and results, read in the case's
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ..store.models import Case
from ..vocabulary import CaseStatus, ExitResult, FollowUpResult, PauseReason
from .entry import EntryData, entry_of, missing_core
from .outcomes import exit_result_of, follow_up_due, result_deadline, suggested_result


@dataclass(frozen=True)
class ResultsView:
    entry: EntryData
    missing: list[str]  # core fields still missing; empty: the participant counts
    birth_year: int | None
    age_band: str | None
    pause_reason: PauseReason | None
    resume_on: date | None
    suggested: ExitResult | None  # prefill of the exit result (a job held at the end)
    exit_result: ExitResult | None
    exit_result_on: date | None
    result_deadline: date | None  # last day an event still counts as the result
    follow_up_due: date | None
    follow_up_result: FollowUpResult | None
    follow_up_on: date | None

    @property
    def participant_left(self) -> bool:
        return self.result_deadline is not None


def results_view(session: Session, case: Case) -> ResultsView:
    client = case.client
    left = case.status == CaseStatus.CLOSED and case.start_date is not None and case.end_date is not None
    found = exit_result_of(session, case.id) if left else None
    entry = entry_of(client, case)
    return ResultsView(
        entry=entry,
        missing=missing_core(entry, birth_year=client.birth_year)
        if client.anonymised_on is None else [],
        birth_year=client.birth_year,
        age_band=case.entry_age_band,
        pause_reason=case.pause_reason,
        resume_on=case.resume_on,
        suggested=suggested_result(case),
        exit_result=found[0] if found else None,
        exit_result_on=found[1] if found else None,
        result_deadline=result_deadline(case.end_date) if left and case.end_date else None,
        follow_up_due=follow_up_due(case.end_date) if left and case.end_date else None,
        follow_up_result=case.follow_up_result,
        follow_up_on=case.follow_up_on,
    )
