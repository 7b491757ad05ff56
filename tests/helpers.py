"""Small builders for tests: a case in a given status in one call."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from itertools import count

import pandas as pd
from markdown_it import MarkdownIt
from sqlalchemy import func, select

from db.actors import Actor
from db.casework.activities import LOGGABLE_KINDS
from db.casework.cases import (
    NewClient,
    NewPlacement,
    assign_companion,
    change_status,
    refer_client,
    schedule_first_interview,
)
from db.store.database import Database
from db.store.models import (
    Activity,
    AuditEntry,
    Case,
    CaseBarrier,
    Client,
    Employer,
    OfficeHourLocation,
    OfficeHourSession,
    Placement,
    StatusChange,
    User,
)
from db.vocabulary import (
    Barrier,
    CaseStatus,
    EndReason,
    JobKind,
    LocationStatus,
    PauseReason,
    ReferralSource,
    Role,
)

_numbers = count(1)

# The shortest path from a new referral to each status.
PATHS: dict[CaseStatus, list[CaseStatus]] = {
    CaseStatus.REFERRED: [],
    CaseStatus.INTERVIEW_PLANNED: [CaseStatus.INTERVIEW_PLANNED],
    CaseStatus.ACTIVE: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE],
    CaseStatus.NO_SHOW: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.NO_SHOW],
    CaseStatus.DECLINED: [CaseStatus.DECLINED],
    CaseStatus.EMPLOYED: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED],
    CaseStatus.CLOSED: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.CLOSED],
    CaseStatus.PAUSED: [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.PAUSED],
}


def _sounding(n: int) -> str:
    """A name part for n that no other n sounds like (Kölner Phonetik, the duplicate check):
    n's octal digits as consonants of eight different sounds, each followed by a vowel."""
    return "".join("bdfglmrs"[int(d)] + "e" for d in f"{n:06o}").capitalize()


def new_client(**overrides: object) -> NewClient:
    """A new person: the number and the name differ from every other made here (the same name
    with the same postcode would be the same person, db.results.persons)."""
    n = next(_numbers)
    values: dict[str, object] = {
        "client_number": f"T-{n:05d}",
        "first_name": "Erika",
        "last_name": "Mustermann-" + _sounding(n),
        "town": "Guben",
        "birth_year": 1980,
    }
    values.update(overrides)
    return NewClient(**values)  # type: ignore[arg-type]


def any_employer(db: Database) -> int:
    with db.write() as session:
        employer = session.scalar(select(Employer).limit(1))
        if employer is None:
            employer = Employer(name="Testbetrieb GmbH")
            session.add(employer)
            session.flush()
        return employer.id


def move(db: Database, actor: Actor, case_id: int, version: int, target: CaseStatus) -> int:
    """Apply one transition with whatever extra input it needs."""
    if target == CaseStatus.INTERVIEW_PLANNED:
        # Today: held or missed, its outcome is then dated today (a later day cannot be entered yet).
        at = datetime.combine(date.today(), time(8))
        return schedule_first_interview(db, actor, case_id, version, at)
    extra: dict[str, object] = {}
    if target == CaseStatus.CLOSED:
        extra["end_reason"] = EndReason.OTHER
    if target == CaseStatus.PAUSED:
        extra["pause_reason"] = PauseReason.ILLNESS
        extra["resume_on"] = date.today() + timedelta(days=30)
    if target == CaseStatus.EMPLOYED:
        extra["placement"] = NewPlacement(employer_id=any_employer(db), start_date=date.today(),
                                          job_kind=JobKind.FULL_TIME)
    return change_status(db, actor, case_id, version, target, **extra)


def case_in(
    db: Database,
    actor: Actor,
    status: CaseStatus,
    *,
    companion_id: int,
    case_manager_id: int,
    referred_on: date | None = None,
) -> tuple[int, int]:
    """A fresh case in `status`, referred on `referred_on` (default 30 days ago). (id, version)."""
    case_id = refer_client(
        db,
        actor,
        client=new_client(),
        case_manager_id=case_manager_id,
        referred_on=referred_on or date.today() - timedelta(days=30),
    )
    version = assign_companion(db, actor, case_id, 1, companion_id, over_capacity_confirmed=True)
    for step in PATHS[status]:
        version = move(db, actor, case_id, version, step)
    return case_id, version


