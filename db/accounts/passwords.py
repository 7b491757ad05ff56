"""Password hashes: the one place that makes them and checks them.

Every new hash is argon2id with OWASP's parameters. Hashes made before (bcrypt) still match; the
login replaces any hash that is not argon2id with today's parameters while the password is at
hand (`outdated`). A stored value of any other form matches no password (deny by default): a
removed demo account's marker, an argon2i or argon2d hash nobody here made, plain text.
"""

from __future__ import annotations

import functools
import secrets

import bcrypt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet, argon2id: m = 19 MiB, t = 2, p = 1 (bench/password_hashes.py
# measures a check). Tests swap in a cheap hasher (tests/conftest.py); production never does.
ARGON2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
ARGON2ID = "$argon2id$"
# bcrypt's prefixes (Python bcrypt writes $2b$; $2a$ and $2y$ come from other implementations).
BCRYPT = ("$2a$", "$2b$", "$2y$")


def new_hash(password: str) -> str:
    """The hash a password gets now. Callers check the password's strength first (users)."""
    return ARGON2.hash(password)


def matches(password: str, stored: str | None) -> bool:
    """Whether `password` is the one behind `stored`. `stored` None (no such account) costs one
    check all the same: the answer time must not tell which usernames exist."""
    if stored is None:
        _argon2_matches(password, _decoy(ARGON2))
        return False
    if stored.startswith(ARGON2ID):
        return _argon2_matches(password, stored)
    if stored.startswith(BCRYPT):
        try:
            return bcrypt.checkpw(password.encode(), stored.encode())
        except ValueError:  # a malformed hash, a NUL or more than 72 bytes typed: no match
            return False
    return False


def outdated(stored: str) -> bool:
    """True for a hash that matched but is not what new_hash makes today (bcrypt, or argon2id
    with other parameters): the login replaces it."""
    if not stored.startswith(ARGON2ID):
        return True
    try:
        return ARGON2.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _argon2_matches(password: str, stored: str) -> bool:
    try:
        return ARGON2.verify(stored, password)
    except (VerificationError, InvalidHashError):  # mismatch, or a damaged hash
        return False


@functools.cache
def _decoy(hasher: PasswordHasher) -> str:
    """A hash with the hasher's own cost that no typed password matches."""
    return hasher.hash(secrets.token_urlsafe(32))
