"""Demo data: the situation of the newspaper article, relative to today.

One companion at work and one starting soon, two more positions funded from April, 11 active
cases, 19 first interviews planned in the coming days, office hours in Guben and Forst, Spremberg
from 26 February at the Kulturschloss, Cottbus planned; a missing driving licence is the most
frequent barrier. Every name is plainly fictitious.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..accounts.passwords import new_hash
from ..accounts.users import DEMO_PASSWORD, create_user
from ..actors import Actor
from ..casework.activities import record_activity
from ..casework.barriers import add_barrier, resolve_barrier
from ..casework.cases import (
    NewClient,
    assign_companion,
    change_status,
    refer_client,
    schedule_first_interview,
    set_next_step,
)
from ..casework.entry import EntryData, save_entry_data
from ..clock import today as local_today
from ..errors import DomainError
from ..store.database import Database
from ..store.models import (
    Case,
    Client,
    Employer,
    OfficeHourLocation,
    OfficeHourSession,
    PlanTarget,
    Position,
    User,
)
from ..vocabulary import (
    ActivityKind,
    Answer,
    Barrier,
    CaseStatus,
    Education,
    EntryEmployment,
    Gender,
    Household,
    LocationStatus,
    PlanMetric,
    PositionState,
    ReferralSource,
    Role,
)

# username, display name, role, capacity, start offset in days from today (companions)
DEMO_USERS: list[tuple[str, str, Role, int | None, int | None]] = [
    ("admin", "Demo-Administration", Role.ADMIN, None, None),
    ("leitung", "Lena Leitmann (Demo)", Role.LEAD, None, None),
    ("begleiter1", "Bianca Begleitmann (Demo)", Role.COMPANION, 20, -42),
    ("begleiter2", "Bruno Begleitmann (Demo)", Role.COMPANION, 20, 10),
    ("fallmanager1", "Franz Fallmuster (Demo)", Role.CASE_MANAGER, None, None),
    ("fallmanager2", "Frieda Fallmuster (Demo)", Role.CASE_MANAGER, None, None),
    ("fallmanager3", "Felix Fallbeispiel (Demo)", Role.CASE_MANAGER, None, None),
    ("kreistag", "Kreistag-Briefing (Demo)", Role.COUNCIL, None, None),
    ("datenschutz", "Dana Datenschutz (Demo)", Role.DATA_PROTECTION, None, None),
]

FIRST_NAMES = [
    "Anna", "Bernd", "Carola", "Dirk", "Elke", "Frank", "Gabi", "Holger", "Ines", "Jens",
    "Karin", "Lutz", "Mandy", "Norbert", "Olga", "Peter", "Ramona", "Sven", "Tina", "Uwe",
    "Vera", "Werner", "Yvonne", "Axel", "Birgit", "Cornelia", "Detlef", "Erik", "Heike",
    "Ingo", "Jana", "Kai", "Lars", "Monika",
]
LAST_NAMES = ["Mustermann", "Musterfrau", "Beispiel", "Testmann", "Probemann", "Exempel", "Platzhalter"]
# Towns of the district with their postcodes.
POSTCODES = {"Guben": "03172", "Forst (Lausitz)": "03149", "Spremberg": "03130", "Peitz": "03185",
             "Döbern": "03159", "Welzow": "03119", "Drebkau": "03116", "Kolkwitz": "03099"}
TOWNS = list(POSTCODES)
STREETS = ["Musterstraße", "Beispielweg", "Am Platzhalter", "Exempelring", "Probegasse"]
FEMALE_NAMES = {"Anna", "Carola", "Elke", "Gabi", "Ines", "Karin", "Mandy", "Olga", "Ramona", "Tina",
                "Vera", "Yvonne", "Birgit", "Cornelia", "Heike", "Jana", "Monika"}
# Two of the 11 participants still lack core entry data: the lead's list "Nicht zählbar".
INCOMPLETE_ENTRY = (4, 9)

EMPLOYERS = [
    ("Musterbau GmbH (Demo)", "Bau", "Forst (Lausitz)", "Herr Mustermeister"),
    ("Beispiel Logistik GmbH (Demo)", "Logistik", "Guben", "Frau Beispielhaft"),
    ("Pflegedienst Exempel (Demo)", "Pflege", "Spremberg", "Frau Exempel"),
    ("Bäckerei Probemann (Demo)", "Lebensmittel", "Guben", "Herr Probemann"),
    ("Muster-Gebäudeservice (Demo)", "Reinigung", "Cottbus", "Frau Platzhalter"),
]

# Barriers of the 11 active cases: a missing driving licence is the most frequent.
ACTIVE_BARRIERS: list[tuple[Barrier, ...]] = [
    (Barrier.NO_DRIVING_LICENCE, Barrier.DEBT),
    (Barrier.NO_DRIVING_LICENCE, Barrier.MOBILITY),
    (Barrier.NO_DRIVING_LICENCE, Barrier.ADDICTION),
    (Barrier.QUALIFICATION,),
    (Barrier.NO_DRIVING_LICENCE, Barrier.CHILDCARE),
    (Barrier.DEBT, Barrier.HOUSING),
    (Barrier.NO_DRIVING_LICENCE, Barrier.QUALIFICATION),
    (Barrier.HEALTH,),
    (Barrier.NO_DRIVING_LICENCE, Barrier.DEBT, Barrier.ADDICTION),
    (Barrier.MOBILITY, Barrier.CHILDCARE),
    (Barrier.NO_DRIVING_LICENCE, Barrier.LANGUAGE),
]

NEXT_STEPS = [
    "Termin Schuldnerberatung vereinbaren",
    "Bewerbungsunterlagen fertigstellen",
    "Gespräch mit Arbeitgeber zur Probearbeit",
    "Begleitung zur Suchtberatung",
    "Kita-Platz klären",
    "Fahrschul-Förderung prüfen",
    "Hausbesuch",
]

ACTIVE_COUNT = 11
PLANNED_COUNT = 19
REFERRED_COUNT = 3


def next_on_or_after(day: date, month: int, dom: int) -> date:
    """The next date with this month and day, today included (e.g. the next 26 February)."""
    candidate = date(day.year, month, dom)
    return candidate if candidate >= day else date(day.year + 1, month, dom)


def has_data(db: Database) -> bool:
    with db.read() as session:
        return any(
            session.scalar(select(func.count()).select_from(model)) for model in (User, Client, Case)
        )


def seed_demo(db: Database, *, today: date | None = None, seed: int = 2026) -> None:
    """Load the demo world into an empty database, as one transaction."""
    if has_data(db):
        raise DomainError(
            "Die Datenbank enthält bereits Daten; Demodaten werden nur in eine leere Datenbank geladen."
        )
    day = today or local_today()
    rng = random.Random(seed)
    system = Actor.system()
    with db.write() as session:
        users = _users(db, system, day)
        april = next_on_or_after(day, 4, 1)
        _positions(session, users, day, april)
        locations = _locations(session, day)
        employers = _employers(session)
        _plan_targets(session, day, users["begleiter2"].start_date or day, april)
        _office_hour_sessions(session, rng, locations, users["begleiter1"], day)
        session.flush()
        _cases(db, system, rng, users, locations, employers, day)
    release_launch_briefing(db, day)


def _users(db: Database, system: Actor, day: date) -> dict[str, User]:
    # One hash for all demo accounts: hashing is deliberately slow.
    shared_hash = new_hash(DEMO_PASSWORD)  # published on purpose: not a password anyone chose
    ids = {
        username: create_user(
            db,
            system,
            username=username,
            display_name=name,
            role=role,
            password=DEMO_PASSWORD,
            password_hash=shared_hash,
            capacity=capacity,
            start_date=day + timedelta(days=offset) if offset is not None else None,
            is_demo=True,
        )
        for username, name, role, capacity, offset in DEMO_USERS
    }
    with db.read() as session:
        return {name: session.get_one(User, uid) for name, uid in ids.items()}


def _positions(session, users: dict[str, User], day: date, april: date) -> None:  # type: ignore[no-untyped-def]
    funded = day - timedelta(days=90)
    session.add_all(
        [
            Position(title="Integrationsbegleitung 1", state=PositionState.FILLED,
                     funded_from=funded, holder_id=users["begleiter1"].id, capacity=20),
            Position(title="Integrationsbegleitung 2", state=PositionState.FILLED,
                     funded_from=funded, holder_id=users["begleiter2"].id, capacity=20,
                     note="Beginnt in Kürze"),
            Position(title="Integrationsbegleitung 3", state=PositionState.ADVERTISED,
                     funded_from=april, capacity=20, note="Mittel ab April in Aussicht gestellt"),
            Position(title="Integrationsbegleitung 4", state=PositionState.ADVERTISED,
                     funded_from=april, capacity=20, note="Mittel ab April in Aussicht gestellt"),
        ]
    )


def _locations(session, day: date) -> dict[str, OfficeHourLocation]:  # type: ignore[no-untyped-def]
    spremberg_start = next_on_or_after(day, 2, 26)
    rows = {
        "Guben": OfficeHourLocation(
            town="Guben", venue="Jobcenter, Geschäftsstelle Guben", status=LocationStatus.RUNNING,
            start_date=day - timedelta(days=35), weekday=1, time_from=time(9), time_to=time(12)),
        "Forst": OfficeHourLocation(
            town="Forst (Lausitz)", venue="Jobcenter, Geschäftsstelle Forst",
            status=LocationStatus.RUNNING, start_date=day - timedelta(days=33), weekday=3,
            time_from=time(9), time_to=time(12)),
        "Spremberg": OfficeHourLocation(
            town="Spremberg", venue="Kulturschloss Spremberg", status=LocationStatus.PLANNED,
            start_date=spremberg_start, weekday=spremberg_start.weekday(),
            time_from=time(9), time_to=time(12)),
        "Cottbus": OfficeHourLocation(
            town="Cottbus", venue=None, status=LocationStatus.PLANNED, start_date=None),
    }
    session.add_all(rows.values())
    session.flush()
    return rows


def _employers(session) -> list[Employer]:  # type: ignore[no-untyped-def]
    rows = [Employer(name=n, sector=s, town=t, contact_person=c) for n, s, t, c in EMPLOYERS]
    session.add_all(rows)
    session.flush()
    return rows


def _plan_targets(session, day: date, second_start: date, april: date) -> None:  # type: ignore[no-untyped-def]
    """Monthly plan: capacity grows with the second companion, and again from April."""
    month = date(day.year, day.month, 1) - timedelta(days=62)
    month = date(month.year, month.month, 1)
    for _ in range(9):
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        if month >= april:
            staff = 4
        elif following > second_start:
            staff = 2
        else:
            staff = 1
        for metric, per_companion in (
            (PlanMetric.ACTIVE_CASES, 15),
            (PlanMetric.FIRST_INTERVIEWS, 10),
            (PlanMetric.REFERRALS, 12),
        ):
            session.add(PlanTarget(metric=metric, period_start=month,
                                   period_end=following - timedelta(days=1),
                                   target=per_companion * staff))
        month = following


def _office_hour_sessions(session, rng, locations, companion: User, day: date) -> None:  # type: ignore[no-untyped-def]
    for key in ("Guben", "Forst"):
        loc = locations[key]
        held = loc.start_date
        while held < day:
            if held.weekday() == loc.weekday:
                visitors = rng.randint(2, 7)
                session.add(OfficeHourSession(
                    location_id=loc.id, held_on=held, companion_id=companion.id,
                    visitors=visitors, first_interviews=rng.randint(0, min(3, visitors))))
            held += timedelta(days=1)


def _working_days_after(day: date, count: int) -> list[date]:
    days, d = [], day
    while len(days) < count:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days.append(d)
    return days


def _entry(rng: random.Random, i: int, case_id: int, db: Database) -> EntryData:
    """Entry data as the companion records them in the first interview (person data came with
    the referral); the participants in INCOMPLETE_ENTRY lack education and household."""
    with db.read() as session:
        client = session.get_one(Case, case_id).client
        person = dict(gender=client.gender, birth_date=client.birth_date, postcode=client.postcode)
    family = i % 3 == 1
    further = dict(disability=Answer.NO, third_country=Answer.NO, foreign_background=Answer.NO,
                   minority=Answer.NOT_STATED, homeless=Answer.YES if i == 5 else Answer.NO,
                   rural=Answer.YES if i % 2 else Answer.NO)
    employment = EntryEmployment.LONG_TERM_UNEMPLOYED if i % 4 else EntryEmployment.INACTIVE
    if i in INCOMPLETE_ENTRY:
        return EntryData(**person, employment=employment, **further)
    return EntryData(
        **person, employment=employment,
        education=rng.choice([Education.ISCED_0_2, Education.ISCED_0_2, Education.ISCED_3_4]),
        household=Household.FAMILY if family else Household.LONG_TERM_UNEMPLOYED,
        children=rng.randint(1, 3) if family else None, **further)


def _cases(db, system, rng, users, locations, employers, day) -> None:  # type: ignore[no-untyped-def]
    companion = users["begleiter1"]
    case_managers = [users[u] for u in ("fallmanager1", "fallmanager2", "fallmanager3")]
    names = iter(
        (first, LAST_NAMES[i % len(LAST_NAMES)]) for i, first in enumerate(FIRST_NAMES)
    )
    number = iter(range(1001, 2000))
    office = [locations["Guben"].id, locations["Forst"].id, None]  # None = home visit

    def refer(referred_on: date, source: ReferralSource = ReferralSource.CASE_MANAGER) -> int:
        first, last = next(names)
        town = rng.choice(TOWNS)
        client_number = next(number)
        # Fictitious streets, derived from the number (the random sequence stays as it was).
        address = f"{STREETS[client_number % len(STREETS)]} {client_number % 40 + 1}"
        born = date(rng.randint(1966, 2001), rng.randint(1, 12), rng.randint(1, 28))
        return refer_client(
            db, system,
            client=NewClient(
                client_number=f"DEMO-{client_number}", first_name=first, last_name=last, address=address,
                town=town, birth_year=born.year, birth_date=born, postcode=POSTCODES[town],
                gender=Gender.FEMALE if first in FEMALE_NAMES else Gender.MALE,
                phone=f"0000 {rng.randint(100000, 999999)}", consent_date=referred_on),
            source=source, referred_on=referred_on,
            case_manager_id=rng.choice(case_managers).id,
        )

    def assign(case_id: int) -> int:
        # The article's situation: one companion carries the whole intake until help arrives.
        return assign_companion(db, system, case_id, 1, companion.id, over_capacity_confirmed=True)

    # 11 cases in accompaniment, taken up over the companion's first weeks.
    for i, barriers in enumerate(ACTIVE_BARRIERS[:ACTIVE_COUNT]):
        referred_on = day - timedelta(days=40 - 3 * i)
        held = referred_on + timedelta(days=rng.randint(2, 5))
        case_id = refer(referred_on, ReferralSource.CLIENT_REQUEST if i % 4 == 3 else ReferralSource.CASE_MANAGER)
        version = assign(case_id)
        version = schedule_first_interview(
            db, system, case_id, version, datetime.combine(held, time(10)), rng.choice(office),
            planned_on=referred_on)
        version = change_status(db, system, case_id, version, CaseStatus.ACTIVE, on=held)
        version = save_entry_data(db, system, case_id, version, _entry(rng, i, case_id, db))
        for barrier in barriers:
            barrier_id = add_barrier(db, system, case_id, barrier, noted_on=held)
            if barrier == Barrier.DEBT and i == 0:
                resolve_barrier(db, system, barrier_id, resolved_on=min(day, held + timedelta(days=20)))
        contacts = [ActivityKind.HOME_VISIT, ActivityKind.PHONE]
        if Barrier.ADDICTION in barriers:
            contacts.append(ActivityKind.ADDICTION_COUNSELLING)
        if Barrier.DEBT in barriers:
            contacts.append(ActivityKind.DEBT_COUNSELLING)
        if i % 3 == 0:
            contacts.append(ActivityKind.EMPLOYER_CONTACT)
        for kind in contacts:
            on = min(day, held + timedelta(days=rng.randint(1, max(1, (day - held).days))))
            record_activity(
                db, system, case_id, kind, occurred_on=on, duration_minutes=rng.choice([30, 45, 60, 90]),
                employer_id=rng.choice(employers).id if kind == ActivityKind.EMPLOYER_CONTACT else None,
                note="Demo-Eintrag")
        # Two next steps are overdue, so the team lead's list has something to show.
        due = day + timedelta(days=rng.randint(1, 14)) if i not in (2, 6) else day - timedelta(days=3)
        set_next_step(db, system, case_id, version, NEXT_STEPS[i % len(NEXT_STEPS)], due,
                      set_on=min(day, due - timedelta(days=7)))  # agreed a week before it fell due

    # 19 first interviews in the coming days, about three a working day.
    for i, slot_day in enumerate(
        sorted(_working_days_after(day, 7) * 3)[:PLANNED_COUNT]
    ):
        referred_on = day - timedelta(days=rng.randint(1, 12))
        case_id = refer(referred_on, ReferralSource.CLIENT_REQUEST if i % 5 == 4 else ReferralSource.CASE_MANAGER)
        version = assign(case_id)
        at = datetime.combine(slot_day, time(9 + (i % 3) * 2, 0))
        schedule_first_interview(db, system, case_id, version, at, rng.choice(office),
                                 planned_on=referred_on)

    # New referrals nobody has picked up yet.
    for i in range(REFERRED_COUNT):
        refer(day - timedelta(days=i), ReferralSource.CLIENT_REQUEST if i == 1 else ReferralSource.CASE_MANAGER)

    # Yesterday's interview whose outcome nobody entered yet ("Ergebnis fehlt" on Termine): it
    # no longer counts as planned, so the launch figure stays 19.
    referred_on = day - timedelta(days=6)
    case_id = refer(referred_on)
    schedule_first_interview(db, system, case_id, assign(case_id),
                             datetime.combine(day - timedelta(days=1), time(14)), office[0],
                             planned_on=referred_on)


def release_launch_briefing(db: Database, day: date) -> None:
    """The briefing the programme began with (the article's committee): the lead releases the
    stocks of the seeding day through the same service, audit and files as any Stichtag
    briefing, so the council's first screen in the quick start shows it."""
    from ..figures.briefings import prepare_day, release_day

    with db.read() as session:
        lead = session.scalars(select(User).where(User.username == "leitung")).one()
    actor = Actor(id=lead.id, username=lead.username, display_name=lead.display_name, role=lead.role)
    candidate = prepare_day(db, actor, day)
    release_day(db, actor, day, candidate.content_hash)