def part_time(db: Database, username: str, capacity: int) -> None:
    """A companion's own, lower capacity (as the lead sets it for part-time work). The demo's
    Bianca has 11 participants: at 10 she is over capacity, at 11 full."""
    from db.store.audit import audit

    with db.write() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        user.capacity = capacity
        # As any change through the app: audited, so cached figures see it (db.store.memo).
        audit(session, Actor.system(), "update", "user", user.id, {"capacity": capacity})


def audit_count(db: Database, **where: object) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(AuditEntry).filter_by(**where)
        return session.scalar(query) or 0


def load_case(db: Database, case_id: int) -> Case:
    with db.read() as session:
        return session.get_one(Case, case_id)


def past_caseload(db: Database, rng: random.Random, cases: int, today: date) -> None:
    """Cases with consistent histories over the last 14 months, written straight to the tables
    (fast; the council attacker test makes its world through the service functions instead),
    with a companion "b", a council member "kreistag" and a lead "leitung"."""
    with db.write() as session:
        companion = User(username="b", display_name="B", role=Role.COMPANION, password_hash="x",
                         capacity=20, start_date=today - timedelta(days=500))
        council = User(username="kreistag", display_name="K", role=Role.COUNCIL, password_hash="x")
        lead = User(username="leitung", display_name="Rita Richter", role=Role.LEAD, password_hash="x")
        employer = Employer(name="Firma")
        places = [OfficeHourLocation(town=t, status=LocationStatus.RUNNING) for t in ("Guben", "Forst")]
        session.add_all([companion, council, lead, employer, *places])
        session.flush()
        for place in places:
            for _ in range(rng.randint(0, 12)):
                session.add(OfficeHourSession(location_id=place.id, visitors=rng.randint(0, 6),
                                              held_on=today - timedelta(days=rng.randint(1, 420))))
        for n in range(cases):
            client = Client(client_number=f"R{n}", first_name="Vor", last_name=f"Name{n}", town="Guben")
            referred = today - timedelta(days=rng.randint(5, 420))
            case = Case(client=client, companion_id=companion.id, status=CaseStatus.REFERRED,
                        referral_source=ReferralSource.CASE_MANAGER, referred_on=referred)
            session.add(case)
            session.flush()
            history = [(None, CaseStatus.REFERRED, referred)]
            day = referred
            for target in rng.choice([[], [CaseStatus.INTERVIEW_PLANNED],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.CLOSED],
                                      [CaseStatus.INTERVIEW_PLANNED, CaseStatus.ACTIVE, CaseStatus.EMPLOYED,
                                       CaseStatus.CLOSED]]):
                day = min(today - timedelta(days=1), day + timedelta(days=rng.randint(1, 60)))
                history.append((history[-1][1], target, day))
                if target == CaseStatus.ACTIVE:
                    case.start_date = day
                    for barrier in rng.sample(list(Barrier), rng.randint(0, 3)):
                        resolved = day + timedelta(days=rng.randint(1, 90)) if rng.random() < 0.3 else None
                        session.add(CaseBarrier(case_id=case.id, barrier=barrier, noted_on=day,
                                                resolved_on=resolved if resolved and resolved < today else None))
                    for _ in range(rng.randint(0, 4)):
                        session.add(Activity(case_id=case.id, kind=rng.choice(LOGGABLE_KINDS),
                                             occurred_on=min(today, day + timedelta(days=rng.randint(0, 60)))))
                if target == CaseStatus.EMPLOYED:
                    session.add(Placement(case_id=case.id, employer_id=employer.id, start_date=day,
                                          job_kind=rng.choice(list(JobKind))))
                if target == CaseStatus.CLOSED:
                    case.end_date = day
                    case.end_reason = rng.choice(list(EndReason))
            case.status = history[-1][1]
            for source, target, on in history:
                session.add(StatusChange(case_id=case.id, from_status=source, to_status=target, changed_on=on))


def history_of_the_demo_team(world, seed: int, cases: int, imported: int):  # type: ignore[no-untyped-def]
    """`world` (conftest.World) with a history made through the services by its own people
    (begleiter1, fallmanager1, leitung, kreistag): programme_through_services with a seed."""
    actors = {role: world.actor(name) for role, name in (
        ("companion", "begleiter1"), ("case_manager", "fallmanager1"), ("lead", "leitung"),
        ("council", "kreistag"))}
    programme_through_services(world.db, random.Random(seed), cases, world.today, imported=imported, actors=actors)
    return world


