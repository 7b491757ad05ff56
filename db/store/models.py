"""Typed SQLAlchemy 2.0 models of the programme.

Enums are stored as short strings (no native database enums) so SQLite and PostgreSQL hold the
same values and new members need no type migration.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from ..clock import utcnow
from ..phonetics import cologne
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
    PositionState,
    ReferralSource,
    Role,
)

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Marks a column that names or describes a person: a client's identity and contact data, and
# free text written about people. On PostgreSQL such a column keeps no planner statistics
# (SET STATISTICS 0, migration 0015): ANALYZE would copy sample values into pg_statistic, where
# the app role reads them through pg_stats and where an erasure does not reach.
# tests/test_erasure.py checks every marked column in a migrated database and after an erasure.
PERSONAL = {"personal": True}


def _enum(cls: type) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, always timezone-aware UTC in Python (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        Role: _enum(Role),
        ReferralSource: _enum(ReferralSource),
        CaseStatus: _enum(CaseStatus),
        ActivityKind: _enum(ActivityKind),
        Barrier: _enum(Barrier),
        EndReason: _enum(EndReason),
        JobKind: _enum(JobKind),
        PositionState: _enum(PositionState),
        LocationStatus: _enum(LocationStatus),
        PlanMetric: _enum(PlanMetric),
        PauseReason: _enum(PauseReason),
        Gender: _enum(Gender),
        EntryEmployment: _enum(EntryEmployment),
        Education: _enum(Education),
        Household: _enum(Household),
        Answer: _enum(Answer),
        ExitResult: _enum(ExitResult),
        FollowUpResult: _enum(FollowUpResult),
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class User(Base):
    """A staff member who logs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), info=PERSONAL)
    email: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    role: Mapped[Role]
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Companions only: target caseload and the day they start work.
    capacity: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date | None] = mapped_column(Date)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # Set when an admin (or the command line) chose the password: the user replaces it first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    locked_until: Mapped[datetime | None]
    # Browser sessions started before this moment are void (set on logout and deactivation), so
    # a copied or left-behind login cookie stops working.
    sessions_revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Position(Base):
    """A funded companion position; the holder is set once it is filled."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    state: Mapped[PositionState]
    funded_from: Mapped[date] = mapped_column(Date)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    capacity: Mapped[int] = mapped_column(Integer, default=25)
    note: Mapped[str | None] = mapped_column(Text, info=PERSONAL)

    holder: Mapped[User | None] = relationship()


class Client(Base):
    """A citizen taking part. Participation is voluntary: consent is recorded."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_number: Mapped[str] = mapped_column(String(32), unique=True, info=PERSONAL)
    first_name: Mapped[str] = mapped_column(String(120), info=PERSONAL)
    last_name: Mapped[str] = mapped_column(String(120), info=PERSONAL)
    birth_year: Mapped[int | None] = mapped_column(Integer, info=PERSONAL)
    town: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(64), info=PERSONAL)
    consent_date: Mapped[date | None] = mapped_column(Date, info=PERSONAL)
    # Entry data for the funder (db/casework/entry.py); the birth year stays for older records.
    gender: Mapped[Gender | None]
    birth_date: Mapped[date | None] = mapped_column(Date, info=PERSONAL)
    postcode: Mapped[str | None] = mapped_column(String(5), info=PERSONAL)
    # Street and number for home visits (the town is above); plain text, no map service.
    address: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    # Set by the retention rule (db/privacy/retention.py): the fields above no longer name anybody.
    anonymised_on: Mapped[date | None] = mapped_column(Date)
    # How the names sound (Kölner Phonetik, db/phonetics.py), for the duplicate check and the
    # search: set from the names on every ORM write (_sound_codes below), None once anonymised.
    first_name_code: Mapped[str | None] = mapped_column(String(120), info=PERSONAL)
    last_name_code: Mapped[str | None] = mapped_column(String(120), info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_clients_name_code", "last_name_code", "first_name_code"),)

    cases: Mapped[list[Case]] = relationship(back_populates="client")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def name_codes(first_name: str | None, last_name: str | None,
               anonymised_on: date | None = None) -> dict[str, str | None]:
    """The stored sound codes of a person's names: the one rule, for the ORM event below, the
    bulk writes that bypass it (erasure, synthetic data) and the migration's backfill."""
    if anonymised_on is not None:
        return {"first_name_code": None, "last_name_code": None}
    return {"first_name_code": cologne(first_name or "") or None,
            "last_name_code": cologne(last_name or "") or None}


@event.listens_for(Client, "before_insert")
@event.listens_for(Client, "before_update")
def _sound_codes(_mapper: Any, _connection: Any, client: Client) -> None:
    for column, code in name_codes(client.first_name, client.last_name, client.anonymised_on).items():
        setattr(client, column, code)


class OfficeHourLocation(Base):
    """A place where the companions hold office hours (Sprechstunden)."""

    __tablename__ = "office_hour_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    town: Mapped[str] = mapped_column(String(120), unique=True)
    venue: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[LocationStatus]
    start_date: Mapped[date | None] = mapped_column(Date)
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    time_from: Mapped[time | None] = mapped_column(Time)
    time_to: Mapped[time | None] = mapped_column(Time)


class OfficeHourSession(Base):
    """One held office-hour session and how many people came."""

    __tablename__ = "office_hour_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("office_hour_locations.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    companion_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    visitors: Mapped[int] = mapped_column(Integer, default=0)
    first_interviews: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text, info=PERSONAL)

    location: Mapped[OfficeHourLocation] = relationship()


