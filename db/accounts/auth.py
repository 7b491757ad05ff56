"""Logging in and out: password check, lockout after repeated failures, audit of every attempt.

streamlit-authenticator keeps the browser session (signed cookie, session state); whether a
username and password are good, and whether the account is locked, is decided here.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ..actors import Actor
from ..clock import utcnow
from ..errors import DomainError, ValidationError
from ..settings import keyed, session_limits
from ..store.audit import audit
from ..store.database import Database
from ..store.models import BrowserSession, LoginThrottle, User
from . import passwords
from .users import hash_password

MAX_FAILED_LOGINS = 5  # per typed username, known or not
MAX_FAILED_PER_ADDRESS = 20  # per client address, over all names it tries
LOCK_DURATION = timedelta(minutes=15)


class LoginFailed(DomainError):
    def __init__(self) -> None:
        super().__init__("Benutzername oder Passwort ist falsch.")


class SessionEnded(DomainError):
    """Work asked for outside a page run (a download made at the click) by a session that has
    ended since the page was drawn."""

    def __init__(self) -> None:
        super().__init__("Ihre Anmeldung ist nicht mehr gültig (abgemeldet, abgelaufen oder Konto "
                         "geändert). Bitte laden Sie die Seite neu und melden Sie sich wieder an.")


class AccountLocked(DomainError):
    """The same words whether or not the name belongs to an account."""

    def __init__(self, minutes: int, *, address: bool = False) -> None:
        where = "von diesem Gerät aus" if address else "mit diesem Benutzernamen"
        super().__init__(
            f"Zu viele Fehlversuche {where}: Die Anmeldung ist für {minutes} Minuten gesperrt. "
            "Bitte später erneut versuchen oder die Administration ansprechen."
        )


def _minutes_left(until: datetime) -> int:
    return max(1, -(-int((until - utcnow()).total_seconds()) // 60))


def _throttle(session: Session, key: str) -> LoginThrottle:
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        session.add(row)
    return row


def _locked(row: LoginThrottle) -> bool:
    return row.locked_until is not None and row.locked_until > utcnow()


def _fail(row: LoginThrottle, limit: int) -> bool:
    """Count a failure; True if it locks."""
    row.failures += 1
    row.updated_at = utcnow()
    if row.failures >= limit:
        row.failures = 0  # after the lock a fresh set of attempts
        row.locked_until = utcnow() + LOCK_DURATION
        return True
    return False


def login(db: Database, username: str, password: str, address: str | None = None, *,
          action: str = "login") -> Actor:
    """Check a login attempt; raises LoginFailed or AccountLocked. Every attempt is audited –
    a name that is no account only as a keyed hash (it may be a mistyped password).

    `action` names a success in the log: "login", or "password_check" where an open session
    confirms its password (the same throttle applies)."""
    name = (username or "").strip().lower()[:64]
    typed = password or ""
    with db.write() as session:
        by_name = _throttle(session, keyed("name", name))
        by_address = _throttle(session, keyed("addr", address)) if address else None
        user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
        who = Actor.of(user) if user is not None else _anonymous(name)
        failure: DomainError
        if by_address is not None and _locked(by_address):
            failure = AccountLocked(_minutes_left(by_address.locked_until), address=True)  # type: ignore[arg-type]
            audit(session, who, "login_refused", "session", None, {"reason": "address_locked"})
        elif _locked(by_name):
            failure = AccountLocked(_minutes_left(by_name.locked_until))  # type: ignore[arg-type]
            audit(session, who, "login_refused", "session", None, {"reason": "locked"})
        # An unknown name costs one check too (passwords.matches), and matches nothing.
        elif passwords.matches(typed, user.password_hash if user else None) and user is not None:
            if passwords.outdated(user.password_hash):
                # Only now is the password at hand: an older hash (bcrypt, or argon2id at other
                # costs) becomes today's, in the login's own transaction.
                user.password_hash = passwords.new_hash(typed)
            by_name.failures = 0
            by_name.locked_until = None
            user.failed_logins = 0
            user.locked_until = None
            audit(session, who, action, "session")
            return who
        else:
            failure = LoginFailed()
            audit(session, who, "login_failed", "session", None,
                  {"reason": "password" if user is not None else "unknown"})
            if _fail(by_name, MAX_FAILED_LOGINS):
                failure = AccountLocked(_minutes_left(by_name.locked_until))  # type: ignore[arg-type]
                if user is not None:  # shown to the admin as "gesperrt"
                    user.locked_until = by_name.locked_until
                audit(session, who, "account_locked", "user", user.id if user else None,
                      {"until": by_name.locked_until})
            if by_address is not None and _fail(by_address, MAX_FAILED_PER_ADDRESS):
                failure = AccountLocked(_minutes_left(by_address.locked_until), address=True)  # type: ignore[arg-type]
                audit(session, who, "address_locked", "session", None, {"until": by_address.locked_until})
    # Raised outside the transaction so the failure counts and audit entries are committed.
    raise failure


def _anonymous(name: str) -> Actor:
    # A typed name that is no account is never stored as typed: it may be a password.
    return Actor(id=None, username=keyed("name", name)[:64] if name else "(leer)", display_name="", role=None)


def logout(db: Database, actor: Actor) -> None:
    """End the session: every login cookie issued to this user until now stops working."""
    with db.write() as session:
        user = session.get(User, actor.id)
        if user is not None:
            user.sessions_revoked_at = utcnow()
        audit(session, actor, "logout", "session")


SEEN_EVERY = timedelta(minutes=1)  # last activity is written at most once a minute per session


def session_actor(db: Database, username: str | None, issued_at: datetime | None = None) -> Actor | None:
    """The actor behind a browser session, re-read on each run so that a deactivation, a role
    change, a password change or reset or a logout elsewhere takes effect at once. None if the
    session is no longer valid – also after SESSION_IDLE_MINUTES without use (60) or
    SESSION_MAX_HOURS after the login (12), whatever the browser keeps.

    `issued_at` is when the session's login happened (from the signed cookie).
    """
    if not username:
        return None
    idle, longest = session_limits(os.environ)
    now = utcnow()
    with db.read() as session:  # one query on every click: the account and this session's row
        # The columns the check needs, not the User entity: no ORM object to build and track on
        # every click (bench/page_cpu.py --profile account).
        found = session.execute(
            select(User.id, User.username, User.display_name, User.role, User.must_change_password,
                   User.sessions_revoked_at, BrowserSession.last_seen_at)
            .outerjoin(BrowserSession, and_(BrowserSession.user_id == User.id,
                                            BrowserSession.issued_at == issued_at))
            .where(User.username == username, User.active.is_(True))).first()
        if found is None:
            return None
        actor = Actor(id=found.id, username=found.username, display_name=found.display_name, role=found.role,
                      must_change_password=bool(found.must_change_password))
        revoked, last_seen = found.sessions_revoked_at, found.last_seen_at
        if issued_at is None:
            return actor
        if revoked is not None and issued_at <= revoked:
            return None
        if now - issued_at > longest:
            return None
        if last_seen is not None and now - last_seen > idle:
            return None
        fresh = last_seen is not None and now - last_seen < SEEN_EVERY
    if not fresh:
        with db.write() as session:
            row = session.get(BrowserSession, (actor.id, issued_at))
            if row is None:
                session.add(BrowserSession(user_id=actor.id, issued_at=issued_at, last_seen_at=now))
            else:
                row.last_seen_at = now
    return actor


def live_actor(db: Database, username: str | None, issued_at: datetime | None) -> Actor:
    """The actor of a session that must still be valid now, for work done after the page was
    drawn (a download's data are made when the button is pressed). Raises SessionEnded after a
    deactivation, a password change or reset, a logout, or the idle or maximum time."""
    actor = session_actor(db, username, issued_at) if issued_at is not None else None
    if actor is None:
        raise SessionEnded
    return actor


def any_account(db: Database) -> bool:
    """False on a new, empty installation: the login page then says how the first admin is made."""
    with db.read() as session:
        return session.scalar(select(User.id).where(User.active.is_(True)).limit(1)) is not None


# The own-password form's fields by the labels Mein Konto shows (pages/account.py; a test keeps
# them equal): a message names what is missing the way the form does.
OWN_PASSWORD_LABELS = ("Bisheriges Passwort", "Neues Passwort", "Neues Passwort wiederholen")


def change_own_password(db: Database, actor: Actor, current: str, new: str, repeated: str,
                        address: str | None = None) -> None:
    """A user replaces their own password. The current one is checked like a login (the same
    throttle: a stolen open session cannot guess it), and other open sessions end. An empty
    field is named first: compared empty, "" == "" would otherwise read as "not different"."""
    given = zip(OWN_PASSWORD_LABELS, ("current", "password", "repeat"), (current, new, repeated),
                strict=True)
    missing = [(label, field) for label, field, value in given if not value]
    if missing:
        raise ValidationError("Bitte ausfüllen: " + ", ".join(f"„{label}“" for label, _ in missing)
                              + ".", missing[0][1])
    if new != repeated:
        raise ValidationError("Die beiden neuen Passwörter stimmen nicht überein.", "repeat")
    if new == current:
        raise ValidationError("Das neue Passwort muss sich vom bisherigen unterscheiden.", "password")
    hashed = hash_password(new, actor.username, [actor.display_name])
    try:
        login(db, actor.username, current, address, action="password_check")
    except DomainError as exc:
        raise ValidationError(exc.message.replace("Benutzername oder Passwort ist falsch.",
                                                  "Das bisherige Passwort ist falsch."), "current") from exc
    with db.write() as session:
        user = session.get_one(User, actor.id)
        user.password_hash = hashed
        user.must_change_password = False
        user.sessions_revoked_at = utcnow()  # every other browser must log in again
        audit(session, actor, "password_change", "user", user.id)