def programme_through_services(db: Database, rng: random.Random, cases: int, today: date,
                               imported: int = 0, actors: dict[str, Actor] | None = None) -> dict[str, Actor]:
    """A programme's history over the last ~15 months, made the way the app makes it: every
    referral, interview, barrier, contact, job start, exit and office hour through the service
    functions with its own (past) date, and `imported` further running cases through the
    caseload import. Makes its own people unless `actors` (companion, case_manager, lead,
    council) are given. Returns the actors by role name."""
    from db.casework.activities import record_activity
    from db.casework.barriers import add_barrier, resolve_barrier
    from db.casework.caseload_io import COLUMNS, import_cases, read_upload
    from db.programme.locations import record_office_hours
    from db.casework.entry import EntryData, save_entry_data
    from db.vocabulary import Education, EntryEmployment, ExitResult, Gender, Household

    with db.write() as session:
        people = {} if actors else {
            "companion": User(username="b1", display_name="Bea Begleiterin", role=Role.COMPANION,
                              password_hash="x", capacity=20, start_date=today - timedelta(days=600)),
            "case_manager": User(username="fm", display_name="Fred Fallmann", role=Role.CASE_MANAGER,
                                 password_hash="x"),
            "lead": User(username="leitung", display_name="Rita Richter", role=Role.LEAD, password_hash="x"),
            "council": User(username="kreistag", display_name="Kreistag", role=Role.COUNCIL, password_hash="x"),
        }
        places = [OfficeHourLocation(town=t, status=LocationStatus.RUNNING) for t in ("Peitz", "Drebkau")]
        employer = Employer(name="Firma am Ort")
        session.add_all([*people.values(), *places, employer])
        session.flush()
        actors = actors or {k: Actor.of(u) for k, u in people.items()}
        place_ids, employer_id = [p.id for p in places], employer.id
    companion, lead = actors["companion"], actors["lead"]
    yesterday = today - timedelta(days=1)

    def day_after(day: date, most: int) -> date:
        return min(yesterday, day + timedelta(days=rng.randint(1, most)))

    for place in place_ids:
        for days in rng.sample(range(1, 450), rng.randint(0, 10)):
            record_office_hours(db, companion, place, today - timedelta(days=days), rng.choice([0, 1, 2, 3, 5]))
    for n in range(cases):
        referred = today - timedelta(days=rng.randint(20, 460))
        case_id = refer_client(db, actors["case_manager"], client=new_client(
            client_number=f"S-{n:05d}", town=rng.choice(["Guben", "Forst (Lausitz)", "Spremberg"])),
            case_manager_id=actors["case_manager"].id, referred_on=referred)
        version = assign_companion(db, lead, case_id, 1, companion.id, over_capacity_confirmed=True)
        steps = rng.choice([0, 1, 2, 2, 3, 3, 4])
        if steps == 0:
            continue
        interview = day_after(referred, 20)
        version = schedule_first_interview(db, companion, case_id, version,
                                           datetime.combine(interview, time(10)), planned_on=referred)
        if steps == 1:
            continue
        version = change_status(db, companion, case_id, version, CaseStatus.ACTIVE)
        if rng.random() < 0.75:  # core entry data complete: the participant counts for the Land
            version = save_entry_data(db, companion, case_id, version, EntryData(
                gender=rng.choice(list(Gender)), birth_date=date(rng.randint(1960, 2000), rng.randint(1, 12), 1),
                postcode=f"03{rng.randint(0, 999):03d}", employment=rng.choice(list(EntryEmployment)),
                education=rng.choice(list(Education)), household=Household.LONG_TERM_UNEMPLOYED))
        day = interview
        for barrier in rng.sample(list(Barrier), rng.randint(0, 3)):
            barrier_id = add_barrier(db, companion, case_id, barrier, noted_on=interview)
            if rng.random() < 0.4:
                resolve_barrier(db, companion, barrier_id, resolved_on=day_after(interview, 120))
        for _ in range(rng.randint(0, 4)):
            record_activity(db, companion, case_id, rng.choice(LOGGABLE_KINDS),
                            occurred_on=day_after(interview, 90))
        if steps >= 3 and rng.random() < 0.6:
            day = day_after(day, 90)
            version = change_status(db, companion, case_id, version, CaseStatus.EMPLOYED, placement=NewPlacement(
                employer_id=employer_id, start_date=day, job_kind=rng.choice(list(JobKind))))
        if steps >= 3 and (steps == 4 or rng.random() < 0.5):
            day = day_after(day, 90)
            result = rng.choice([None, *ExitResult])
            version = change_status(db, companion, case_id, version, CaseStatus.CLOSED, on=day,
                                    end_reason=rng.choice(list(EndReason)), exit_result=result,
                                    result_on=min(yesterday, day + timedelta(days=rng.randint(0, 20))))
    if imported:
        rows = []
        for n in range(imported):
            referred = today - timedelta(days=rng.randint(20, 300))
            status = rng.choice(["In Begleitung", "In Arbeit – Nachbetreuung", "Zugewiesen"])
            started = day_after(referred, 30)
            rows.append({COLUMNS["client_number"]: f"I-{n:05d}", COLUMNS["first_name"]: "Ina",
                         COLUMNS["last_name"]: f"Import{n}", COLUMNS["town"]: "Guben",
                         COLUMNS["status"]: status, COLUMNS["companion"]: companion.username,
                         COLUMNS["case_manager"]: actors["case_manager"].username, COLUMNS["referred_on"]: f"{referred:%d.%m.%Y}",
                         COLUMNS["start_date"]: f"{started:%d.%m.%Y}" if status != "Zugewiesen" else "",
                         COLUMNS["employer"]: "Firma am Ort" if status.startswith("In Arbeit") else "",
                         COLUMNS["job_start"]: f"{day_after(started, 60):%d.%m.%Y}"
                         if status.startswith("In Arbeit") else ""})
        frame = pd.DataFrame([{h: r.get(h, "") for h in COLUMNS.values()} for r in rows])
        import_cases(db, lead, read_upload("faelle.csv", frame.to_csv(sep=";", index=False).encode("utf-8-sig")),
                     "faelle.csv")
    return actors


