"""Indicators against hand-computed numbers on a small world (both databases)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import text

from db.casework.activities import record_activity
from db.actors import Actor
from db.casework.barriers import add_barrier, resolve_barrier
from db.casework.cases import NewPlacement, change_status, refer_client, schedule_first_interview
from db.casework.workflow import TRANSITIONS
from db.store.database import Database
from db.errors import PermissionDenied
from db.figures.series import INTAKE_SERIES, Period, barriers, caseload_by_companion, contacts, funnel, intake
from db.store.models import Employer, PlanTarget, Position
from db.accounts.users import create_user
from db.vocabulary import (ActivityKind, Barrier, CaseStatus, EndReason, JobKind, PauseReason, PlanMetric,
                           PositionState, Role)

from db.casework.cases import assign_companion

from .helpers import new_client


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


@pytest.fixture
def small(db: Database) -> dict:
    """Three cases of one companion, referred in three consecutive weeks four weeks ago."""
    system = Actor.system()
    ids = {u: create_user(db, system, username=u, display_name=u.title(), role=r, password="Kiefernzapfen-Wolke-17",
                          capacity=10 if r == Role.COMPANION else None,
                          start_date=date(2020, 1, 1) if r == Role.COMPANION else None)
           for u, r in [("lead", Role.LEAD), ("comp", Role.COMPANION), ("fm", Role.CASE_MANAGER),
                        ("council", Role.COUNCIL)]}
    base = monday(date.today()) - timedelta(weeks=4)  # a Monday four weeks back
    cases = []
    for week, town in enumerate(["Guben", "Forst (Lausitz)", "Guben"]):
        cid = refer_client(db, system, client=new_client(town=town), case_manager_id=ids["fm"],
                           referred_on=base + timedelta(weeks=week))
        cases.append((cid, assign_companion(db, system, cid, 1, ids["comp"])))
    # Case 0 and 1: interview held in week 2 (on its Monday); case 0 closed in week 3.
    held = base + timedelta(weeks=2)
    for i in (0, 1):
        cid, v = cases[i]
        v = schedule_first_interview(db, system, cid, v, datetime.combine(held, time(10)), planned_on=held)
        v = change_status(db, system, cid, v, CaseStatus.ACTIVE, on=held)
        cases[i] = (cid, v)
    change_status(db, system, cases[0][0], cases[0][1], CaseStatus.CLOSED,
                  end_reason=EndReason.MOVED, on=base + timedelta(weeks=3))
    b = add_barrier(db, system, cases[1][0], Barrier.NO_DRIVING_LICENCE, noted_on=held)
    add_barrier(db, system, cases[0][0], Barrier.NO_DRIVING_LICENCE, noted_on=held)
    add_barrier(db, system, cases[0][0], Barrier.DEBT, noted_on=held)
    resolve_barrier(db, system, b, resolved_on=held)
    record_activity(db, system, cases[1][0], ActivityKind.HOME_VISIT, occurred_on=held + timedelta(days=1))
    record_activity(db, system, cases[1][0], ActivityKind.HOME_VISIT, occurred_on=held + timedelta(days=8))
    with db.write() as session:
        session.add(PlanTarget(metric=PlanMetric.ACTIVE_CASES, period_start=date(2000, 1, 1),
                               period_end=date(2100, 1, 1), target=5))
        session.add(Position(title="Stelle A", state=PositionState.FILLED, funded_from=date(2020, 1, 1),
                             holder_id=ids["comp"], capacity=10))
        session.add(Position(title="Stelle B", state=PositionState.ADVERTISED,
                             funded_from=date(2099, 4, 1), capacity=12))
    period = Period(start=base, end=date.today())
    return {"db": db, "base": base, "period": period, "cases": cases, "case_manager": ids["fm"],
            "lead": Actor(ids["lead"], "lead", "Lead", Role.LEAD),
            "council": Actor(ids["council"], "council", "Council", Role.COUNCIL),
            "comp": Actor(ids["comp"], "comp", "Comp", Role.COMPANION)}


def series(frame, name: str, kind: str = "Ist") -> list[float]:  # type: ignore[no-untyped-def]
    rows = frame[(frame.series == INTAKE_SERIES[name]) & (frame.kind == kind)]
    return rows.sort_values("week")["value"].tolist()


def test_intake_per_week(small: dict) -> None:
    frame = intake(small["db"], small["lead"], small["period"])
    assert frame.week.min() == small["base"]
    assert series(frame, "referrals") == [1, 1, 1, 0, 0]
    assert series(frame, "interviews") == [0, 0, 2, 0, 0]
    assert series(frame, "accompanied") == [0, 0, 2, 1, 1]
    assert series(frame, "accompanied", "Plan") == [5] * 5


def test_town_filter(small: dict) -> None:
    period = Period(start=small["period"].start, end=small["period"].end, town="Forst (Lausitz)")
    frame = intake(small["db"], small["lead"], period)
    assert series(frame, "referrals") == [0, 1, 0, 0, 0]
    assert series(frame, "accompanied") == [0, 0, 1, 1, 1]


def test_funnel(small: dict) -> None:
    stages = dict(funnel(small["db"], small["lead"], small["period"]).values.tolist())
    assert stages["Zugewiesen im Zeitraum"] == 3
    assert stages["davon Erstgespräch vereinbart"] == 2 and stages["davon Erstgespräch geführt"] == 2
    assert stages["davon beendet"] == 1 and stages["davon heute Teilnehmende"] == 1


def test_barriers_open_and_resolved(small: dict) -> None:
    frame = barriers(small["db"], small["lead"], small["period"])
    # Every barrier of the catalogue, in its fixed order; open or resolved on the period's end.
    assert frame["barrier"].tolist() == [b.label for b in Barrier]
    recorded = frame[frame["total"] > 0].values.tolist()
    assert recorded == [["Führerschein fehlt", 1, 1, 2], ["Schulden", 1, 0, 1]]
    before = Period(start=small["base"], end=small["base"] + timedelta(weeks=2) - timedelta(days=1))
    assert barriers(small["db"], small["lead"], before)["total"].sum() == 0


def test_contacts_per_week(small: dict) -> None:
    frame = contacts(small["db"], small["lead"], small["period"])
    home = frame[frame.kind == "Hausbesuch"].sort_values("week")
    week2 = small["base"] + timedelta(weeks=2)
    assert home[["week", "count"]].values.tolist() == [[week2, 1], [week2 + timedelta(weeks=1), 1]]
    assert frame[frame.kind == "Erstgespräch"]["count"].sum() == 2


def test_caseload_against_capacity_including_open_positions(small: dict) -> None:
    lead_view = caseload_by_companion(small["db"], small["lead"], small["period"])
    assert lead_view[["position", "accompanied", "planned", "capacity"]].values.tolist() == [
        ["Stelle A – Comp", 1, 0, 10], ["Stelle B", 0, 0, 12]]
    assert lead_view.state.tolist()[1].startswith("offen, finanziert ab 01.04.2099")
    council_view = caseload_by_companion(small["db"], small["council"], small["period"])
    assert council_view.position.tolist() == ["Stelle A", "Stelle B"]  # no staff names


def test_indicators_are_not_for_companions(small: dict) -> None:
    with pytest.raises(PermissionDenied):
        intake(small["db"], small["comp"], small["period"])


def test_funnel_counts_a_case_once_per_stage_whatever_way_it_went(small: dict) -> None:
    """A stage counts cases, not the ways into it: an interview planned again after a no-show
    (Nicht erschienen → Erstgespräch geplant) is still one case with an interview planned, and
    no "davon" stage can exceed the referrals it is part of."""
    db, system, base = small["db"], Actor.system(), small["base"]
    cid, v = small["cases"][2]
    first = base + timedelta(weeks=2)
    v = schedule_first_interview(db, system, cid, v, datetime.combine(first, time(9)), planned_on=first)
    v = change_status(db, system, cid, v, CaseStatus.NO_SHOW, on=first)
    again = first + timedelta(days=3)
    v = schedule_first_interview(db, system, cid, v, datetime.combine(again, time(9)), planned_on=again)
    v = change_status(db, system, cid, v, CaseStatus.NO_SHOW, on=again)
    stages = dict(funnel(db, small["lead"], small["period"]).values.tolist())
    assert stages["davon Erstgespräch vereinbart"] == 3  # cases 0 and 1, and this one once
    assert stages["davon (auch) nicht erschienen"] == 1
    assert all(n <= stages["Zugewiesen im Zeitraum"] for n in stages.values())


def _walk(db: Database, rng: random.Random, case_id: int, version: int, day: date, employer_id: int) -> None:
    """One case along a random legal path of the workflow (db.casework.workflow.TRANSITIONS),
    each step a few days after the last, through the service functions a companion uses."""
    system, status = Actor.system(), CaseStatus.REFERRED
    for _ in range(rng.randint(0, 8)):
        choices = TRANSITIONS[status]
        if not choices:
            return
        target, day = rng.choice(choices), day + timedelta(days=rng.randint(1, 6))
        if target == CaseStatus.INTERVIEW_PLANNED:
            version = schedule_first_interview(db, system, case_id, version,
                                               datetime.combine(day, time(10)), planned_on=day)
        elif target == CaseStatus.EMPLOYED:
            version = change_status(db, system, case_id, version, target, placement=NewPlacement(
                employer_id=employer_id, start_date=day, job_kind=rng.choice(list(JobKind))))
        elif target == CaseStatus.PAUSED:
            version = change_status(db, system, case_id, version, target, on=day,
                                    pause_reason=PauseReason.ILLNESS, resume_on=day + timedelta(days=30))
        else:
            version = change_status(db, system, case_id, version, target, on=day,
                                    end_reason=EndReason.MOVED if target == CaseStatus.CLOSED else None)
        status = target


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_funnel_agrees_with_each_cases_own_history_over_random_paths(small: dict, seed: int) -> None:
    """The funnel recounted case by case from the raw status history, over random legal paths
    (no-shows and new appointments, pauses, lost jobs): every stage is a number of cases."""
    db, system, rng = small["db"], Actor.system(), random.Random(seed)
    with db.write() as session:
        employer = Employer(name="Firma am Ort")
        session.add(employer)
        session.flush()
        employer_id = employer.id
    start = small["period"].start - timedelta(days=120)
    for n in range(20):
        referred = start + timedelta(days=rng.randint(0, 20))
        cid = refer_client(db, system, client=new_client(client_number=f"W-{seed}-{n}"),
                           case_manager_id=small["case_manager"], referred_on=referred)
        version = assign_companion(db, system, cid, 1, small["comp"].id)
        _walk(db, rng, cid, version, referred, employer_id)
    period = Period(start=start, end=small["period"].end)
    stages = dict(funnel(db, small["lead"], period).values.tolist())
    with db.engine.connect() as conn:
        cases = conn.execute(text("SELECT id, status, start_date FROM cases WHERE referred_on BETWEEN :a AND :b"),
                             {"a": period.start, "b": period.end}).all()
        reached: dict[int, set[str]] = {case.id: set() for case in cases}
        for case_id, to_status in conn.execute(text(
                "SELECT case_id, to_status FROM status_changes WHERE undone_on IS NULL AND reverses_id IS NULL")):
            reached.get(case_id, set()).add(to_status)
        employed = {row[0] for row in conn.execute(text("SELECT case_id FROM placements"))}
    now = [case.status for case in cases]
    assert stages == {
        "Zugewiesen im Zeitraum": len(cases),
        "davon Erstgespräch vereinbart": sum("interview_planned" in s for s in reached.values()),
        "davon Erstgespräch geführt": sum(case.start_date is not None for case in cases),
        "davon Arbeit aufgenommen": len(employed & set(reached)),
        "davon beendet": now.count("closed"),
        "davon (auch) nicht erschienen": sum("no_show" in s for s in reached.values()),
        "davon Teilnahme abgelehnt": now.count("declined"),
        "davon heute Teilnehmende": now.count("active") + now.count("employed"),
    }
