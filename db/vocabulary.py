"""The programme's fixed vocabularies: roles, statuses, contact types, barriers, end reasons.

Stored values are English identifiers; every enum carries its German label for the UI, so pages,
exports and the CLI all show the same words.
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A string enum whose members know their German label."""

    @property
    def label(self) -> str:
        return _LABELS[type(self)][self]

    @classmethod
    def choices(cls) -> dict[str, str]:
        """value → German label, in declaration order (for select boxes)."""
        return {m.value: m.label for m in cls}


class Role(Labelled):
    ADMIN = "admin"
    LEAD = "lead"
    COMPANION = "companion"
    CASE_MANAGER = "case_manager"
    COUNCIL = "council"
    DATA_PROTECTION = "data_protection"  # reviews the audit log, sees no case


class ReferralSource(Labelled):
    CASE_MANAGER = "case_manager"  # the Fallmanager decided
    CLIENT_REQUEST = "client_request"  # the client asked their Fallmanager


class CaseStatus(Labelled):
    REFERRED = "referred"
    INTERVIEW_PLANNED = "interview_planned"
    ACTIVE = "active"
    EMPLOYED = "employed"
    CLOSED = "closed"
    DECLINED = "declined"
    NO_SHOW = "no_show"
    PAUSED = "paused"  # Ruhend: illness, a measure, parental leave – not counted against capacity


class ActivityKind(Labelled):
    FIRST_INTERVIEW = "first_interview"
    HOME_VISIT = "home_visit"
    WORKPLACE_VISIT = "workplace_visit"
    ADDICTION_COUNSELLING = "addiction_counselling"
    DEBT_COUNSELLING = "debt_counselling"
    AUTHORITY = "authority"
    EMPLOYER_CONTACT = "employer_contact"
    PHONE = "phone"
    OFFICE_HOURS = "office_hours"
    OTHER = "other"


class Barrier(Labelled):
    NO_DRIVING_LICENCE = "no_driving_licence"
    MOBILITY = "mobility"
    DEBT = "debt"
    ADDICTION = "addiction"
    HEALTH = "health"
    CHILDCARE = "childcare"
    LANGUAGE = "language"
    QUALIFICATION = "qualification"
    HOUSING = "housing"
    CARE_OF_RELATIVES = "care_of_relatives"
    OTHER = "other"


class EndReason(Labelled):
    FOLLOW_UP_COMPLETED = "follow_up_completed"
    TRAINING = "training"
    WITHDRAWN = "withdrawn"
    NO_CONTACT = "no_contact"
    MOVED = "moved"
    HEALTH = "health"
    OTHER = "other"


class JobKind(Labelled):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    MINI_JOB = "mini_job"
    APPRENTICESHIP = "apprenticeship"
    SUBSIDISED = "subsidised"


class PauseReason(Labelled):
    ILLNESS = "illness"
    MEASURE = "measure"
    PARENTAL_LEAVE = "parental_leave"
    CARE = "care"
    OTHER = "other"


# --- participant data for the funder (ESF+ Regulation 2021/1057, Annex I) -------------------


class Gender(Labelled):
    FEMALE = "female"
    MALE = "male"
    DIVERSE = "diverse"


class EntryEmployment(Labelled):
    """Employment status at entry; long-term unemployed people are a subgroup of the unemployed
    in the ESF+ tables, here recorded as the more precise answer."""

    UNEMPLOYED = "unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    INACTIVE = "inactive"
    EMPLOYED = "employed"


class Education(Labelled):
    ISCED_0_2 = "isced_0_2"
    ISCED_3_4 = "isced_3_4"
    ISCED_5_8 = "isced_5_8"


class Household(Labelled):
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    FAMILY = "family"  # Familienbedarfsgemeinschaft: children are counted, not participants


class Answer(Labelled):
    """The further entry items: each may be answered with "keine Angabe"."""

    YES = "yes"
    NO = "no"
    NOT_STATED = "not_stated"


