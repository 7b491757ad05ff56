"""The life of a case: referral, assignment, first interview, status changes, next steps.

Every public function is one transaction that checks permission, validates, checks the
optimistic-lock version, changes the data and writes its audit entry — or changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.permissions import can_edit_case, require_role
from ..actors import Actor
from ..clock import today
from ..errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ..store.audit import audit, diff
from ..store.database import Database
from ..store.models import (
    Activity,
    Case,
    CaseBarrier,
    Client,
    Employer,
    OfficeHourLocation,
    Placement,
    StatusChange,
    User,
)
from ..validation import (
    Problems,
    not_before,
    not_in_future,
    not_in_past,
    optional_text,
    phone_number,
    plausible_birth_year,
    required_text,
)
from ..vocabulary import (
    ActivityKind,
    Barrier,
    CaseStatus,
    EndReason,
    ExitResult,
    Gender,
    JobKind,
    PauseReason,
    ReferralSource,
    Role,
)
from . import outcomes
from .corrections import fields_of, prior_state
from .editing import conflict_message, editing
from .entry import EntryData, refresh_entry, refresh_person, validated
from .identity import ClientMatch, Entered, KnownPerson, client_match, known_persons
from .rules import PERSON_LIMITS, REQUIRED_PERSON, History, history_of, require_history
from .team import CompanionLoad, caseloads
from .workflow import OPEN_STATUSES, check_transition


@dataclass(frozen=True)
class NewClient:
    client_number: str
    first_name: str
    last_name: str
    town: str
    birth_year: int | None = None
    phone: str | None = None
    consent_date: date | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    postcode: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class NewPlacement:
    employer_id: int | None
    start_date: date | None
    job_kind: JobKind | None = None  # chosen every time: a Minijob counts differently
    job_title: str | None = None


# --- referral -------------------------------------------------------------------------------


def _validated_client(new: NewClient, problems: Problems | None = None) -> Client:
    """The person as entered, or every problem at once in one message."""
    p = problems or Problems()
    if new.consent_date is not None:
        p.check(not_in_future, new.consent_date, "consent_date", "Einwilligung am")
    person = p.check(validated, EntryData(gender=new.gender, birth_date=new.birth_date,
                                          postcode=new.postcode), on=today())
    required = {key: p.check(required_text, getattr(new, key), key, label, PERSON_LIMITS[key])
                for key, label in REQUIRED_PERSON.items()}
    client = Client(
        **required,
        birth_year=p.check(plausible_birth_year, new.birth_year),
        phone=p.check(phone_number, new.phone),
        address=p.check(optional_text, new.address, "address", "Straße und Hausnummer", 200),
        consent_date=new.consent_date,
    )
    if problems is None:
        p.raise_any()
    if person is not None:
        client.gender, client.birth_date, client.postcode = person.gender, person.birth_date, person.postcode
    return client


def refer_client(
    db: Database,
    actor: Actor,
    *,
    client: NewClient | None = None,
    client_id: int | None = None,
    source: ReferralSource = ReferralSource.CASE_MANAGER,
    referred_on: date | None = None,
    case_manager_id: int | None = None,
    note: str | None = None,
    barriers: Iterable[Barrier] = (),
    other_person_confirmed: bool = False,
) -> int:
    """A Fallmanager refers a new or known client to the programme. Returns the new case id.

    Barriers the Fallmanager knows of (a missing driving licence, say) are recorded on the case
    as of the referral day, so the companion does not type them again. A new person who is
    probably known already (db/casework/identity.py) is refused with the known record; one whose
    name only sounds alike is created if the Fallmanager confirms it is somebody else
    (`other_person_confirmed`, audited with the record they were shown)."""
    require_role(actor, Role.CASE_MANAGER, Role.LEAD)
    if (client is None) == (client_id is None):
        raise ValidationError("Bitte eine neue Person erfassen oder eine vorhandene wählen.", "client")
    problems = Problems()
    referred_on = problems.check(not_in_future, referred_on or today(), "referred_on", "Zuweisungsdatum")
    note = problems.check(optional_text, note, "note", "Hinweis")
    person = _validated_client(client, problems) if client is not None else None
    problems.raise_any()
    assert referred_on is not None
    if actor.role == Role.CASE_MANAGER:
        case_manager_id = actor.id  # a Fallmanager always refers in their own name

    with db.write() as session:
        if case_manager_id is not None:
            _require_user_with_role(session, case_manager_id, Role.CASE_MANAGER, "case_manager")
        if person is not None:
            taken = session.scalar(
                select(Client).where(Client.client_number == person.client_number)
            )
            if taken is not None:  # a known person: offer their record instead of a new one
                raise DuplicateClient(client_match(session, taken), by_number=True)
            twin = known_persons(session, [Entered(person.first_name, person.last_name, person.postcode,
                                                   person.birth_date)])[0]
            if twin is not None and (twin.exact or not other_person_confirmed):
                raise DuplicateClient(twin.match, known=twin)
            session.add(person)
            session.flush()
            audit(session, actor, "create", "client", person.id,
                  {"other_than_client_id": twin.match.client_id} if twin is not None else None)
        else:
            person = session.get(Client, client_id)
            if person is None:
                raise NotFound("Diese Person gibt es nicht.")
            open_case = session.scalar(
                select(Case.id).where(Case.client_id == person.id, Case.status.in_(OPEN_STATUSES))
            )
            if open_case is not None:
                raise ValidationError(
                    "Für diese Person läuft bereits ein Fall in der Integrationsbegleitung.", "client"
                )
        case = Case(
            client_id=person.id,
            case_manager_id=case_manager_id,
            referral_source=source,
            status=CaseStatus.REFERRED,
            referred_on=referred_on,
            updated_by_id=actor.id,
        )
        session.add(case)
        session.flush()
        session.add(
            StatusChange(
                case_id=case.id,
                from_status=None,
                to_status=CaseStatus.REFERRED,
                changed_on=referred_on,
                changed_by_id=actor.id,
                reason=note,  # the Fallmanager's hint for the companion
            )
        )
        audit(
            session,
            actor,
            "create",
            "case",
            case.id,
            {"status": CaseStatus.REFERRED, "referral_source": source, "client_id": person.id},
        )
        for barrier in dict.fromkeys(Barrier(b) for b in barriers):
            row = CaseBarrier(case_id=case.id, barrier=barrier, noted_on=referred_on)
            session.add(row)
            session.flush()
            audit(session, actor, "create", "barrier", row.id, {"case_id": case.id, "barrier": barrier})
        return case.id


class DuplicateClient(ValidationError):
    """The person is known already, or probably (`likely`: the name only sounds alike): the
    referral should use the existing record – for a likely one, unless confirmed otherwise."""

    def __init__(self, match: ClientMatch, *, by_number: bool = False,
                 known: KnownPerson | None = None) -> None:
        self.likely = known is not None and not known.exact
        if by_number:
            text = (f"Die Kundennummer {match.client_number} ist bereits vergeben: {match.name} "
                    f"({match.town}).")
        elif self.likely:
            assert known is not None
            text = (f"Vermutlich schon erfasst: {match.name} ({match.town}), Kundennummer "
                    f"{match.client_number} – {known.reason}. Ist es dieselbe Person, bitte die "
                    "vorhandene zuweisen; ist es eine andere, „Andere Person – neu anlegen“ wählen.")
        else:
            text = (f"{match.name} ({match.town}) ist bereits unter der Kundennummer "
                    f"{match.client_number} erfasst.")
        if not self.likely:
            text += " Bitte die vorhandene Person zuweisen, statt sie ein zweites Mal anzulegen."
        super().__init__(text + (" Für sie läuft bereits ein Fall." if match.has_open_case else ""),
                         "client")
        self.match = match


def _require_user_with_role(session: Session, user_id: int, role: Role, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.role != role or not user.active:
        raise ValidationError(f"Keine aktive Person mit der Rolle „{role.label}“.", field)
    return user


# --- editing a case -------------------------------------------------------------------------


class CapacityWarning(ValidationError):
    """The companion is at or above capacity: the assignment needs an explicit confirmation."""

    def __init__(self, load: CompanionLoad) -> None:
        super().__init__(
            f"{load.name} begleitet bereits {load.load_text} "
            "(höchstens 20 Teilnehmende je Vollzeitstelle). Bitte bestätigen, dass der Fall "
            "trotzdem übernommen wird – die Bestätigung wird protokolliert.", "capacity")
        self.load = load


def assign_companion(db: Database, actor: Actor, case_id: int, version: int, companion_id: int,
                     *, over_capacity_confirmed: bool = False) -> int:
    """Give a case to a companion. Leads assign anyone; a companion may pick up a referral.
    (Who may edit the case at all is checked, and a refusal audited, in _editing.)

    A companion at or above capacity gets the case only with `over_capacity_confirmed`; the
    confirmation is written to the audit log with the load at that moment."""
    with editing(db, actor, case_id, version) as (session, case):
        if actor.role == Role.COMPANION and companion_id != actor.id:
            raise PermissionDenied("Sie können Zuweisungen nur selbst übernehmen.")
        _require_user_with_role(session, companion_id, Role.COMPANION, "companion")
        if case.status not in OPEN_STATUSES:
            raise ValidationError("Ein abgeschlossener Fall kann nicht mehr zugewiesen werden.")
        load = None if case.companion_id == companion_id else caseloads(session, only=companion_id)[0]
        if load is not None and load.full and not over_capacity_confirmed:
            raise CapacityWarning(load)
        changes = diff(case, companion_id=companion_id)
        if load is not None and load.full:
            changes["over_capacity_confirmed"] = f"{load.accompanied}/{load.cap}"
        audit(session, actor, "assign", "case", case.id, changes)
    return case.version


def schedule_first_interview(
    db: Database,
    actor: Actor,
    case_id: int,
    version: int,
    at: datetime,
    location_id: int | None = None,
    *,
    planned_on: date | None = None,
) -> int:
    """Plan (or move) the Erstgespräch: at an office-hour location, or at home if none is given.

    `planned_on` is the day the appointment was made (default today), for entries made late.
    """
    planned_on = not_in_future(planned_on or today(), "planned_on", "Vereinbart am")
    with editing(db, actor, case_id, version) as (session, case):
        if case.companion_id is None:
            raise ValidationError(
                "Bitte zuerst eine Integrationsbegleitung zuweisen.", "companion"
            )
        require_history(History(case.referred_on, at.date()), new="first_interview_at")
        if location_id is not None and session.get(OfficeHourLocation, location_id) is None:
            raise ValidationError("Diesen Sprechstunden-Ort gibt es nicht.", "location")
        if case.status != CaseStatus.INTERVIEW_PLANNED:
            _transition(session, actor, case, CaseStatus.INTERVIEW_PLANNED, planned_on, None)
        changes = diff(case, first_interview_at=at, first_interview_location_id=location_id)
        audit(session, actor, "schedule", "case", case.id, changes)
    return case.version


def change_status(
    db: Database,
    actor: Actor,
    case_id: int,
    version: int,
    target: CaseStatus,
    *,
    on: date | None = None,
    end_reason: EndReason | None = None,
    reason: str | None = None,
    placement: NewPlacement | None = None,
    pause_reason: PauseReason | None = None,
    resume_on: date | None = None,
    exit_result: ExitResult | None = None,
    result_on: date | None = None,
) -> int:
    """Move a case along the workflow. Returns the case's new version.

    `on` is the day the event happened (see event_date for the defaults). Ending a
    participation may record the result at exit (`exit_result`, dated `result_on`, default the
    end date); pausing needs a reason and a resume date."""
    reason = optional_text(reason, "reason", "Begründung", 1000)
    with editing(db, actor, case_id, version) as (session, case):
        check_transition(case.status, target)
        if target == CaseStatus.INTERVIEW_PLANNED:
            # Planning needs date and place: schedule_first_interview does it.
            raise ValidationError(
                "Für ein Erstgespräch bitte Termin und Ort angeben.", "first_interview_at"
            )
        on = event_date(case, target, on, placement)
        old_status = case.status
        before = fields_of(case)
        if target == CaseStatus.PAUSED:
            outcomes.pause(case, pause_reason, resume_on, on)
        change, created = _transition(session, actor, case, target, on, reason, end_reason, placement)
        changes: dict[str, object] = {"status": [old_status, target], "on": on}
        if target == CaseStatus.CLOSED and exit_result is not None:
            created["outcomes"] = [outcomes.add_result(session, actor, case, exit_result,
                                                       result_on or on).id]
            changes["result"] = exit_result
        change.prior_state = prior_state(before, case, created)
        audit(session, actor, "status", "case", case.id, changes)
    return case.version


def event_date(case: Case, target: CaseStatus, on: date | None,
               placement: NewPlacement | None = None) -> date:
    """The day a status change happened, which the timeline and every figure use.

    An interview's outcome defaults to the planned day (entered late, it is still that day's
    interview); a job start is the first working day; otherwise today. Events lie in the past."""
    if on is None and target == CaseStatus.EMPLOYED and placement is not None:
        on = placement.start_date
    if on is None and case.status == CaseStatus.INTERVIEW_PLANNED and case.first_interview_at:
        planned = case.first_interview_at.date()
        if planned > today():
            raise ValidationError(
                f"Das Erstgespräch ist erst für den {planned:%d.%m.%Y} geplant. Sein Ergebnis "
                "kann erst an diesem Tag erfasst werden – oder den Termin verschieben.", "on")
        on = planned
    return not_in_future(on or today(), "on", EVENT_LABELS.get(target, "Datum"))


# What the event's date is called in a message ("„Arbeitsbeginn“ darf nicht in der Zukunft …").
EVENT_LABELS = {CaseStatus.ACTIVE: "Datum des Ereignisses", CaseStatus.EMPLOYED: "Arbeitsbeginn",
                CaseStatus.CLOSED: "Beendet am", CaseStatus.PAUSED: "Ruht ab",
                CaseStatus.NO_SHOW: "Datum des Termins", CaseStatus.DECLINED: "Datum der Absage"}


def _transition(
    session: Session,
    actor: Actor,
    case: Case,
    target: CaseStatus,
    on: date,
    reason: str | None,
    end_reason: EndReason | None = None,
    placement: NewPlacement | None = None,
) -> tuple[StatusChange, dict[str, list[int]]]:
    """Apply one status change and its consequences to a loaded case (caller audits). Returns
    the recorded change and the ids of the rows it created (an undo removes them again)."""
    check_transition(case.status, target)
    not_before(on, case.referred_on, "on", "Datum", "der Zuweisung")
    previous = case.status
    created: dict[str, list[int]] = {}

    if target == CaseStatus.ACTIVE and previous == CaseStatus.INTERVIEW_PLANNED:
        # The Erstgespräch was held: accompaniment starts, and the interview is a logged contact.
        require_history(replace(history_of(case), start_date=on), new="start_date")
        case.start_date = on
        refresh_entry(case)  # the age band is the age on the day of entry
        interview = Activity(case_id=case.id, kind=ActivityKind.FIRST_INTERVIEW, occurred_on=on,
                             created_by_id=actor.id)
        session.add(interview)
        session.flush()
        created["activities"] = [interview.id]
    elif target == CaseStatus.ACTIVE and previous == CaseStatus.EMPLOYED:
        ended = [job for job in case.placements if job.end_date is None]
        for job in ended:
            job.end_date = on  # the job ended; accompaniment continues
        created["ended_placements"] = [job.id for job in ended]
    elif target == CaseStatus.EMPLOYED:
        created["placements"] = [_start_job(session, case, placement, on)]
    elif target == CaseStatus.CLOSED:
        if end_reason is None:
            raise ValidationError("Bitte einen Beendigungsgrund wählen.", "end_reason")
        require_history(replace(history_of(case), end_date=on), new="end_date")
        case.end_date = on
        case.end_reason = end_reason
        outcomes.end_pause(case)
    elif target == CaseStatus.ACTIVE and previous == CaseStatus.PAUSED:
        outcomes.end_pause(case)
    elif target == CaseStatus.DECLINED:
        case.end_date = on

    case.status = target
    change = StatusChange(
        case_id=case.id,
        from_status=previous,
        to_status=target,
        changed_on=on,
        changed_by_id=actor.id,
        reason=reason or (end_reason.label if end_reason else None),
    )
    session.add(change)
    return change, created


def _start_job(session: Session, case: Case, job: NewPlacement | None, on: date) -> int:
    if job is None or job.employer_id is None:
        raise ValidationError("Für eine Arbeitsaufnahme bitte den Arbeitgeber angeben.", "employer")
    if session.get(Employer, job.employer_id) is None:
        raise ValidationError("Diesen Arbeitgeber gibt es nicht.", "employer")
    if job.job_kind is None:
        raise ValidationError("Bitte die Art der Stelle wählen (Vollzeit, Teilzeit, Minijob …).", "job_kind")
    start = job.start_date or on
    require_history(replace(history_of(case), job_start=start, end_date=None), new="job_start")
    row = Placement(
        case_id=case.id,
        employer_id=job.employer_id,
        job_kind=job.job_kind,
        job_title=optional_text(job.job_title, "job_title", "Tätigkeit", 200),
        start_date=start,
    )
    session.add(row)
    session.flush()
    return row.id


def set_next_step(
    db: Database, actor: Actor, case_id: int, version: int, text: str | None, due: date | None,
    *, set_on: date | None = None,
) -> int:
    """`set_on` is the day the step was agreed (default today): its due date lies after it."""
    text, due = checked_step(text, due)
    if set_on is not None:
        not_in_future(set_on, "set_on", "Vereinbart am")
    with editing(db, actor, case_id, version) as (session, case):
        apply_next_step(session, actor, case, text, due, set_on=set_on)
    return case.version


def checked_step(text: str | None, due: date | None) -> tuple[str | None, date | None]:
    """A next step as it may be saved: a due date needs a text saying what is due."""
    text = optional_text(text, "next_step", "Nächster Schritt", 500)
    if due is not None and text is None:
        raise ValidationError("Bitte den nächsten Schritt beschreiben.", "next_step")
    return text, due


def apply_next_step(session: Session, actor: Actor, case: Case, text: str | None,
                    due: date | None, *, set_on: date | None = None) -> None:
    """Set a checked next step on a case loaded for editing (audited)."""
    if case.status not in OPEN_STATUSES:
        raise ValidationError("Der Fall ist abgeschlossen.")
    if due is not None and due != case.next_step_due:  # a due date kept as it was may be overdue
        not_in_past(due, "next_step_due", "Fällig am", since=set_on)
    changes = diff(case, next_step=text, next_step_due=due)
    audit(session, actor, "update", "case", case.id, changes)


def update_client(db: Database, actor: Actor, client_id: int, version: int, data: NewClient) -> int:
    """Correct a client's personal data (those who may edit one of the client's cases)."""
    fresh = _validated_client(data)
    try:
        with db.write() as session:
            person = session.get(Client, client_id)
            if person is None:
                raise NotFound("Diese Person gibt es nicht.")
            if not any(can_edit_case(actor, case) for case in person.cases):
                require_role(actor, Role.LEAD)
            if person.version != version:
                raise ConflictError(conflict_message(None).replace("Fall", "Datensatz"))
            clash = session.scalar(
                select(Client.id).where(
                    Client.client_number == fresh.client_number, Client.id != client_id
                )
            )
            if clash is not None:
                raise ValidationError(
                    f"Die Kundennummer {fresh.client_number} ist bereits vergeben.", "client_number"
                )
            changes = diff(
                person,
                client_number=fresh.client_number,
                first_name=fresh.first_name,
                last_name=fresh.last_name,
                town=fresh.town,
                birth_year=fresh.birth_year,
                phone=fresh.phone,
                address=fresh.address,
                consent_date=fresh.consent_date,
            )
            if changes:
                refresh_person(session, person)
                audit(session, actor, "update", "client", person.id, changes)
                session.flush()
            return person.version
    except StaleDataError as exc:
        raise ConflictError(conflict_message(None)) from exc


def find_client(db: Database, actor: Actor, client_number: str) -> ClientMatch | None:
    """Look a known person up by client number before referring them again (audited)."""
    require_role(actor, Role.CASE_MANAGER, Role.LEAD)
    number = (client_number or "").strip()
    if not number:
        return None
    with db.write() as session:
        person = session.scalar(select(Client).where(Client.client_number == number))
        if person is None:
            return None
        audit(session, actor, "lookup", "client", person.id)
        return client_match(session, person)
