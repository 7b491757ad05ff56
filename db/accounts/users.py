"""Staff accounts."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from ..actors import Actor
from ..clock import utcnow
from ..errors import NotFound, ValidationError
from ..settings import keyed
from ..store.audit import audit, diff
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.models import LoginThrottle, User
from ..validation import required_text
from ..vocabulary import Role
from .guessable import contains, dominated_by
from .passwords import new_hash
from .permissions import require_role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
# The Land's limit: a full-time companion accompanies at most 20 participants at a time; a
# companion's own capacity may only be lower (db.casework.team counts against it).
FULL_TIME_CAP = 20


# The demo accounts' password: published in the README, so never acceptable as a chosen one.
DEMO_PASSWORD = "demo-passwort"
# Words anyone guessing a password here would try first (zxcvbn weighs them like user data).
PROGRAMME_WORDS = ("demo", "passwort", "begleiter", "begleitung", "integrationsbegleitung", "cockpit",
                   "integration", "integrations", "jobcenter", "kreistag", "leitung", "fallmanager",
                   "spree", "neisse", "neiße", "landkreis", "kreis",
                   "guben", "forst", "spremberg", "cottbus", "lausitz")
MIN_STRENGTH = 3  # zxcvbn's score (0–4): 3 means about 10^8 guesses or more


def hash_password(password: str, username: str | None = None, names: Iterable[str] = ()) -> str:
    """The hash of a password somebody chose, after password_problem accepted it."""
    problem = password_problem(password, username, names)
    if problem:
        raise ValidationError(problem, "password")
    return new_hash(password)


def account_capacity(role: Role, capacity: int | None) -> int | None:
    """What an account stores as its capacity: a companion's own, required and within the Land's
    limit (team.py counts participants against it; without one a new companion would silently
    count as full time); no other role has one. The one rule for the admin form, the CLI and
    the demo seed."""
    if role != Role.COMPANION:
        return None
    if capacity is None:
        raise ValidationError(f"Bitte „Kapazität“ ausfüllen: eine Begleitung braucht eine Kapazität "
                              f"von 1 bis {FULL_TIME_CAP} Teilnehmenden (bei Teilzeit weniger).", "capacity")
    if not 1 <= capacity <= FULL_TIME_CAP:
        raise ValidationError(f"„Kapazität“ muss zwischen 1 und {FULL_TIME_CAP} Teilnehmenden liegen "
                              "(höchstens 20 je Vollzeitstelle, bei Teilzeit weniger).", "capacity")
    return capacity


# A password hash no password matches: a removed demo account can never log in again.
NO_LOGIN = "!entfernt"


def create_user(
    db: Database,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    email: str | None = None,
    capacity: int | None = None,
    start_date: date | None = None,
    is_demo: bool = False,
    password_hash: str | None = None,
) -> int:
    """Create a staff account (admins, and the operator through `python -m db create-user`)."""
    require_role(actor, Role.ADMIN)
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise ValidationError(
            "Benutzername: 2–64 Zeichen, Kleinbuchstaben, Ziffern, Punkt, Binde- oder Unterstrich.",
            "username",
        )
    display_name = required_text(display_name, "display_name", "Name")
    role = Role(role)
    capacity = account_capacity(role, capacity)
    hashed = password_hash or hash_password(password, username, [display_name])
    with db.write() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise ValidationError(f"Den Benutzernamen „{username}“ gibt es schon.", "username")
        user = User(
            username=username,
            display_name=display_name,
            email=email,
            role=role,
            password_hash=hashed,
            capacity=capacity,
            start_date=start_date,
            is_demo=is_demo,
            # Somebody else chose this password: the user replaces it at the first login.
            must_change_password=not is_demo,
        )
        session.add(user)
        session.flush()
        audit(session, actor, "create", "user", user.id, {"username": username, "role": role})
        return user.id


@functools.cache
def _common_passwords() -> tuple[frozenset[str], frozenset[str]]:
    """(whole passwords, base words) from db/data/common_passwords.txt."""
    lines = (files("db") / "data" / "common_passwords.txt").read_text("utf-8").splitlines()
    entries = [line.strip().lower() for line in lines if line.strip() and not line.startswith("#")]
    return (frozenset(e for e in entries if not e.startswith("=")),
            frozenset(e[1:] for e in entries if e.startswith("=")))


def password_problem(password: str, username: str | None = None, names: Iterable[str] = ()) -> str | None:
    """Why a new password is not acceptable, in German; None if it is fine. `names` are the
    person's own names (display name), which the password may not contain either."""
    if len(password) < MIN_PASSWORD:
        return f"Das Passwort muss mindestens {MIN_PASSWORD} Zeichen haben."
    # An upper bound for the strength estimate (its cost grows with the length); 72 bytes was
    # bcrypt's limit, so the rule stays what it was when argon2id came.
    if len(password.encode()) > 72:
        return "Das Passwort ist zu lang (höchstens 72 Bytes)."
    # Each word list also in its disguises: case, width, separators, 0 for o, c for k … (guessable).
    if dominated_by(password, [DEMO_PASSWORD]):
        return "Das Passwort der Demo-Konten ist veröffentlicht und darf nicht verwendet werden."
    if dominated_by(password, PROGRAMME_WORDS):
        return ("Das Passwort darf nicht hauptsächlich aus dem Namen des Programms, des Cockpits, "
                "des Jobcenters oder der Region bestehen – auch nicht mit Ziffern, Zeichen oder "
                "Ersetzungen wie 0 für o.")
    lowered = unicodedata.normalize("NFKC", password).casefold()
    whole, bases = _common_passwords()
    if lowered in whole or dominated_by(password, bases) or len(set(lowered)) <= 2:
        return "Dieses Passwort ist zu verbreitet und leicht zu erraten. Bitte ein anderes wählen."
    if username and contains(password, username):
        return "Das Passwort darf den Benutzernamen nicht enthalten."
    own = {part for name in names for part in re.split(r"[^\w]+", name.lower()) if len(part) >= 3}
    if any(contains(password, part) for part in own):
        return "Das Passwort darf Ihren Namen nicht enthalten."
    # A maintained estimator (zxcvbn) finds repeats, sequences (1234, abcd, qwertz), keyboard
    # patterns, dates and dictionary words – with the programme's own words among them.
    inputs = [*PROGRAMME_WORDS, *own, *([username.lower()] if username else [])]
    if zxcvbn(password, user_inputs=inputs)["score"] < MIN_STRENGTH:
        return ("Dieses Passwort ist zu leicht zu erraten (Wiederholungen, Folgen wie 1234 oder abcd, "
                "bekannte Wörter). Bitte ein längeres wählen, etwa drei oder vier zufällige Wörter.")
    return None


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    active: bool
    is_demo: bool
    capacity: int | None
    start_date: date | None
    locked: bool


