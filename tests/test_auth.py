"""Login, lockout, logout and session validity (db.accounts.auth)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from db.accounts import auth
from db.clock import utcnow
from db.store.models import AuditEntry, BrowserSession, LoginThrottle
from db.accounts.users import set_active

from .conftest import World
from .helpers import audit_count


def _last_audit(world: World) -> AuditEntry:
    with world.db.read() as session:
        return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def test_good_login_returns_the_actor_and_is_audited(world: World) -> None:
    actor = auth.login(world.db, "Begleiter1 ", "demo-passwort")
    assert (actor.username, actor.role.value) == ("begleiter1", "companion")
    entry = _last_audit(world)
    assert (entry.action, entry.username, entry.user_id) == ("login", "begleiter1", actor.id)


@pytest.mark.parametrize(("username", "password"), [("begleiter1", "falsch"), ("niemand", "demo-passwort"), ("", "")])
def test_bad_login_gives_one_message_and_is_audited(world: World, username: str, password: str) -> None:
    with pytest.raises(auth.LoginFailed) as err:
        auth.login(world.db, username, password)
    assert err.value.message == "Benutzername oder Passwort ist falsch."
    assert _last_audit(world).action == "login_failed"


def test_deactivated_account_cannot_log_in(world: World) -> None:
    set_active(world.db, world.actor("admin"), world.user_id("begleiter2"), False)
    with pytest.raises(auth.LoginFailed):
        auth.login(world.db, "begleiter2", "demo-passwort")


def test_five_failures_lock_the_account_for_fifteen_minutes(world: World) -> None:
    for _ in range(4):
        with pytest.raises(auth.LoginFailed):
            auth.login(world.db, "leitung", "falsch")
    with pytest.raises(auth.AccountLocked) as err:
        auth.login(world.db, "leitung", "falsch")
    assert "15 Minuten" in err.value.message
    assert audit_count(world.db, action="account_locked", username="leitung") == 1

    # Locked: even the right password is refused, and that is audited too.
    with pytest.raises(auth.AccountLocked):
        auth.login(world.db, "leitung", "demo-passwort")
    assert _last_audit(world).action == "login_refused"


def test_the_lock_ends_after_its_time(world: World) -> None:
    for _ in range(5):
        with pytest.raises((auth.LoginFailed, auth.AccountLocked)):
            auth.login(world.db, "leitung", "falsch")
    with world.db.write() as session:
        session.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert auth.login(world.db, "leitung", "demo-passwort").username == "leitung"


def test_a_success_resets_the_failure_count(world: World) -> None:
    for _ in range(4):
        with pytest.raises(auth.LoginFailed):
            auth.login(world.db, "leitung", "falsch")
    auth.login(world.db, "leitung", "demo-passwort")
    for _ in range(4):
        with pytest.raises(auth.LoginFailed):
            auth.login(world.db, "leitung", "falsch")  # four again, not locked


def test_logout_voids_every_earlier_session(world: World) -> None:
    before_logout = utcnow()
    actor = auth.login(world.db, "begleiter1", "demo-passwort")
    assert auth.session_actor(world.db, "begleiter1", before_logout) == actor
    auth.logout(world.db, actor)
    assert _last_audit(world).action == "logout"
    assert auth.session_actor(world.db, "begleiter1", before_logout) is None
    assert auth.session_actor(world.db, "begleiter1", utcnow()) == actor  # a new login works


def test_deactivation_ends_open_sessions(world: World) -> None:
    issued = utcnow()
    assert auth.session_actor(world.db, "begleiter2", issued) is not None
    set_active(world.db, world.actor("admin"), world.user_id("begleiter2"), False)
    assert auth.session_actor(world.db, "begleiter2", issued) is None


def _attempts(world: World, username: str, n: int, address: str | None = None) -> list[str]:
    messages = []
    for _ in range(n):
        with pytest.raises((auth.LoginFailed, auth.AccountLocked)) as err:
            auth.login(world.db, username, "falsch", address)
        messages.append(err.value.message)
    return messages


def test_unknown_and_known_names_lock_alike(world: World) -> None:
    """Account enumeration: the answers for a real and an invented name are the same."""
    known, unknown = _attempts(world, "admin", 6), _attempts(world, "gibtesnicht", 6)
    assert known == unknown
    assert known[0] == "Benutzername oder Passwort ist falsch." and "gesperrt" in known[-1]
    assert "Konto" not in known[-1]  # the lock message does not say an account exists


def test_a_typed_name_that_is_no_account_is_logged_only_as_a_keyed_hash(world: World) -> None:
    typed = "Mein-Geheimes-Passwort-1"  # typed into the wrong field
    _attempts(world, typed, 1)
    with world.db.read() as session:
        text = " ".join(f"{e.username} {e.changes}" for e in session.scalars(select(AuditEntry)))
    assert typed.lower() not in text.lower() and "name:" in text


def test_one_address_trying_many_names_is_locked(world: World) -> None:
    for n in range(4):
        _attempts(world, f"name{n}", 4, address="203.0.113.7")
    messages = _attempts(world, "name-x", 4, address="203.0.113.7")
    assert "von diesem Gerät aus" in messages[-1]
    with pytest.raises(auth.AccountLocked):  # even with a right password, from that address
        auth.login(world.db, "leitung", "demo-passwort", "203.0.113.7")
    assert auth.login(world.db, "leitung", "demo-passwort", "198.51.100.1").username == "leitung"


def test_password_reset_lifts_the_lock_and_ends_sessions(world: World) -> None:
    from db.accounts.users import reset_password

    issued = utcnow()
    _attempts(world, "begleiter1", 5)
    reset_password(world.db, world.actor("admin"), world.user_id("begleiter1"), "ein-neues-langes-passwort")
    assert auth.session_actor(world.db, "begleiter1", issued) is None
    assert auth.login(world.db, "begleiter1", "ein-neues-langes-passwort").username == "begleiter1"


def test_role_change_ends_sessions(world: World) -> None:
    from db.accounts.users import change_role
    from db.vocabulary import Role

    issued = utcnow()
    change_role(world.db, world.actor("admin"), world.user_id("fallmanager2"), Role.COMPANION, 12)
    assert auth.session_actor(world.db, "fallmanager2", issued) is None


def test_an_idle_session_ends_and_a_reload_does_not_revive_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = utcnow() - timedelta(hours=2)
    assert auth.session_actor(world.db, "begleiter1", issued) is not None  # first use: recorded
    with world.db.write() as session:  # then 61 minutes without a click
        session.execute(update(BrowserSession).values(last_seen_at=utcnow() - timedelta(minutes=61)))
    assert auth.session_actor(world.db, "begleiter1", issued) is None
    assert auth.session_actor(world.db, "begleiter1", issued) is None  # the same cookie again
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "120")  # configurable
    assert auth.session_actor(world.db, "begleiter1", issued) is not None


def test_a_session_ends_twelve_hours_after_the_login(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert auth.session_actor(world.db, "begleiter1", utcnow() - timedelta(hours=11, minutes=59)) is not None
    assert auth.session_actor(world.db, "begleiter1", utcnow() - timedelta(hours=12, minutes=1)) is None
    monkeypatch.setenv("SESSION_MAX_HOURS", "8")
    assert auth.session_actor(world.db, "begleiter1", utcnow() - timedelta(hours=9)) is None


def test_activity_is_written_at_most_once_a_minute(world: World) -> None:
    issued = utcnow()
    auth.session_actor(world.db, "begleiter1", issued)
    with world.db.read() as session:
        first = session.get(BrowserSession, (world.user_id("begleiter1"), issued)).last_seen_at
    auth.session_actor(world.db, "begleiter1", issued)
    with world.db.read() as session:
        assert session.get(BrowserSession, (world.user_id("begleiter1"), issued)).last_seen_at == first
