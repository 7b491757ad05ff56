"""Reading cases: the paginated case list and one case's detail (each detail view is audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    ColumnElement,
    Date,
    Integer,
    String,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from ..accounts.permissions import (
    can_read_notes,
    case_scope,
    may_edit,
    require_case,
    require_personal_read,
)
from ..actors import Actor
from ..clock import today
from ..errors import NotFound
from ..phonetics import cologne
from ..programme.locations import interview_place
from ..store.audit import audit
from ..store.database import Database
from ..store.memo import change_stamp_column, pin_change_stamp, until_data_change
from ..store.models import (
    Activity,
    Case,
    CaseBarrier,
    Client,
    Employer,
    ExitOutcome,
    OfficeHourLocation,
    Placement,
    StatusChange,
    User,
)
from ..validation import clean_text
from ..vocabulary import SENSITIVE_BARRIERS, ActivityKind, Barrier, CaseStatus, ExitResult
from .corrections import barrier_undoable, can_undo
from .overdue import interview_outcome_missing, needs_attention
from .results_card import ResultsView, results_view
from .workflow import OPEN_STATUSES


# The users a case names, made once: an alias built per call adapted every column of users anew,
# a fifth of reading a case (issue 42).
_COMPANION = aliased(User, name="companion")
_MANAGER = aliased(User, name="case_manager")
_AUTHOR = aliased(User, name="author")


@dataclass(frozen=True)
class CaseFilter:
    companion_id: int | None = None
    statuses: tuple[CaseStatus, ...] = ()
    town: str | None = None
    barrier: Barrier | None = None
    referred_from: date | None = None
    referred_to: date | None = None
    search: str | None = None  # client number or name
    overdue_only: bool = False


def sounds_like(search: str) -> list[ColumnElement[bool]]:
    """"Maier" finds Meyer too: every word of the search sounds like the first or the last name
    (Kölner Phonetik, the stored codes). Only for words of letters, at least two: a client
    number or an initial would sound like half the caseload."""
    words = search.split()
    if not words or any(len(word) < 2 or not word.replace("-", "").isalpha() for word in words):
        return []
    codes = [cologne(word) for word in words]
    if not all(codes):
        return []
    return [and_(*(or_(Client.first_name_code == code, Client.last_name_code == code) for code in codes))]


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    version: int
    client_number: str
    client_name: str
    town: str
    status: CaseStatus
    companion: str | None
    referred_on: date
    first_interview_at: datetime | None
    next_step: str | None
    next_step_due: date | None
    first_interview_place: str | None = None  # where a planned first interview takes place

    @property
    def overdue(self) -> bool:
        return (
            self.next_step_due is not None
            and self.next_step_due < today()
            and self.status in OPEN_STATUSES
        )

    @property
    def outcome_missing(self) -> bool:
        return interview_outcome_missing(self.first_interview_at, self.status, today())

    @property
    def late(self) -> bool:
        """Marked in the list: an overdue next step or a first interview without outcome."""
        return self.overdue or self.outcome_missing


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseRow]
    total: int


def work_order(day: date) -> tuple:
    """The case list's order: what needs doing first (an overdue next step, a first interview
    without an outcome) on top, then open next steps by due day, then the newest referrals.
    SORT_TEXT says it in German on the page."""
    due = case((Case.status.in_(OPEN_STATUSES), Case.next_step_due), else_=None)
    return (case((needs_attention(day), 0), else_=1), due.asc().nulls_last(),
            Case.referred_on.desc(), Case.id.desc())


SORT_TEXT = "Sortiert: Überfälliges zuerst, dann nach Fälligkeit des nächsten Schritts, dann neueste Zuweisung."


def caseload(
    db: Database,
    actor: Actor,
    filters: CaseFilter = CaseFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
) -> CaseloadPage:
    """One page of the cases this actor may see, in work_order, and the total count."""
    require_personal_read(actor)
    companion = _COMPANION
    conditions = [case_scope(actor)]
    if filters.companion_id is not None:
        conditions.append(Case.companion_id == filters.companion_id)
    if filters.statuses:
        conditions.append(Case.status.in_(filters.statuses))
    if filters.town:
        conditions.append(Client.town == filters.town)
    if filters.barrier is not None:
        conditions.append(
            exists().where(
                CaseBarrier.case_id == Case.id,
                CaseBarrier.barrier == filters.barrier,
                CaseBarrier.resolved_on.is_(None),
            )
        )
    if filters.referred_from is not None:
        conditions.append(Case.referred_on >= filters.referred_from)
    if filters.referred_to is not None:
        conditions.append(Case.referred_on <= filters.referred_to)
    if filters.search and clean_text(filters.search):
        # Bound parameter, LIKE wildcards escaped: user text is never SQL.
        needle = clean_text(filters.search).lower()
        needle = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{needle}%"
        # As a set of client ids: the database scans the clients once instead of testing the
        # pattern per case while walking the list in date order (500 → 60 ms at 100,000 cases).
        matching = select(Client.id).where(
            or_(
                func.lower(Client.client_number).like(pattern, escape="\\"),
                func.lower(Client.first_name + " " + Client.last_name).like(pattern, escape="\\"),
                *sounds_like(filters.search),
            )
        )
        conditions.append(Case.client_id.in_(matching))
    day = today()
    if filters.overdue_only:
        conditions.append(needs_attention(day))

    base = select(Case).join(Client, Case.client_id == Client.id).where(*conditions)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        query = (
            select(
                Case.id,
                Case.version,
                Client.client_number,
                Client.first_name,
                Client.last_name,
                Client.town,
                Case.status,
                companion.display_name,
                Case.referred_on,
                Case.first_interview_at,
                Case.next_step,
                Case.next_step_due,
                Case.companion_id,
                OfficeHourLocation.town.label("interview_town"),
            )
            .join(Client, Case.client_id == Client.id)
            .outerjoin(companion, Case.companion_id == companion.id)
            .outerjoin(OfficeHourLocation, Case.first_interview_location_id == OfficeHourLocation.id)
            .where(*conditions)
            .order_by(*work_order(day))
            .limit(limit)
            .offset(offset)
        )
        rows = [
            CaseRow(
                case_id=r.id,
                version=r.version,
                client_number=r.client_number,
                client_name=f"{r.first_name} {r.last_name}",
                town=r.town,
                status=r.status,
                companion=r.display_name,
                referred_on=r.referred_on,
                first_interview_at=r.first_interview_at,
                # Next steps are working notes: Fallmanager see status and dates only.
                next_step=r.next_step if may_edit(actor, r.companion_id, r.status) else None,
                next_step_due=r.next_step_due,
                first_interview_place=interview_place(r.interview_town) if r.first_interview_at else None,
            )
            for r in session.execute(query)
        ]
    return CaseloadPage(rows=rows, total=total)


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    recorded_at: datetime  # orders the entries of one day
    kind: str  # "activity" or "status"
    title: str
    note: str | None
    by: str | None
    duration_minutes: int | None = None


@dataclass(frozen=True)
class BarrierView:
    id: int
    barrier: Barrier
    noted_on: date
    resolved_on: date | None
    undoable: bool = False  # "Erledigt" set today by the viewer: it can be taken back


@dataclass(frozen=True)
class PlacementView:
    employer: str
    job_kind: str
    job_title: str | None
    start_date: date
    end_date: date | None


@dataclass
class CaseDetail:
    case_id: int
    version: int
    status: CaseStatus
    client_id: int
    client_version: int
    client_number: str
    first_name: str
    last_name: str
    birth_year: int | None
    town: str
    phone: str | None
    address: str | None
    consent_date: date | None
    companion: str | None
    companion_id: int | None
    case_manager: str | None
    referral_source: str
    referred_on: date
    first_interview_at: datetime | None
    start_date: date | None
    end_date: date | None
    end_reason: str | None
    next_step: str | None
    next_step_due: date | None
    notes_visible: bool
    first_interview_place: str | None = None
    referral_note: str | None = None  # the Fallmanager's hint for the companion
    undo_label: str | None = None  # the status change the viewer may still take back today
    # The employer of the latest contact with an employer on this case: the job start's
    # suggestion, which the person confirms (no guess where nobody was contacted).
    last_employer_id: int | None = None
    results: ResultsView | None = None  # entry data and results: for those who edit the case
    barriers: list[BarrierView] = field(default_factory=list)
    placements: list[PlacementView] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


def case_detail(db: Database, actor: Actor, case_id: int, *, new_view: bool = True) -> CaseDetail:
    """One case as its page shows it.

    Opening a personal record is audited; `new_view=False` is for the page redrawing itself
    after an action on the same, already logged view.
    """
    # A redraw writes nothing: a read transaction (on SQLite it takes no write lock).
    with (db.write() if new_view else db.read()) as session:
        require_personal_read(actor, case_id)  # inside the transaction: a refusal is audited
        # The case with its person and the names it shows in one query; the lists beside it as
        # columns, not ORM objects (the page reads all of it on every run: issue 42). Case and
        # client stay objects: the permission rules and the entry data read them.
        companion, manager = _COMPANION, _MANAGER
        found = session.execute(
            select(Case, Client, companion.display_name, manager.display_name, OfficeHourLocation.town,
                   # read ahead for the page's forms (their choice of employers is kept until an
                   # employer changes): the stamp without a round trip of its own
                   change_stamp_column("employer"))
            .join(Client, Case.client_id == Client.id)
            .outerjoin(companion, Case.companion_id == companion.id)
            .outerjoin(manager, Case.case_manager_id == manager.id)
            .outerjoin(OfficeHourLocation, Case.first_interview_location_id == OfficeHourLocation.id)
            .where(Case.id == case_id)).first()
        if found is None:
            raise NotFound("Diesen Fall gibt es nicht.")
        case, c, companion_name, manager_name, interview_town, employer_changed = found
        require_case(actor, case)
        notes = can_read_notes(actor, case)
        if new_view:
            audit(session, actor, "view", "case", case.id)
        detail = CaseDetail(
            case_id=case.id,
            version=case.version,
            status=case.status,
            client_id=c.id,
            client_version=c.version,
            client_number=c.client_number,
            first_name=c.first_name,
            last_name=c.last_name,
            birth_year=c.birth_year,
            town=c.town,
            phone=c.phone if notes else None,
            address=c.address if notes else None,
            consent_date=c.consent_date,
            companion=companion_name,
            companion_id=case.companion_id,
            case_manager=manager_name,
            referral_source=case.referral_source.label,
            referred_on=case.referred_on,
            first_interview_at=case.first_interview_at,
            start_date=case.start_date,
            end_date=case.end_date,
            end_reason=case.end_reason.label if case.end_reason else None,
            next_step=case.next_step if notes else None,
            next_step_due=case.next_step_due,
            notes_visible=notes,
            first_interview_place=interview_place(interview_town) if case.first_interview_at else None,
        )
        if notes:
            detail.results = results_view(session, case)
        detail.placements = [
            PlacementView(p.name, p.job_kind.label, p.job_title, p.start_date, p.end_date)
            for p in session.execute(
                select(Employer.name, Placement.job_kind, Placement.job_title, Placement.start_date,
                       Placement.end_date)
                .join(Employer, Placement.employer_id == Employer.id)
                .where(Placement.case_id == case.id).order_by(Placement.start_date, Placement.id))
        ]
        detail.barriers = [
            BarrierView(b.id, b.barrier, b.noted_on, b.resolved_on, barrier_undoable(b, actor))
            for b in session.execute(
                select(CaseBarrier.id, CaseBarrier.barrier, CaseBarrier.noted_on, CaseBarrier.resolved_on,
                       CaseBarrier.resolved_by_id, CaseBarrier.resolved_at)
                .where(CaseBarrier.case_id == case.id).order_by(CaseBarrier.noted_on, CaseBarrier.id))
            if notes or b.barrier not in SENSITIVE_BARRIERS
        ]
        _read_history(session, detail, notes, actor, case.status)
    pin_change_stamp(db, "employer", employer_changed)  # after the commit: its write is no employer's
    return detail


def _none(type_):  # type: ignore[no-untyped-def]
    """A typed NULL for a column one kind of history entry does not have (UNION ALL)."""
    return cast(null(), type_)


def _history(case_id: int, with_activities: bool):  # type: ignore[no-untyped-def]
    """The case's status changes – and for those who read the notes its activities and results –
    as one UNION ALL: one round trip instead of one per kind (issue 42). Enum columns come as
    their stored text (the kinds differ per branch; the first branch would decide the type)."""
    author = _AUTHOR
    text = String()
    kinds = [
        select(literal_column("'status'", text).label("kind"), StatusChange.id,
               StatusChange.changed_on.label("on"), StatusChange.changed_at.label("recorded_at"),
               type_coerce(StatusChange.to_status, text).label("code"), StatusChange.reason.label("note"),
               author.display_name.label("by"), _none(Integer).label("duration_minutes"),
               _none(Integer).label("employer_id"),
               # the status change's own columns: the referral (the first) and the undo candidate
               type_coerce(StatusChange.from_status, text).label("from_status"), StatusChange.changed_by_id,
               StatusChange.undone_on, StatusChange.reverses_id, StatusChange.prior_state)
        .outerjoin(author, StatusChange.changed_by_id == author.id)
        .where(StatusChange.case_id == case_id)]
    if with_activities:
        status_only = (_none(text), _none(Integer), _none(Date), _none(Integer), _none(JSON))
        kinds += [
            select(literal_column("'activity'", text), Activity.id, Activity.occurred_on, Activity.created_at,
                   type_coerce(Activity.kind, text), Activity.note, author.display_name,
                   Activity.duration_minutes, Activity.employer_id, *status_only)
            .outerjoin(author, Activity.created_by_id == author.id)
            .where(Activity.case_id == case_id),
            select(literal_column("'result'", text), ExitOutcome.id, ExitOutcome.occurred_on,
                   ExitOutcome.recorded_at, type_coerce(ExitOutcome.result, text), _none(Text),
                   author.display_name, _none(Integer), _none(Integer), *status_only)
            .outerjoin(author, ExitOutcome.recorded_by_id == author.id)
            .where(ExitOutcome.case_id == case_id),
        ]
    return union_all(*kinds) if len(kinds) > 1 else kinds[0]


def _read_history(session, detail: CaseDetail, with_activities: bool,  # type: ignore[no-untyped-def]
                  actor: Actor, case_status: CaseStatus) -> None:
    """The timeline, and from the same rows the referral's note (the reason of the first status
    change: everyone who sees the case may read it) and – for those who read the notes – the
    employer of the latest contact with one and the status change they may still undo: one
    query for all of it."""
    # The columns shown, not the ORM objects: a case's history is read on every run of its page.
    rows = session.execute(_history(detail.case_id, with_activities)).all()
    changes = [r for r in rows if r.kind == "status"]
    activities = [r for r in rows if r.kind == "activity"]
    referral = min((s for s in changes if s.from_status is None), key=lambda s: s.id, default=None)
    detail.referral_note = referral.note if referral is not None else None
    # Statuses first, then activities, then results, as before: the sort below is stable.
    entries = [
        TimelineEntry(
            on=s.on,
            recorded_at=s.recorded_at,
            kind="status",
            title=f"Status: {CaseStatus(s.code).label}",
            note=s.note,
            by=s.by,
        )
        for s in changes
    ]
    if with_activities:
        last = max(changes, key=lambda s: s.id, default=None)  # undoable_change's candidate
        if last is not None and can_undo(
                actor, case_status, from_status=_status(last.from_status), to_status=CaseStatus(last.code),
                changed_by_id=last.changed_by_id, changed_at=last.recorded_at, undone_on=last.undone_on,
                reverses_id=last.reverses_id, prior_state=last.prior_state):
            detail.undo_label = CaseStatus(last.code).label
        latest = max((a for a in activities if a.employer_id is not None),
                     key=lambda a: (a.on, a.id), default=None)
        detail.last_employer_id = latest.employer_id if latest is not None else None
        entries += [
            TimelineEntry(
                on=a.on,
                recorded_at=a.recorded_at,
                kind="activity",
                title=ActivityKind(a.code).label,
                note=a.note,
                by=a.by,
                duration_minutes=a.duration_minutes,
            )
            for a in activities
        ]
        entries += [
            TimelineEntry(on=o.on, recorded_at=o.recorded_at, kind="result",
                          title=f"Verbleib: {ExitResult(o.code).label}", note=None, by=o.by)
            for o in rows if o.kind == "result"
        ]
    detail.timeline = sorted(entries, key=lambda e: (e.on, e.recorded_at), reverse=True)


def _status(value: str | None) -> CaseStatus | None:
    return None if value is None else CaseStatus(value)


@until_data_change
def client_towns(db: Database, actor: Actor) -> list[str]:
    """The towns of the clients this actor may list (for the town filter)."""
    require_personal_read(actor)
    with db.read() as session:
        return list(
            session.scalars(
                select(Client.town)
                .join(Case, Case.client_id == Client.id)
                .where(case_scope(actor))
                .distinct()
                .order_by(Client.town)
            )
        )
