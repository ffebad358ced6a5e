"""Password rules and argon2id hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cxpm.errors import CxpmError

MIN_PASSWORD_LENGTH = 12
# Long inputs would let a caller make the server hash megabytes per request.
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()
# Verified when the username is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone, only for timing")


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CxpmError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise CxpmError(f"password too long: at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise CxpmError("password must not be only spaces")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash (no password set) never matches."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