class ExitResult(Labelled):
    """Where a leaver is within 28 days of leaving (only the last event counts)."""

    JOB_SEEKING = "job_seeking"
    EDUCATION = "education"
    QUALIFICATION = "qualification"
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    MINIJOB = "minijob"
    OTHER = "other"


class FollowUpResult(Labelled):
    """Six months after leaving: in work or not – or nobody could be reached."""

    EMPLOYED = "employed"
    MINIJOB = "minijob"
    IMPROVED = "improved"  # ESF+ longer-term result: an improved labour-market situation
    NOT_EMPLOYED = "not_employed"
    UNREACHABLE = "unreachable"


class PositionState(Labelled):
    FILLED = "filled"
    ADVERTISED = "advertised"
    FUNDED = "funded"


class LocationStatus(Labelled):
    RUNNING = "running"
    PLANNED = "planned"


class PlanMetric(Labelled):
    ACTIVE_CASES = "active_cases"
    FIRST_INTERVIEWS = "first_interviews"
    REFERRALS = "referrals"


# Health-related barriers are special categories under DSGVO Art. 9: only people who may read the
# case's notes may see them.
SENSITIVE_BARRIERS = frozenset({Barrier.ADDICTION, Barrier.HEALTH})
# Going along to addiction counselling says as much as the barrier itself.
SENSITIVE_ACTIVITIES = frozenset({ActivityKind.ADDICTION_COUNSELLING})

