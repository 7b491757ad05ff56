"""Account administration (db.accounts.users)."""

from __future__ import annotations

import re

import pytest

from db.accounts import auth
from db.errors import PermissionDenied, ValidationError
from db.accounts.users import (
    change_role,
    create_user,
    list_users,
    reset_password,
    set_active,
)
from db.vocabulary import Role

from .conftest import World
from .helpers import audit_count


def test_admin_creates_a_companion_who_can_log_in(world: World) -> None:
    admin = world.actor("admin")
    create_user(world.db, admin, username="Neu.Begleiter", display_name="Neue Begleitung",
                role=Role.COMPANION, password="sicheres-passwort", capacity=18)
    row = next(u for u in list_users(world.db, admin) if u.username == "neu.begleiter")
    assert (row.role, row.capacity, row.active) == (Role.COMPANION, 18, True)
    assert auth.login(world.db, "neu.begleiter", "sicheres-passwort").role == Role.COMPANION


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [("x", "sicheres-passwort", "username"), ("ok.name", "kurz", "password"),
     ("bad name!", "sicheres-passwort", "username"), ("leitung", "sicheres-passwort", "username")],
)
def test_bad_account_data_is_refused(world: World, username: str, password: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        create_user(world.db, world.actor("admin"), username=username, display_name="X",
                    role=Role.LEAD, password=password)
    assert err.value.field == field


@pytest.mark.parametrize("capacity", [None, 0, -5, 21])
def test_a_companion_needs_a_capacity_within_the_limit(world: World, capacity: int | None) -> None:
    admin = world.actor("admin")
    before = len(list_users(world.db, admin))
    with pytest.raises(ValidationError, match="„Kapazität“") as err:
        create_user(world.db, admin, username="ohne.kap", display_name="Ohne Kapazität",
                    role=Role.COMPANION, password="sicheres-passwort", capacity=capacity)
    assert err.value.field == "capacity"
    assert re.search(r"1 (bis|und) 20 Teilnehmenden", err.value.message), err.value.message
    assert len(list_users(world.db, admin)) == before  # nothing written


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COMPANION])
def test_other_roles_need_no_capacity_and_store_none(world: World, role: Role) -> None:
    admin = world.actor("admin")
    create_user(world.db, admin, username=f"ohne.{role.value}"[:60].replace("_", "-"), display_name="Konto",
                role=role, password="sicheres-passwort", capacity=12)
    row = next(u for u in list_users(world.db, admin) if u.username.startswith("ohne."))
    assert (row.role, row.capacity) == (role, None)


def test_reset_password_lifts_a_lock(world: World) -> None:
    for _ in range(5):
        with pytest.raises((auth.LoginFailed, auth.AccountLocked)):
            auth.login(world.db, "begleiter1", "falsch")
    reset_password(world.db, world.actor("admin"), world.user_id("begleiter1"), "ganz-neues-passwort")
    assert auth.login(world.db, "begleiter1", "ganz-neues-passwort").username == "begleiter1"
    assert audit_count(world.db, action="password_reset") == 1


def test_role_change_and_self_protection(world: World) -> None:
    admin = world.actor("admin")
    change_role(world.db, admin, world.user_id("fallmanager2"), Role.LEAD)
    assert world.actor("fallmanager2").role == Role.LEAD
    with pytest.raises(ValidationError):
        change_role(world.db, admin, admin.id, Role.COUNCIL)
    with pytest.raises(ValidationError):
        set_active(world.db, admin, admin.id, False)


def test_a_role_change_to_companion_needs_a_capacity_by_the_new_account_rule(world: World) -> None:
    """The sibling of creating a companion without capacity: a role change made one without."""
    admin = world.actor("admin")
    capacity = lambda name: next(u.capacity for u in list_users(world.db, admin) if u.username == name)  # noqa: E731
    for missing in (None, 0, 21, -5):
        with pytest.raises(ValidationError) as refused:
            change_role(world.db, admin, world.user_id("fallmanager2"), Role.COMPANION, missing)
        assert refused.value.field == "capacity" and "Kapazität" in refused.value.message
        assert world.actor("fallmanager2").role == Role.CASE_MANAGER  # nothing half-written
    change_role(world.db, admin, world.user_id("fallmanager2"), Role.COMPANION, 15)
    assert (world.actor("fallmanager2").role, capacity("fallmanager2")) == (Role.COMPANION, 15)
    change_role(world.db, admin, world.user_id("fallmanager2"), Role.LEAD)  # no other role has one
    assert capacity("fallmanager2") is None
    before = capacity("begleiter2")
    change_role(world.db, admin, world.user_id("begleiter2"), Role.COMPANION)  # kept when not given
    assert capacity("begleiter2") == before is not None


