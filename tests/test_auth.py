"""Login, lockout, logout and session validity (db.auth)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from db import auth
from db.clock import utcnow
from db.models import AuditEntry, User
from db.users import set_active

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
        session.execute(update(User).where(User.username == "leitung")
                        .values(locked_until=utcnow() - timedelta(seconds=1)))
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


def test_credentials_hold_active_users_with_their_hashes(world: World) -> None:
    set_active(world.db, world.actor("admin"), world.user_id("begleiter2"), False)
    creds = auth.credentials(world.db)["usernames"]
    assert "begleiter2" not in creds
    assert creds["leitung"]["roles"] == ["lead"]
    assert creds["leitung"]["password"].startswith("$2")
