"""The case status model: which status may follow which, and what each change requires.

This is the one place the transitions are defined; pages ask `allowed_next` to offer only legal
changes, and `check_transition` guards every write.
"""

from __future__ import annotations

from ..errors import TransitionError
from ..vocabulary import CaseStatus as S

TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.REFERRED: (S.INTERVIEW_PLANNED, S.DECLINED, S.CLOSED),
    # Held interview → active; the client may also not turn up or say no (participation is voluntary).
    S.INTERVIEW_PLANNED: (S.ACTIVE, S.NO_SHOW, S.DECLINED),
    # After a no-show the companion offers a new appointment or gives up.
    S.NO_SHOW: (S.INTERVIEW_PLANNED, S.CLOSED),
    S.ACTIVE: (S.EMPLOYED, S.PAUSED, S.CLOSED),
    # Ruhend: illness, a measure, parental leave – accompaniment resumes or ends from here.
    S.PAUSED: (S.ACTIVE, S.CLOSED),
    # A lost job sends the case back to accompaniment rather than closing it.
    S.EMPLOYED: (S.ACTIVE, S.CLOSED),
    S.DECLINED: (),
    S.CLOSED: (),
}

# Statuses in which a case counts as open work for a companion.
OPEN_STATUSES: tuple[S, ...] = (S.REFERRED, S.INTERVIEW_PLANNED, S.NO_SHOW, S.ACTIVE, S.EMPLOYED,
                                 S.PAUSED)
# Statuses in which a person is accompanied (In Begleitung, and in follow-up support at work):
# these count against a companion's capacity. A paused (ruhend) participant does not.
ACCOMPANIED: tuple[S, ...] = (S.ACTIVE, S.EMPLOYED)
# Participants in the funder's sense: accompaniment has begun and not ended.
PARTICIPATING: tuple[S, ...] = (S.ACTIVE, S.EMPLOYED, S.PAUSED)
# Statuses that need an end reason.
ENDING_STATUSES: tuple[S, ...] = (S.CLOSED,)


# What the button for a change says, from the companion's point of view.
ACTION_LABELS: dict[tuple[S, S], str] = {
    (S.REFERRED, S.INTERVIEW_PLANNED): "Erstgespräch planen",
    (S.NO_SHOW, S.INTERVIEW_PLANNED): "Neuen Termin planen",
    (S.INTERVIEW_PLANNED, S.ACTIVE): "Erstgespräch fand statt",
    (S.EMPLOYED, S.ACTIVE): "Job beendet – weiter begleiten",
    (S.ACTIVE, S.EMPLOYED): "Arbeitsaufnahme",
    (S.ACTIVE, S.PAUSED): "Ruhen lassen",
    (S.PAUSED, S.ACTIVE): "Begleitung wieder aufnehmen",
}
# Changes that need more than a click: a date and place, an employer, or an end reason.
NEEDS_INPUT: frozenset[S] = frozenset({S.INTERVIEW_PLANNED, S.EMPLOYED, S.CLOSED, S.PAUSED})


def action_label(current: S, target: S) -> str:
    return ACTION_LABELS.get((current, target), {
        S.NO_SHOW: "Nicht erschienen",
        S.DECLINED: "Teilnahme abgelehnt",
        S.CLOSED: "Fall beenden",
    }.get(target, target.label))


def allowed_next(status: S) -> tuple[S, ...]:
    return TRANSITIONS[status]


def check_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise TransitionError(
            f"Statuswechsel von „{current.label}“ zu „{target.label}“ ist nicht erlaubt.",
            field="status",
        )
