"""Password hashes (db.accounts.passwords): argon2id for every new hash, bcrypt hashes still
valid and replaced at the next successful login, anything else matching nothing – through every
way a password is checked (login, the current password on "Mein Konto")."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import bcrypt
import pytest
import streamlit_authenticator
from argon2 import PasswordHasher, Type
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from db.accounts import auth, passwords
from db.accounts.users import reset_password
from db.clock import utcnow
from db.store.database import Database
from db.store.models import AuditEntry, LoginThrottle, User

from .conftest import CHEAP_ARGON2, ROOT, World, log_in

PASSWORD = "demo-passwort"
OWASP_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


def legacy_bcrypt(password: str) -> str:
    """A hash as the app made them before argon2id (at bcrypt's lowest cost: a test)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()


def other_argon2(password: str) -> str:
    """argon2id at costs other than today's (as after a future change of the parameters)."""
    return PasswordHasher(time_cost=2, memory_cost=16, parallelism=1, type=Type.ID).hash(password)


# Every kind of hash an account may hold that its password must still open.
KINDS: dict[str, Callable[[str], str]] = {
    "bcrypt": legacy_bcrypt,
    "argon2id, andere Kosten": other_argon2,
    "argon2id": passwords.new_hash,
}


def stored_hash(db: Database, username: str) -> str:
    with db.read() as session:
        return session.scalars(select(User.password_hash).where(User.username == username)).one()


def set_hash(db: Database, username: str, value: str) -> None:
    with db.write() as session:
        session.execute(update(User).where(User.username == username).values(password_hash=value))


def audit_trail(db: Database) -> list[tuple[str, str, str | None, object]]:
    with db.read() as session:
        return [(e.action, e.entity, e.username, e.changes)
                for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def is_current(value: str) -> bool:
    return value.startswith("$argon2id$") and not passwords.outdated(value)


# --- the login, for each kind of stored hash --------------------------------------------------

def test_every_kind_of_hash_logs_in_and_leaves_todays_hash(world: World) -> None:
    """Each older kind is replaced at the login and at "Mein Konto"'s check of the current
    password alike (one world for all: the seed is the expensive part)."""
    for kind, make in KINDS.items():
        for action in ("login", "password_check"):
            set_hash(world.db, "leitung", make(PASSWORD))
            before = stored_hash(world.db, "leitung")
            trail = audit_trail(world.db)
            with world.db.read() as session:
                revoked = session.scalars(select(User.sessions_revoked_at)
                                          .where(User.username == "leitung")).one()
            actor = auth.login(world.db, "leitung", PASSWORD, "10.0.0.1", action=action)
            assert actor.username == "leitung"
            after = stored_hash(world.db, "leitung")
            assert is_current(after), (kind, action)
            assert (after == before) == (kind == "argon2id"), (kind, action)  # only older ones
            assert passwords.matches(PASSWORD, after) and not passwords.matches("falsch", after)
            # The log says what it always said: one entry, the success; no session is ended.
            assert audit_trail(world.db) == [*trail, (action, "session", "leitung", None)], (kind, action)
            with world.db.read() as session:
                assert session.scalars(select(User.sessions_revoked_at)
                                       .where(User.username == "leitung")).one() == revoked
            assert auth.login(world.db, "leitung", PASSWORD).username == "leitung"  # from the new hash


def test_a_wrong_password_is_refused_and_the_hash_kept(world: World) -> None:
    for kind, make in KINDS.items():
        set_hash(world.db, "leitung", make(PASSWORD))
        before = stored_hash(world.db, "leitung")
        for wrong in ("falsch", PASSWORD.upper(), PASSWORD + " ", ""):
            with pytest.raises(auth.LoginFailed):
                auth.login(world.db, "leitung", wrong)
            with world.db.write() as session:  # counted anew: this test is not about the lock
                session.execute(update(LoginThrottle).values(failures=0))
        assert stored_hash(world.db, "leitung") == before, kind
        assert [a for a, *_ in audit_trail(world.db)[-4:]] == ["login_failed"] * 4


def test_a_bcrypt_account_is_locked_like_any_other_and_kept_while_locked(world: World) -> None:
    legacy = legacy_bcrypt(PASSWORD)
    set_hash(world.db, "leitung", legacy)
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        with pytest.raises(auth.LoginFailed):
            auth.login(world.db, "leitung", "falsch")
    with pytest.raises(auth.AccountLocked):
        auth.login(world.db, "leitung", "falsch")
    with pytest.raises(auth.AccountLocked):  # the right password does not help while locked ...
        auth.login(world.db, "leitung", PASSWORD)
    assert stored_hash(world.db, "leitung") == legacy  # ... nor does it touch the hash
    with world.db.write() as session:
        session.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    auth.login(world.db, "leitung", PASSWORD)
    assert is_current(stored_hash(world.db, "leitung"))


def test_an_unknown_name_costs_a_check_and_never_matches(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real_verify = CHEAP_ARGON2.verify

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checked.append(str(hash))
            return real_verify(hash, password)

    counting = Counting(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "ARGON2", counting)
    with pytest.raises(auth.LoginFailed):
        auth.login(world.db, "niemand", PASSWORD)
    # One argon2id check at today's cost, as a wrong password for a real account costs.
    assert len(checked) == 1 and checked[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")


# --- what a stored value must be to match ------------------------------------------------------

def _foreign_forms(password: str) -> list[str]:
    """Stored values no password may open: markers, plain text, argon2 variants nobody here
    makes, damaged hashes of the right password."""
    bcrypt_able = password if len(password.encode()) <= 72 else PASSWORD  # bcrypt's limit
    good_bcrypt, good_argon2 = legacy_bcrypt(bcrypt_able), passwords.new_hash(password)
    argon2i = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.I).hash(password)
    argon2d = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.D).hash(password)
    return ["!entfernt", "", "x", password, password.encode().hex(), argon2i, argon2d,
            good_bcrypt[:-3], good_bcrypt.replace("$2b$", "$2x$"), good_argon2[:-5],
            good_argon2.replace("$argon2id$", "$argon2ID$"), " " + good_argon2, good_argon2 + "$"]


@settings(max_examples=25, deadline=None)
@given(password=st.text(min_size=0, max_size=90), other=st.text(min_size=0, max_size=90))
def test_a_hash_opens_for_its_password_only(password: str, other: str) -> None:
    for kind, make in KINDS.items():
        if kind == "bcrypt" and len(password.encode()) > 72:
            continue  # bcrypt never hashed these (password_problem's limit)
        value = make(password)
        assert passwords.matches(password, value), kind
        assert passwords.matches(other, value) == (other == password), kind
        assert passwords.outdated(value) == (kind != "argon2id"), kind
    for value in _foreign_forms(password):
        assert not passwords.matches(password, value), value
    assert not passwords.matches(password, None)


# Typed passwords at the edges: the right one, empty, NUL, non-ASCII, beyond bcrypt's 72 bytes.
TYPED = [PASSWORD, "", "demo\x00passwort", "Päßwört-😀-" * 3, "x" * 200]


def test_no_foreign_form_logs_in_and_none_crashes(world: World) -> None:
    # PostgreSQL stores no NUL in text, and the column holds 200 characters: a stored value
    # never is longer or holds one (the typed password may).
    for typed in TYPED:
        for value in [v for v in _foreign_forms(typed) if "\x00" not in v and len(v) <= 200]:
            set_hash(world.db, "leitung", value)
            with pytest.raises(auth.LoginFailed):
                auth.login(world.db, "leitung", typed)
            with world.db.write() as session:
                session.execute(update(LoginThrottle).values(failures=0))
            assert stored_hash(world.db, "leitung") == value


# --- new and changed passwords ----------------------------------------------------------------

def test_every_new_hash_is_argon2id(world: World) -> None:
    """The demo seed, an admin's reset and one's own change all leave today's hash."""
    with world.db.read() as session:
        seeded = session.scalars(select(User.password_hash).where(User.is_demo.is_(True))).all()
    assert seeded and all(is_current(value) for value in seeded)
    set_hash(world.db, "begleiter1", legacy_bcrypt(PASSWORD))
    reset_password(world.db, world.actor("admin"), world.user_id("begleiter1"), "Korb-Wolke-Fenster-17")
    assert is_current(stored_hash(world.db, "begleiter1"))
    set_hash(world.db, "begleiter2", legacy_bcrypt(PASSWORD))
    auth.change_own_password(world.db, world.actor("begleiter2"), PASSWORD, "Tasse-Regen-Gabel-42",
                             "Tasse-Regen-Gabel-42")
    changed = stored_hash(world.db, "begleiter2")
    assert is_current(changed) and passwords.matches("Tasse-Regen-Gabel-42", changed)
    assert not passwords.matches(PASSWORD, changed)


def test_production_hashes_with_owasps_parameters() -> None:
    """Outside the tests' cheap setting (a fresh interpreter, as a server starts)."""
    made = subprocess.run(
        [sys.executable, "-c", "from db.accounts.passwords import new_hash; print(new_hash('x'))"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    assert made.startswith(OWASP_PREFIX), made


# --- one place hashes ---------------------------------------------------------------------------

HASHING_MODULES = {"bcrypt", "argon2", "hashlib", "passlib", "crypt", "scrypt", "nacl"}


def test_only_the_passwords_module_hashes_passwords() -> None:
    """No other module of the app imports a hashing library (hashlib only where it hashes
    no password: audit chain, keyed names, file digests)."""
    allowed = {("db/accounts/passwords.py", "bcrypt"), ("db/accounts/passwords.py", "argon2")}
    found = set()
    for path in [ROOT / "app.py", *(ROOT / "db").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]:
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top in HASHING_MODULES - {"hashlib"}:
                    found.add((relative, top))
    assert found == allowed


def test_streamlit_authenticator_never_hashes_or_checks_a_password(
        app: AppTest, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library only keeps the browser session: a login, a reload and a password change go
    through db.accounts alone, never through its Hasher."""
    called: list[str] = []
    hasher = streamlit_authenticator.utilities.hasher.Hasher
    for name in ("hash", "check_pw", "hash_list", "hash_passwords", "is_hash"):
        if hasattr(hasher, name):
            monkeypatch.setattr(hasher, name, lambda *a, _n=name, **k: called.append(_n))
    db = Database.from_url(db_url)
    set_hash(db, "begleiter2", legacy_bcrypt(PASSWORD))
    log_in(app, "begleiter2")
    assert not app.exception and "Abmelden" in [b.label for b in app.button]
    assert is_current(stored_hash(db, "begleiter2"))
    app.switch_page("pages/account.py").run()
    for widget, value in zip(app.text_input, [PASSWORD, "Tasse-Regen-Gabel-42", "Tasse-Regen-Gabel-42"],
                             strict=True):
        widget.input(value)
    app.button(key="FormSubmitter:own_password-Passwort ändern").click()
    app.run()
    assert app.success and app.success[0].value.startswith("Ihr Passwort wurde geändert.")
    assert passwords.matches("Tasse-Regen-Gabel-42", stored_hash(db, "begleiter2"))
    assert called == []
