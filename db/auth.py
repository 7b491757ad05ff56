"""Logging in and out: password check, lockout after repeated failures, audit of every attempt.

streamlit-authenticator keeps the browser session (signed cookie, session state); whether a
username and password are good, and whether the account is locked, is decided here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from .actors import Actor
from .audit import audit
from .clock import utcnow
from .database import Database
from .errors import DomainError
from .models import User
from .users import check_password

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
# Checked against when the username is unknown, so a wrong name costs as long as a wrong password
# (the answer time does not tell which usernames exist).
_DUMMY_HASH = "$2b$12$mfy20PGNpcrEcsQ5N.sTKejHovyEGhwpcV2Ab6GFSGlHbO0H8SWVW"


class LoginFailed(DomainError):
    def __init__(self) -> None:
        super().__init__("Benutzername oder Passwort ist falsch.")


class AccountLocked(DomainError):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            f"Zu viele Fehlversuche: Das Konto ist für {minutes} Minuten gesperrt. "
            "Bitte später erneut versuchen oder die Administration ansprechen."
        )


def _minutes_left(user: User) -> int:
    assert user.locked_until is not None
    return max(1, -(-int((user.locked_until - utcnow()).total_seconds()) // 60))


def login(db: Database, username: str, password: str) -> Actor:
    """Check a login attempt; raises LoginFailed or AccountLocked. Every attempt is audited."""
    name = (username or "").strip().lower()[:64]
    with db.write() as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None or not user.active:
            check_password(password or "", _DUMMY_HASH)
            audit(session, _anonymous(name), "login_failed", "session", None,
                  {"reason": "unknown" if user is None else "inactive"})
            failure: DomainError = LoginFailed()
        elif user.locked_until is not None and user.locked_until > utcnow():
            audit(session, Actor.of(user), "login_refused", "session", None, {"reason": "locked"})
            failure = AccountLocked(_minutes_left(user))
        elif check_password(password or "", user.password_hash):
            user.failed_logins = 0
            user.locked_until = None
            audit(session, Actor.of(user), "login", "session")
            return Actor.of(user)
        else:
            user.failed_logins += 1
            audit(session, Actor.of(user), "login_failed", "session", None,
                  {"reason": "password", "failed_logins": user.failed_logins})
            failure = LoginFailed()
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.failed_logins = 0  # after the lock the user gets a fresh set of attempts
                user.locked_until = utcnow() + LOCK_DURATION
                audit(session, Actor.of(user), "account_locked", "user", user.id,
                      {"until": user.locked_until})
                failure = AccountLocked(_minutes_left(user))
    # Raised outside the transaction so the failure count and audit entries are committed.
    raise failure


def _anonymous(name: str) -> Actor:
    return Actor(id=None, username=name or "(leer)", display_name="", role=None)


def logout(db: Database, actor: Actor) -> None:
    """End the session: every login cookie issued to this user until now stops working."""
    with db.write() as session:
        user = session.get(User, actor.id)
        if user is not None:
            user.sessions_revoked_at = utcnow()
        audit(session, actor, "logout", "session")


def session_actor(db: Database, username: str | None, issued_at: datetime | None = None) -> Actor | None:
    """The actor behind a browser session, re-read on each run so that a deactivation, a role
    change or a logout elsewhere takes effect at once. None if the session is no longer valid.

    `issued_at` is when the session's login happened (from the signed cookie).
    """
    if not username:
        return None
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None:
            return None
        if issued_at is not None and user.sessions_revoked_at is not None:
            if issued_at <= user.sessions_revoked_at:
                return None
        return Actor.of(user)


def credentials(db: Database) -> dict[str, Any]:
    """The credentials mapping streamlit-authenticator expects, built from the active users."""
    with db.read() as session:
        users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
        return {
            "usernames": {
                u.username: {
                    "name": u.display_name,
                    "email": u.email or f"{u.username}@invalid",
                    "password": u.password_hash,
                    "roles": [u.role.value],
                    "failed_login_attempts": 0,
                    "logged_in": False,
                }
                for u in users
            }
        }