class Case(Base):
    """One accompaniment of one client by one companion."""

    __tablename__ = "cases"
    __table_args__ = (
        # Covering: caseload per companion is counted from the index alone (db.casework.team).
        Index("ix_cases_status_companion_interview", "status", "companion_id", "first_interview_at"),
        Index("ix_cases_status_referred", "status", "referred_on"),
        Index("ix_cases_next_step_due", "next_step_due"),
        # The results' work list: leavers of the last 28 days, follow-ups due (db/casework/results_tasks.py).
        Index("ix_cases_status_end", "status", "end_date"),
        # The lead's figures, each counted from an index alone (db.store.recount, issue 42):
        # per companion in companion order (no sort for the GROUP BY) ...
        Index("ix_cases_companion_status_interview", "companion_id", "status", "first_interview_at"),
        # ... weeks and months of begun and of ended accompaniments, before and in a period ...
        Index("ix_cases_start_end", "start_date", "end_date"),
        Index("ix_cases_end_start", "end_date", "start_date"),
        # (the referred ones with their id: the funnel joins their status changes and jobs by it,
        # migration 0019)
        Index("ix_cases_referred_start_id", "referred_on", "start_date", "id"),
        # ... what is overdue today, participants without complete entry data ...
        Index("ix_cases_status_due_interview", "status", "next_step_due", "first_interview_at"),
        Index("ix_cases_entry_start", "entry_complete", "start_date"),
        # ... and the leavers per month with all they are grouped by (db.results.kept_months),
        # the case's id too: PostgreSQL's indexes do not carry it by themselves (SQLite's do),
        # and the result is looked up by it (migration 0018).
        Index("ix_cases_leavers_id", "status", "end_date", "entry_complete", "start_date", "client_id",
              "end_reason", "follow_up_result", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    companion_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    case_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    referral_source: Mapped[ReferralSource]
    status: Mapped[CaseStatus]
    referred_on: Mapped[date] = mapped_column(Date, index=True)
    # Appointments are local wall-clock times ("Tuesday 10:00 in Guben"), stored without zone.
    first_interview_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    # NULL with a first interview set means a home visit.
    first_interview_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("office_hour_locations.id")
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[EndReason | None]
    next_step: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    next_step_due: Mapped[date | None] = mapped_column(Date)
    # Ruhend: why, and when accompaniment is planned to resume.
    pause_reason: Mapped[PauseReason | None]
    resume_on: Mapped[date | None] = mapped_column(Date)
    # Entry data of this participation (ESF+ Annex I); see db/casework/entry.py for the rules.
    entry_employment: Mapped[EntryEmployment | None]
    entry_education: Mapped[Education | None]
    entry_household: Mapped[Household | None]
    entry_children: Mapped[int | None] = mapped_column(Integer)
    entry_disability: Mapped[Answer | None]
    entry_third_country: Mapped[Answer | None]
    entry_foreign_background: Mapped[Answer | None]
    entry_minority: Mapped[Answer | None]
    entry_homeless: Mapped[Answer | None]
    entry_rural: Mapped[Answer | None]
    # Derived when entry data or the birth date are saved, and kept when the person's data are
    # erased, so anonymised participants stay counted as they were.
    entry_age_band: Mapped[str | None] = mapped_column(String(8))
    entry_complete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Six months after the exit: in work or not, and the day it was found out.
    follow_up_result: Mapped[FollowUpResult | None]
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    # SQLAlchemy adds "AND version = :loaded" to every UPDATE, so a concurrent write fails loudly.
    __mapper_args__ = {"version_id_col": version}

    client: Mapped[Client] = relationship(back_populates="cases")
    companion: Mapped[User | None] = relationship(foreign_keys=[companion_id])
    case_manager: Mapped[User | None] = relationship(foreign_keys=[case_manager_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    first_interview_location: Mapped[OfficeHourLocation | None] = relationship()
    barriers: Mapped[list[CaseBarrier]] = relationship(back_populates="case")
    placements: Mapped[list[Placement]] = relationship(back_populates="case")


class StatusChange(Base):
    """The history of a case's status: the timeline and the intake charts read it."""

    __tablename__ = "status_changes"
    # The funnel: the cases that reached a status, from the index alone and only the rows of
    # that status (db.figures.series.funnel; migration 0019).
    __table_args__ = (Index("ix_status_changes_reached", "to_status", "undone_on", "reverses_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_status: Mapped[CaseStatus | None]
    to_status: Mapped[CaseStatus]
    changed_on: Mapped[date] = mapped_column(Date, index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    # Same-day undo (db/undo.py) keeps the history: the undone change is marked, and the
    # reversing change points at it. Figures count neither (`counted_changes`).
    undone_on: Mapped[date | None] = mapped_column(Date)
    reverses_id: Mapped[int | None] = mapped_column(Integer)
    # What the change altered besides the status (case fields before it, rows it created), so
    # that an undo restores exactly that.
    prior_state: Mapped[dict[str, Any] | None]


class Activity(Base):
    """A contact or accompaniment logged on a case."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_case_date", "case_id", "occurred_on"),
        # The Lagebild's contacts per week and kind are counted from this index alone.
        Index("ix_activities_day_kind", "occurred_on", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[ActivityKind]
    occurred_on: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExitOutcome(Base):
    """An event within 28 days after a participant left (a job started, training began …).
    Several may be recorded; the last one by date is the result (ESF+ rule)."""

    __tablename__ = "exit_outcomes"
    # A case's result (its newest event) found in the index, without a sort (latest_result).
    __table_args__ = (Index("ix_exit_outcomes_case_latest", "case_id", "occurred_on", "id", "result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    result: Mapped[ExitResult]
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseBarrier(Base):
    """A barrier to work recorded on a case (e.g. a missing driving licence)."""

    __tablename__ = "case_barriers"
    __table_args__ = (Index("ix_case_barriers_barrier", "barrier"),
                      # The Lagebild's barriers chart from the index alone (db.figures.series.barriers).
                      Index("ix_case_barriers_barrier_noted_resolved", "barrier", "noted_on", "resolved_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    barrier: Mapped[Barrier]
    noted_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    # Who marked it "Erledigt" and when: only they may take it back, on the same day.
    resolved_by_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text, info=PERSONAL)

    case: Mapped[Case] = relationship(back_populates="barriers")


class Employer(Base):
    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[str | None] = mapped_column(String(120))
    town: Mapped[str | None] = mapped_column(String(120))
    contact_person: Mapped[str | None] = mapped_column(String(120), info=PERSONAL)
    phone: Mapped[str | None] = mapped_column(String(64), info=PERSONAL)


class Placement(Base):
    """A job taken up by a client; follow-up support runs while it lasts."""

    __tablename__ = "placements"
    # Job starts per month from the index alone (db.figures.flows.monthly_events).
    __table_args__ = (Index("ix_placements_start_case", "start_date", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    job_kind: Mapped[JobKind]
    job_title: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    case: Mapped[Case] = relationship(back_populates="placements")
    employer: Mapped[Employer] = relationship()


class PlanTarget(Base):
    """What the programme plans for a period, e.g. 15 active cases in March."""

    __tablename__ = "plan_targets"
    __table_args__ = (UniqueConstraint("metric", "period_start", name="metric_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[PlanMetric]
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    target: Mapped[int] = mapped_column(Integer)


class BrowserSession(Base):
    """One login (a user and the moment of the login, which the signed cookie carries) and when
    it was last used: an idle session ends even if the page is reloaded from the cookie."""

    __tablename__ = "browser_sessions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(primary_key=True)
    last_seen_at: Mapped[datetime]


class LoginThrottle(Base):
    """Failed logins per typed username (known or not) and per client address, keyed by a keyed
    hash of either: the same lock for every name, so a lock tells nobody which names exist."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginTicket(Base):
    """A one-time login ticket that has been used (pages/gateway.py): kept in the database, which
    every app server shares, so a ticket sets the cookie once – not once per server. Kept until
    the ticket expires; after that its signature check refuses it anyway."""

    __tablename__ = "login_tickets"

    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]


class FigureSnapshot(Base):
    """One of the lead's figures as last counted (db.store.recount), shared by every app server:
    a page shows it at once and a recount runs off the request path. Aggregates only – no name
    of a client or of staff (tests/test_recount.py reads every payload); a figure with names stays
    exact per process (db.store.memo.until_data_change)."""

    __tablename__ = "figure_snapshots"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # function, arguments, day
    day: Mapped[date] = mapped_column(Date, index=True)
    stamp: Mapped[int]  # the data stamp (db.store.memo.data_stamp) it was counted at
    counted_at: Mapped[datetime]
    # The lease: the one app server recounting this figure until then (others leave it alone).
    leased_until: Mapped[datetime | None]
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # pickled, signed (HMAC, AUDIT_KEY)


class LeaverMonth(Base):
    """The leavers of one closed month (db.results.kept_months), grouped as monthly_leavers
    groups them: aggregates only, no case and no person. A month is closed once every leaver in
    it has passed the six months and the 28 days; its rows then depend on the data alone, and
    triggers on cases, clients and exit_outcomes mark the month when that data changes
    (LeaverMonthMark, migration 0018)."""

    __tablename__ = "leaver_months"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    gender: Mapped[Gender | None]
    end_reason: Mapped[EndReason | None]
    result: Mapped[ExitResult | None]
    follow_up_result: Mapped[FollowUpResult | None]
    count: Mapped[int]
    days: Mapped[int | None]


class LeaverMonthCounted(Base):
    """A closed month whose leavers stand in leaver_months (a month without leavers too)."""

    __tablename__ = "leaver_months_counted"

    month: Mapped[date] = mapped_column(Date, primary_key=True)


class LeaverMonthMark(Base):
    """A month whose leavers changed since it was counted – written by the database's triggers on
    every insert, update or delete that can move a leaver's figures (migration 0018), whatever
    wrote it. Removed, by id, only by the count that read it before counting the month."""

    __tablename__ = "leaver_month_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)


class AuditEntry(Base):
    """Append-only record of who viewed or changed what (database triggers refuse edits)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),
                      # The newest entry about a kind of record (db.store.memo.until_change_of; migration 0020).
                      Index("ix_audit_log_entity_newest", "entity", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any] | None]
    # A hash chain (db/store/audit.py): each entry's hash covers its content and the previous entry's
    # hash, so an edited, inserted or removed entry breaks the chain (`python -m db verify-audit`).
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class CouncilRelease(Base):
    """A council briefing as released for one quarter: the printed tables, tiles and summary,
    never a hidden value. Append-only (database triggers refuse edits): a correction is a new
    release that names the one it corrects."""

    __tablename__ = "council_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_key: Mapped[str] = mapped_column(String(8), index=True)
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("council_releases.id"), unique=True)


class CouncilReleaseFile(Base):
    """A file of a release (PDF, Excel, CSV, a chart as PNG), made once when it was released:
    every download hands out the same bytes."""

    __tablename__ = "council_release_files"
    __table_args__ = (UniqueConstraint("release_id", "name", name="release_file"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("council_releases.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


def personal_columns() -> list[tuple[str, str]]:
    """(table, column) of every column marked PERSONAL, in table order."""
    return [(table.name, column.name) for table in Base.metadata.sorted_tables
            for column in table.columns if column.info.get("personal")]