_LABELS: dict[type, dict[StrEnum, str]] = {
    Role: {
        Role.ADMIN: "Administration",
        Role.LEAD: "Teamleitung",
        Role.COMPANION: "Integrationsbegleitung",
        Role.CASE_MANAGER: "Fallmanagement",
        Role.COUNCIL: "Kreistag",
        Role.DATA_PROTECTION: "Datenschutz",
    },
    ReferralSource: {
        ReferralSource.CASE_MANAGER: "Entscheidung Fallmanager",
        ReferralSource.CLIENT_REQUEST: "Wunsch der Kundin / des Kunden",
    },
    CaseStatus: {
        CaseStatus.REFERRED: "Zugewiesen",
        CaseStatus.INTERVIEW_PLANNED: "Erstgespräch geplant",
        CaseStatus.ACTIVE: "In Begleitung",
        CaseStatus.EMPLOYED: "In Arbeit – Nachbetreuung",
        CaseStatus.CLOSED: "Beendet",
        CaseStatus.DECLINED: "Teilnahme abgelehnt",
        CaseStatus.NO_SHOW: "Nicht erschienen",
        CaseStatus.PAUSED: "Ruhend",
    },
    PauseReason: {
        PauseReason.ILLNESS: "Krankheit",
        PauseReason.MEASURE: "Teilnahme an einer Maßnahme",
        PauseReason.PARENTAL_LEAVE: "Elternzeit / Mutterschutz",
        PauseReason.CARE: "Pflege von Angehörigen",
        PauseReason.OTHER: "Sonstiges",
    },
    Gender: {Gender.FEMALE: "weiblich", Gender.MALE: "männlich", Gender.DIVERSE: "divers"},
    EntryEmployment: {
        EntryEmployment.UNEMPLOYED: "arbeitslos",
        EntryEmployment.LONG_TERM_UNEMPLOYED: "langzeitarbeitslos",
        EntryEmployment.INACTIVE: "nichterwerbstätig",
        EntryEmployment.EMPLOYED: "erwerbstätig (auch selbständig)",
    },
    Education: {
        Education.ISCED_0_2: "ISCED 0–2: ohne Abschluss, Haupt- oder Realschulabschluss",
        Education.ISCED_3_4: "ISCED 3–4: Abitur oder abgeschlossene Berufsausbildung",
        Education.ISCED_5_8: "ISCED 5–8: Meister, Techniker, Fachschule, Hochschule",
    },
    Household: {
        Household.LONG_TERM_UNEMPLOYED: "Langzeitarbeitslose Person",
        Household.FAMILY: "Familienbedarfsgemeinschaft",
    },
    Answer: {Answer.YES: "ja", Answer.NO: "nein", Answer.NOT_STATED: "keine Angabe"},
    ExitResult: {
        ExitResult.JOB_SEEKING: "arbeitsuchend",
        ExitResult.EDUCATION: "in schulischer oder beruflicher Ausbildung",
        ExitResult.QUALIFICATION: "Qualifizierung erlangt",
        ExitResult.EMPLOYED: "erwerbstätig – sozialversicherungspflichtig",
        ExitResult.SELF_EMPLOYED: "erwerbstätig – selbständig",
        ExitResult.MINIJOB: "erwerbstätig – Minijob",
        ExitResult.OTHER: "nicht erwerbstätig und nicht arbeitsuchend",
    },
    FollowUpResult: {
        FollowUpResult.EMPLOYED: "erwerbstätig (auch selbständig)",
        FollowUpResult.MINIJOB: "Minijob",
        FollowUpResult.IMPROVED: "Lage am Arbeitsmarkt verbessert (z. B. Ausbildung begonnen, besser bezahlt)",
        FollowUpResult.NOT_EMPLOYED: "nicht erwerbstätig",
        FollowUpResult.UNREACHABLE: "nicht erreichbar",
    },
    ActivityKind: {
        ActivityKind.FIRST_INTERVIEW: "Erstgespräch",
        ActivityKind.HOME_VISIT: "Hausbesuch",
        ActivityKind.WORKPLACE_VISIT: "Arbeitsplatzbesuch",
        ActivityKind.ADDICTION_COUNSELLING: "Begleitung Suchtberatung",
        ActivityKind.DEBT_COUNSELLING: "Begleitung Schuldnerberatung",
        ActivityKind.AUTHORITY: "Begleitung Behörde",
        ActivityKind.EMPLOYER_CONTACT: "Arbeitgeberkontakt",
        ActivityKind.PHONE: "Telefonat",
        ActivityKind.OFFICE_HOURS: "Sprechstunde",
        ActivityKind.OTHER: "Sonstiges",
    },
    Barrier: {
        Barrier.NO_DRIVING_LICENCE: "Führerschein fehlt",
        Barrier.MOBILITY: "Mobilität",
        Barrier.DEBT: "Schulden",
        Barrier.ADDICTION: "Sucht",
        Barrier.HEALTH: "Gesundheit",
        Barrier.CHILDCARE: "Kinderbetreuung",
        Barrier.LANGUAGE: "Sprache",
        Barrier.QUALIFICATION: "Qualifikation",
        Barrier.HOUSING: "Wohnung",
        Barrier.CARE_OF_RELATIVES: "Pflege von Angehörigen",
        Barrier.OTHER: "Sonstiges",
    },
    EndReason: {
        EndReason.FOLLOW_UP_COMPLETED: "Nachbetreuung abgeschlossen",
        EndReason.TRAINING: "Ausbildung / Maßnahme begonnen",
        EndReason.WITHDRAWN: "Teilnahme beendet (freiwillig)",
        EndReason.NO_CONTACT: "Kein Kontakt mehr",
        EndReason.MOVED: "Umzug",
        EndReason.HEALTH: "Gesundheitliche Gründe",
        EndReason.OTHER: "Sonstiges",
    },
    JobKind: {
        JobKind.FULL_TIME: "Vollzeit",
        JobKind.PART_TIME: "Teilzeit",
        JobKind.MINI_JOB: "Minijob",
        JobKind.APPRENTICESHIP: "Ausbildung",
        JobKind.SUBSIDISED: "Gefördert (§ 16i/e SGB II)",
    },
    PositionState: {
        PositionState.FILLED: "Besetzt",
        PositionState.ADVERTISED: "Ausgeschrieben",
        PositionState.FUNDED: "Finanziert, noch nicht ausgeschrieben",
    },
    LocationStatus: {
        LocationStatus.RUNNING: "Läuft",
        LocationStatus.PLANNED: "Geplant",
    },
    PlanMetric: {
        PlanMetric.ACTIVE_CASES: "Aktive Fälle",
        PlanMetric.FIRST_INTERVIEWS: "Erstgespräche",
        PlanMetric.REFERRALS: "Zuweisungen",
    },
}
