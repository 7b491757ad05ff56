"""Who may do what. Every rule about access lives here; service functions call these checks.

Roles:
- companion: own cases (plus unassigned referrals to pick up), notes included;
- lead: everything about cases, reassigning, plan targets and positions;
- case_manager: refers clients and sees the state of own referrals, never activity notes;
- council: aggregates only;
- admin: user management, no case data.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from ..actors import Actor
from ..errors import PermissionDenied
from ..store.models import Case
from ..vocabulary import CaseStatus, Role

DENIED = "Dafür fehlt Ihnen die Berechtigung."


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.is_system or actor.role in roles:
        return
    raise PermissionDenied(DENIED)


def may_edit(actor: Actor, companion_id: int | None, status: CaseStatus) -> bool:
    """May change status, log contacts, record barriers and placements of such a case.

    A companion works on own cases and may pick up a referral nobody has taken yet.
    """
    if actor.is_system or actor.role == Role.LEAD:
        return True
    if actor.role == Role.COMPANION:
        return companion_id == actor.id or (
            companion_id is None and status == CaseStatus.REFERRED
        )
    return False


def can_edit_case(actor: Actor, case: Case) -> bool:
    return may_edit(actor, case.companion_id, case.status)


def can_read_case(actor: Actor, case: Case) -> bool:
    """May see the case and its client's identity (status, dates, name)."""
    if actor.role == Role.CASE_MANAGER:
        return case.case_manager_id == actor.id
    return can_edit_case(actor, case)


def can_read_notes(actor: Actor, case: Case) -> bool:
    """Activity notes, next steps and health-related barriers (DSGVO Art. 9)."""
    return can_edit_case(actor, case)


def require_case(actor: Actor, case: Case, *, edit: bool = False) -> None:
    allowed = can_edit_case(actor, case) if edit else can_read_case(actor, case)
    if not allowed:
        raise PermissionDenied("Sie haben keinen Zugriff auf diesen Fall.", actor=actor,
                               entity="case", entity_id=case.id)


def case_scope(actor: Actor, *, personal: bool = True) -> ColumnElement[bool]:
    """SQL filter: the cases this actor may list.

    With personal=False the query returns counts only, which council and admin may see across
    all cases; with personal=True they see nothing.
    """
    if actor.is_system or actor.role == Role.LEAD:
        return true()
    if actor.role == Role.COMPANION:
        return or_(
            Case.companion_id == actor.id,
            and_(Case.companion_id.is_(None), Case.status == CaseStatus.REFERRED),
        )
    if actor.role == Role.CASE_MANAGER:
        return Case.case_manager_id == actor.id
    if not personal and actor.role in (Role.COUNCIL, Role.ADMIN):
        return true()
    return false()


def require_personal_read(actor: Actor, case_id: int | None = None) -> None:
    """Lists with names and client numbers: never for council or admin. With a case id the
    refusal is an attempt on that record and gets audited (see db.store.database)."""
    if actor.is_system or actor.role in (Role.LEAD, Role.COMPANION, Role.CASE_MANAGER):
        return
    if case_id is None:
        raise PermissionDenied(DENIED)
    raise PermissionDenied(DENIED, actor=actor, entity="case", entity_id=case_id)
