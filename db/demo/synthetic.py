"""Synthetic data at scale, for benchmarks and for tests that must see the data grow.

N cases over five years with about ten contacts each, barriers, placements, 50 companions (by default),
200 case managers, office-hour sessions and plan targets. Written with bulk INSERTs (SQLAlchemy's
insertmanyvalues) in chunks, so 100,000 cases and a million contacts take a minute, not an hour.
Every name is invented ("Synth…"); nothing here is used by the app itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from enum import Enum

from sqlalchemy import func, insert, select

from ..accounts.passwords import new_hash
from ..accounts.users import DEMO_PASSWORD
from ..casework.activities import LOGGABLE_KINDS
from ..casework.entry import age_band
from ..casework.outcomes import follow_up_due, last_end_with_follow_up_due
from ..clock import today
from ..store.database import Database, batched
from ..store.models import (
    Activity,
    Case,
    CaseBarrier,
    Client,
    Employer,
    ExitOutcome,
    OfficeHourLocation,
    OfficeHourSession,
    Placement,
    PlanTarget,
    StatusChange,
    User,
    name_codes,
)
from ..vocabulary import (
    ActivityKind,
    Answer,
    Barrier,
    CaseStatus,
    Education,
    EndReason,
    EntryEmployment,
    ExitResult,
    FollowUpResult,
    Gender,
    Household,
    JobKind,
    LocationStatus,
    PauseReason,
    PlanMetric,
    ReferralSource,
    Role,
)

PASSWORD = DEMO_PASSWORD
CHUNK = 20_000
YEARS = 5
STATUS_WEIGHTS = {
    CaseStatus.CLOSED: 52, CaseStatus.DECLINED: 8, CaseStatus.NO_SHOW: 2, CaseStatus.ACTIVE: 15,
    CaseStatus.EMPLOYED: 9, CaseStatus.INTERVIEW_PLANNED: 6, CaseStatus.REFERRED: 6, CaseStatus.PAUSED: 2,
}
# Results near the programme's published figures (ten years: ≈ 28 % of leavers into work or
# training, ≈ 21 % into jobs with social insurance); None = no result recorded.
EXIT_WEIGHTS = {ExitResult.EMPLOYED: 21, ExitResult.SELF_EMPLOYED: 2, ExitResult.EDUCATION: 5,
                ExitResult.MINIJOB: 6, ExitResult.QUALIFICATION: 5, ExitResult.JOB_SEEKING: 41,
                ExitResult.OTHER: 12, None: 8}
FOLLOW_UP_WEIGHTS = {FollowUpResult.EMPLOYED: 30, FollowUpResult.MINIJOB: 8,
                     FollowUpResult.NOT_EMPLOYED: 45, FollowUpResult.UNREACHABLE: 17, None: 30}
GENDER_WEIGHTS = {Gender.FEMALE: 45, Gender.MALE: 54, Gender.DIVERSE: 1}
INCOMPLETE_SHARE = 0.03  # participants whose education was never recorded
TOWNS = ["Guben", "Forst (Lausitz)", "Spremberg", "Cottbus", "Peitz", "Drebkau", "Welzow", "Döbern"]
KINDS = list(LOGGABLE_KINDS)  # the Erstgespräch is written with the status change
# Führerschein first: the most common barrier in the article.
BARRIER_WEIGHTS = {Barrier.NO_DRIVING_LICENCE: 30, Barrier.MOBILITY: 12, Barrier.DEBT: 14,
                   Barrier.ADDICTION: 6, Barrier.HEALTH: 10, Barrier.CHILDCARE: 8, Barrier.LANGUAGE: 6,
                   Barrier.QUALIFICATION: 10, Barrier.HOUSING: 4}


def _bulk(db: Database, model: type, rows: Iterator[dict]) -> int:
    if db.engine.dialect.name == "postgresql":
        return _copy(db, model, rows)
    written = 0
    for batch in batched(rows, CHUNK):
        with db.write() as session:
            session.execute(insert(model), batch)
        written += len(batch)
    return written


def _copy(db: Database, model: type, rows: Iterator[dict]) -> int:
    """PostgreSQL's COPY: ten times the speed of multi-row INSERTs for a million rows. Python-side
    column defaults (created_at …) are filled in here, since COPY bypasses the ORM."""
    table = model.__table__
    columns = [c for c in table.columns if not c.primary_key]
    defaults = {c.name: c.default for c in columns if c.default is not None}
    names = ", ".join(f'"{c.name}"' for c in columns)
    written = 0
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                values = []
                for column in columns:
                    if column.name in row:
                        value = row[column.name]
                    elif column.name in defaults:
                        default = defaults[column.name]
                        value = default.arg(None) if default.is_callable else default.arg
                    else:
                        value = None
                    values.append(value.value if isinstance(value, Enum) else value)
                copy.write_row(values)
                written += 1
        connection.commit()
    finally:
        connection.close()
    return written


def generate(db: Database, cases: int, *, seed: int = 7, activities_per_case: int = 13,
             companions: int = 50, progress=print) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Fill an empty, migrated database. Returns the number of rows per table."""
    rng = random.Random(seed)
    day = today()
    first_day = day - timedelta(days=365 * YEARS)
    password_hash = new_hash(PASSWORD)  # once: every synthetic account shares it
    counts: dict[str, int] = {}

    staff = [
        {"username": "leitung", "display_name": "Synth Leitung", "role": Role.LEAD},
        {"username": "admin", "display_name": "Synth Admin", "role": Role.ADMIN},
        {"username": "kreistag", "display_name": "Synth Kreistag", "role": Role.COUNCIL},
        *({"username": f"begleiter{n}", "display_name": f"Synth Begleitung {n}", "role": Role.COMPANION,
           "capacity": 25, "start_date": first_day + timedelta(days=30 * (n % 40))} for n in range(1, companions + 1)),
        *({"username": f"fallmanager{n}", "display_name": f"Synth Fallmanagement {n}",
           "role": Role.CASE_MANAGER} for n in range(1, 201)),
    ]
    for row in staff:
        row.update(password_hash=password_hash, active=True, is_demo=True)
    counts["users"] = _bulk(db, User, iter(staff))
    with db.read() as session:
        companion_ids = list(session.scalars(select(User.id).where(User.role == Role.COMPANION)))
        case_managers = list(session.scalars(select(User.id).where(User.role == Role.CASE_MANAGER)))
        lead = session.scalar(select(User.id).where(User.username == "leitung"))

    counts["office_hour_locations"] = _bulk(db, OfficeHourLocation, iter([
        {"town": "Guben", "venue": "Geschäftsstelle Guben", "status": LocationStatus.RUNNING,
         "start_date": first_day, "weekday": 1, "time_from": time(9), "time_to": time(12)},
        {"town": "Forst (Lausitz)", "venue": "Geschäftsstelle Forst", "status": LocationStatus.RUNNING,
         "start_date": first_day, "weekday": 3, "time_from": time(9), "time_to": time(12)},
        {"town": "Spremberg", "venue": "Kulturschloss Spremberg", "status": LocationStatus.RUNNING,
         "start_date": first_day + timedelta(days=60), "weekday": 4, "time_from": time(9), "time_to": time(12)},
        {"town": "Cottbus", "venue": None, "status": LocationStatus.PLANNED, "start_date": None},
    ]))
    counts["employers"] = _bulk(db, Employer, ({
        "name": f"Synth Betrieb {n}", "sector": rng.choice(["Logistik", "Pflege", "Bau", "Handel"]),
        "town": rng.choice(TOWNS)} for n in range(1, 301)))
    with db.read() as session:
        locations = list(session.execute(select(OfficeHourLocation.id, OfficeHourLocation.start_date,
                                                OfficeHourLocation.weekday)
                                         .where(OfficeHourLocation.start_date.is_not(None))))
        employers = list(session.scalars(select(Employer.id)))

    def sessions() -> Iterator[dict]:
        for location_id, start, weekday in locations:
            held = start + timedelta(days=(weekday - start.weekday()) % 7)
            while held < day:
                visitors = rng.randint(0, 9)
                yield {"location_id": location_id, "held_on": held, "companion_id": rng.choice(companion_ids),
                       "visitors": visitors, "first_interviews": rng.randint(0, min(3, visitors))}
                held += timedelta(weeks=1)
    counts["office_hour_sessions"] = _bulk(db, OfficeHourSession, sessions())

    month = first_day.replace(day=1)
    targets = []
    while month <= day + timedelta(days=370):
        following = (month + timedelta(days=32)).replace(day=1)
        for metric, target in ((PlanMetric.ACTIVE_CASES, cases // 4), (PlanMetric.FIRST_INTERVIEWS, cases // 60),
                               (PlanMetric.REFERRALS, cases // 60)):
            targets.append({"metric": metric, "period_start": month,
                            "period_end": following - timedelta(days=1), "target": max(1, target)})
        month = following
    counts["plan_targets"] = _bulk(db, PlanTarget, iter(targets))

    def born(n: int) -> date:
        return date(1960 + n % 45, 1 + n % 12, 1 + n % 28)

    genders = rng.choices(list(GENDER_WEIGHTS), list(GENDER_WEIGHTS.values()), k=cases)
    counts["clients"] = _bulk(db, Client, ({
        "client_number": f"S{n:08d}", "first_name": f"Synth{n % 997}", "last_name": f"Person{n}",
        "birth_year": born(n).year, "birth_date": born(n), "gender": genders[n],
        "postcode": f"03{100 + n % len(TOWNS):03d}", "town": TOWNS[n % len(TOWNS)], "phone": None,
        "consent_date": None, "version": 1,
        **name_codes(f"Synth{n % 997}", f"Person{n}")} for n in range(cases)))
    with db.read() as session:
        first_client = session.scalar(select(func.min(Client.id)))
    progress(f"{counts['clients']} Personen")

    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    plans: list[tuple[CaseStatus, date, date | None]] = []
    ends: dict[int, date] = {}  # case number → exit day of participants who left

    def case_rows() -> Iterator[dict]:
        span = (day - first_day).days
        for n in range(cases):
            status = rng.choices(statuses, weights)[0]
            recent = status in (CaseStatus.REFERRED, CaseStatus.INTERVIEW_PLANNED)
            referred = day - timedelta(days=rng.randint(0, 20)) if recent else first_day + timedelta(
                days=rng.randint(0, span - 30))
            started = None if status in (CaseStatus.REFERRED, CaseStatus.INTERVIEW_PLANNED,
                                         CaseStatus.DECLINED, CaseStatus.NO_SHOW) \
                else min(day, referred + timedelta(days=rng.randint(3, 20)))
            ended = None
            if status in (CaseStatus.CLOSED, CaseStatus.DECLINED):
                ended = min(day, (started or referred) + timedelta(days=rng.randint(20, 400)))
            plans.append((status, referred, started))
            if ended is not None and started is not None:
                ends[n] = ended
            entry = _entry(rng, born(n), started) if started is not None else {}
            interview = None
            if status != CaseStatus.REFERRED:
                interview_day = referred + timedelta(days=rng.randint(2, 14)) if status == \
                    CaseStatus.INTERVIEW_PLANNED else (started or referred + timedelta(days=5))
                interview = datetime.combine(max(interview_day, day) if status == CaseStatus.INTERVIEW_PLANNED
                                             else interview_day, time(9 + n % 6))
            yield {
                "client_id": first_client + n,
                "companion_id": None if status == CaseStatus.REFERRED and n % 2 else rng.choice(companion_ids),
                "case_manager_id": rng.choice(case_managers),
                "referral_source": ReferralSource.CLIENT_REQUEST if n % 5 == 0 else ReferralSource.CASE_MANAGER,
                "status": status, "referred_on": referred, "first_interview_at": interview,
                "start_date": started, "end_date": ended,
                "end_reason": rng.choice(list(EndReason)) if status == CaseStatus.CLOSED else None,
                "next_step": "Nächsten Termin vereinbaren" if status in (CaseStatus.ACTIVE, CaseStatus.EMPLOYED) else None,
                "next_step_due": day + timedelta(days=rng.randint(-10, 30))
                if status in (CaseStatus.ACTIVE, CaseStatus.EMPLOYED) else None,
                "updated_by_id": lead, "version": 1, **entry,
                **({"pause_reason": PauseReason.ILLNESS, "resume_on": day + timedelta(days=rng.randint(-5, 60))}
                   if status == CaseStatus.PAUSED else {}),
                **(_follow_up(rng, ended) if n in ends else {}),
            }
    counts["cases"] = _bulk(db, Case, case_rows())
    with db.read() as session:
        first_case = session.scalar(select(func.min(Case.id)))
    progress(f"{counts['cases']} Fälle")

    def status_rows() -> Iterator[dict]:
        for n, (status, referred, started) in enumerate(plans):
            yield {"case_id": first_case + n, "from_status": None, "to_status": CaseStatus.REFERRED,
                   "changed_on": referred, "changed_by_id": lead}
            if status != CaseStatus.REFERRED:
                yield {"case_id": first_case + n, "from_status": CaseStatus.REFERRED, "to_status": status,
                       "changed_on": started or referred, "changed_by_id": lead}
    counts["status_changes"] = _bulk(db, StatusChange, status_rows())

    def activity_rows() -> Iterator[dict]:
        for n, (_status, referred, started) in enumerate(plans):
            if started is None:
                continue
            span = max(1, (day - started).days)
            for _ in range(rng.randint(activities_per_case - 4, activities_per_case + 4)):
                kind = rng.choice(KINDS)
                yield {"case_id": first_case + n, "kind": kind,
                       "occurred_on": started + timedelta(days=rng.randint(0, min(span, 365))),
                       "duration_minutes": rng.choice([15, 30, 45, 60, 90]), "note": "Synthetischer Eintrag",
                       "employer_id": rng.choice(employers) if kind in (
                           ActivityKind.EMPLOYER_CONTACT, ActivityKind.WORKPLACE_VISIT) else None,
                       "created_by_id": lead}
    counts["activities"] = _bulk(db, Activity, activity_rows())
    progress(f"{counts['activities']} Kontakte")

    barrier_kinds, barrier_weights = list(BARRIER_WEIGHTS), list(BARRIER_WEIGHTS.values())

    def barrier_rows() -> Iterator[dict]:
        for n, (_status, referred, started) in enumerate(plans):
            for barrier in sorted(set(rng.choices(barrier_kinds, barrier_weights, k=rng.randint(0, 3)))):
                noted = started or referred
                yield {"case_id": first_case + n, "barrier": barrier, "noted_on": noted,
                       "resolved_on": min(day, noted + timedelta(days=rng.randint(30, 300)))
                       if rng.random() < 0.3 else None}
    counts["case_barriers"] = _bulk(db, CaseBarrier, barrier_rows())

    def placement_rows() -> Iterator[dict]:
        for n, (status, _referred, started) in enumerate(plans):
            if status == CaseStatus.EMPLOYED or (status == CaseStatus.CLOSED and n % 3 == 0):
                start = min(day, (started or day) + timedelta(days=rng.randint(20, 200)))
                yield {"case_id": first_case + n, "employer_id": rng.choice(employers),
                       "job_kind": rng.choice(list(JobKind)), "start_date": start,
                       "end_date": None if status == CaseStatus.EMPLOYED else min(day, start + timedelta(days=180))}
    counts["placements"] = _bulk(db, Placement, placement_rows())

    results, result_weights = list(EXIT_WEIGHTS), list(EXIT_WEIGHTS.values())

    def outcome_rows() -> Iterator[dict]:
        for n, ended in ends.items():
            if plans[n][0] != CaseStatus.CLOSED:
                continue
            result = rng.choices(results, result_weights)[0]
            if result is not None:
                yield {"case_id": first_case + n, "result": result,
                       "occurred_on": min(day, ended + timedelta(days=rng.randint(0, 28))),
                       "recorded_by_id": lead}
    counts["exit_outcomes"] = _bulk(db, ExitOutcome, outcome_rows())
    return counts


def _entry(rng: random.Random, birth: date, started: date) -> dict:
    """Entry data with plausible shares; a few participants lack their education (not counted)."""
    family = rng.random() < 0.3
    incomplete = rng.random() < INCOMPLETE_SHARE
    further = {f"entry_{name}": rng.choices(list(Answer), [8, 85, 7])[0]
               for name in ("disability", "third_country", "foreign_background", "minority",
                            "homeless", "rural")}
    return {
        "entry_employment": rng.choices(list(EntryEmployment), [20, 65, 13, 2])[0],
        "entry_education": None if incomplete else rng.choices(list(Education), [55, 40, 5])[0],
        "entry_household": Household.FAMILY if family else Household.LONG_TERM_UNEMPLOYED,
        "entry_children": rng.randint(1, 4) if family else None,
        **further,
        "entry_age_band": age_band(birth, None, started),
        "entry_complete": not incomplete,
    }


def _follow_up(rng: random.Random, ended: date | None) -> dict:
    if ended is None or ended > last_end_with_follow_up_due(today()):
        return {}
    answer = rng.choices(list(FOLLOW_UP_WEIGHTS), list(FOLLOW_UP_WEIGHTS.values()))[0]
    return {} if answer is None else {"follow_up_result": answer,
                                      "follow_up_on": follow_up_due(ended) + timedelta(days=rng.randint(0, 20))}