def list_users(db: Database, actor: Actor) -> list[UserRow]:
    require_role(actor, Role.ADMIN)
    now = utcnow()
    with db.read() as session:
        return [
            UserRow(u.id, u.username, u.display_name, u.email, u.role, u.active, u.is_demo,
                    u.capacity, u.start_date, u.locked_until is not None and u.locked_until > now)
            for u in session.scalars(select(User).order_by(User.role, User.username))
        ]


@contextmanager
def _editing_user(db: Database, actor: Actor, user_id: int) -> Iterator[tuple[Session, User]]:
    """One admin change to one account, in one transaction."""
    require_role(actor, Role.ADMIN)
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("Dieses Konto gibt es nicht.")
        yield session, user


def set_active(db: Database, actor: Actor, user_id: int, active: bool) -> None:
    if actor.id == user_id and not active:
        raise ValidationError("Sie können Ihr eigenes Konto nicht deaktivieren.", "active")
    with _editing_user(db, actor, user_id) as (session, user):
        changes = diff(user, active=active)
        if not active:
            user.sessions_revoked_at = utcnow()  # logged-in browsers lose access at once
        audit(session, actor, "activate" if active else "deactivate", "user", user.id, changes)


def reset_password(db: Database, actor: Actor, user_id: int, new_password: str) -> None:
    """An admin sets a new password; this also lifts a lockout."""
    with _editing_user(db, actor, user_id) as (session, user):
        user.password_hash = hash_password(new_password, user.username, [user.display_name])
        user.must_change_password = True
        user.failed_logins = 0
        user.locked_until = None
        user.sessions_revoked_at = utcnow()  # whoever knew the old password is logged out
        throttle = session.get(LoginThrottle, keyed("name", user.username))
        if throttle is not None:
            throttle.failures, throttle.locked_until = 0, None
        audit(session, actor, "password_reset", "user", user.id)


def change_role(db: Database, actor: Actor, user_id: int, role: Role, capacity: int | None = None) -> None:
    """A new role; a companion keeps (or is given, `capacity`) a capacity by the same rule as a
    new account – an account made companion by a role change never counts without one."""
    if actor.id == user_id:
        raise ValidationError("Sie können Ihre eigene Rolle nicht ändern.", "role")
    role = Role(role)
    with _editing_user(db, actor, user_id) as (session, user):
        own = account_capacity(role, user.capacity if capacity is None else capacity)
        changes = diff(user, role=role, capacity=own)
        if changes:  # open sessions were opened for the old role's pages
            user.sessions_revoked_at = utcnow()
        audit(session, actor, "role", "user", user.id, changes)


@dataclass(frozen=True)
class StaffMember:
    id: int
    display_name: str


@until_data_change  # every filter of the lead's pages asks on every run; each change is audited
def staff_with_role(db: Database, actor: Actor, role: Role) -> list[StaffMember]:
    """Active companions or case managers by name, for assigning and filtering."""
    require_role(actor, Role.LEAD, Role.COMPANION, Role.CASE_MANAGER)
    with db.read() as session:
        rows = session.execute(
            select(User.id, User.display_name)
            .where(User.role == role, User.active.is_(True))
            .order_by(User.display_name)
        )
        return [StaffMember(r.id, r.display_name) for r in rows]


def remove_demo_accounts(db: Database, actor: Actor) -> list[str]:
    """Close every demo account for good (their password is published): deactivated, no password
    that could match, open sessions ended; each audited. The rows stay – cases and the audit log
    refer to them. Returns the usernames closed now."""
    require_role(actor, Role.ADMIN)
    with db.write() as session:
        users = session.scalars(select(User).where(User.is_demo.is_(True), User.password_hash != NO_LOGIN)
                                .order_by(User.username)).all()
        for user in users:
            user.active, user.password_hash, user.sessions_revoked_at = False, NO_LOGIN, utcnow()
            audit(session, actor, "remove_demo", "user", user.id)
        return [user.username for user in users]