def council_drafts(db: Database, actor: Actor, today: date) -> dict[tuple[str, str], dict]:
    """Every quarter's council tables (as drafted, before release) from the programme's start to
    today's quarter, as printed: the figures that must survive erasure and anonymisation."""
    from db.figures import flows
    from db.figures.council import draft
    from db.figures.periods import ReportingPeriod

    start = flows.programme_start(db)
    out: dict[tuple[str, str], dict] = {}
    quarter = ReportingPeriod.containing(start or today)
    while quarter.start <= today:
        out.update({(quarter.key, slug): t.shown().to_dict()
                    for slug, t in draft(db, actor, quarter, today).tables.items()})
        quarter = quarter.next()
    return out


def age_snapshots(db: Database, seconds: float = 61) -> None:
    """The clock driven for the lead's figures (db.store.recount): every count made `seconds`
    earlier than it was – a minute passes without waiting for it."""
    from sqlalchemy import update

    from db.store.models import FigureSnapshot

    with db.write() as session:
        for key, counted_at in session.execute(select(FigureSnapshot.key, FigureSnapshot.counted_at)).all():
            session.execute(update(FigureSnapshot).where(FigureSnapshot.key == key)
                            .values(counted_at=counted_at - timedelta(seconds=seconds)))


class _GfmLinks:
    """linkify-it as GFM's autolink literals: a link with a scheme ("https://", "mailto:"), an
    e-mail address, or a schemeless one starting with "www." – GFM leaves a bare "name.de" text,
    which linkify-it's fuzzy links would link."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def match(self, text: str) -> list[object] | None:
        links = [link for link in self._inner.match(text) or []  # type: ignore[attr-defined]
                 if link.schema or link.raw.lower().startswith("www.")]
        return links or None

    def test(self, text: str) -> bool:
        return self.match(text) is not None


def streamlit_markdown() -> MarkdownIt:
    """Markdown as Streamlit's browser renders it (react-markdown with remark-gfm): CommonMark
    with raw HTML, tables, strikethrough and GFM's autolink literals. What it turns into a tag
    from planted text, the page would too."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["linkify", "table", "strikethrough"])
    md.linkify = _GfmLinks(md.linkify)
    return md