@pytest.mark.parametrize("username", ["leitung", "begleiter1", "fallmanager1", "kreistag"])
def test_only_admins_manage_accounts(world: World, username: str) -> None:
    actor = world.actor(username)
    with pytest.raises(PermissionDenied):
        list_users(world.db, actor)
    with pytest.raises(PermissionDenied):
        create_user(world.db, actor, username="x.y", display_name="X", role=Role.ADMIN,
                    password="sicheres-passwort")
    with pytest.raises(PermissionDenied):
        reset_password(world.db, actor, world.user_id("admin"), "sicheres-passwort")


def test_own_password_change_checks_the_current_one_and_ends_other_sessions(world: World) -> None:
    from db.clock import utcnow
    from db.accounts.auth import change_own_password

    actor = world.actor("begleiter1")
    issued = utcnow()
    with pytest.raises(ValidationError, match="bisherige Passwort ist falsch"):
        change_own_password(world.db, actor, "falsch", "mein-neues-passwort", "mein-neues-passwort")
    with pytest.raises(ValidationError, match="stimmen nicht überein"):
        change_own_password(world.db, actor, "demo-passwort", "mein-neues-passwort", "anders")
    change_own_password(world.db, actor, "demo-passwort", "mein-neues-passwort", "mein-neues-passwort")
    assert auth.login(world.db, "begleiter1", "mein-neues-passwort").username == "begleiter1"
    with pytest.raises(auth.LoginFailed):
        auth.login(world.db, "begleiter1", "demo-passwort")
    assert auth.session_actor(world.db, "begleiter1", issued) is None
    assert audit_count(world.db, action="password_change") == 1


def test_guessing_the_current_password_in_an_open_session_is_throttled(world: World) -> None:
    from db.accounts.auth import change_own_password

    actor = world.actor("begleiter1")
    messages = []
    for _ in range(5):
        with pytest.raises(ValidationError) as err:
            change_own_password(world.db, actor, "rate-mal-123", "mein-neues-passwort", "mein-neues-passwort")
        messages.append(err.value.message)
    assert "gesperrt" in messages[-1]


@pytest.mark.parametrize("password", ["kurz-1", "passwort2026!", "Sommer2024!!!", "qwertzuiop12",
                                      "aaaaaaaaaaaaaaa", "x-begleiter1-x",
                                      # the published demo password, repeats, sequences, own names
                                      "demo-passwort", "12345678901234567890", "abcdefghijklmnop",
                                      "abababababababab", "bianca-begleitmann!", "Begleitmann1979"])
def test_weak_passwords_are_refused(world: World, password: str) -> None:
    from db.accounts.users import password_problem

    assert password_problem(password, "begleiter1", ["Bianca Begleitmann (Demo)"]) is not None
    assert password_problem("korrekt-pferd-batterie", "begleiter1", ["Bianca Begleitmann (Demo)"]) is None


def test_the_published_demo_password_cannot_be_chosen(world: World) -> None:
    from db.accounts.users import DEMO_PASSWORD, reset_password

    with pytest.raises(ValidationError, match="veröffentlicht"):
        reset_password(world.db, world.actor("admin"), world.user_id("begleiter1"), DEMO_PASSWORD)
    with pytest.raises(ValidationError, match="Namen"):
        create_user(world.db, world.actor("admin"), username="rr", display_name="Rita Richter",
                    role=Role.LEAD, password="richter-sommerwiese-7")


def test_new_accounts_and_resets_must_change_the_password(world: World) -> None:
    admin = world.actor("admin")
    uid = create_user(world.db, admin, username="neu.b", display_name="Neu", role=Role.COMPANION,
                      password="sicheres-passwort", capacity=15)
    assert auth.login(world.db, "neu.b", "sicheres-passwort").must_change_password
    assert not auth.login(world.db, "leitung", "demo-passwort").must_change_password  # demo
    reset_password(world.db, admin, world.user_id("leitung"), "ganz-neues-passwort")
    assert auth.login(world.db, "leitung", "ganz-neues-passwort").must_change_password
    assert uid

