"""Bearer tokens and browser sessions: random, stored as SHA-256, expiring, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxpm.store.models import AuthToken, User
from cxpm.users.accounts import now

TOKEN_KINDS = ("api", "session")
DEFAULT_TOKEN_HOURS = 12.0
DEFAULT_SESSION_HOURS = 8.0
# Raw tokens are token_urlsafe(32): 43 characters. Anything far longer is not ours.
_MAX_TOKEN_LENGTH = 128
_LAST_USED_RESOLUTION = timedelta(minutes=1)
# Expired and revoked tokens stay visible this long (who used the API when), then go.
_KEEP_EXPIRED = timedelta(days=30)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, user: User, *, kind: str = "api",
                hours: float = DEFAULT_TOKEN_HOURS) -> str:
    """A new random token for `user`; only its hash is stored (the caller commits)."""
    if kind not in TOKEN_KINDS:
        raise ValueError(f"unknown token kind {kind!r}")
    raw = secrets.token_urlsafe(32)
    at = now()
    session.execute(delete(AuthToken).where(AuthToken.expires_at < at - _KEEP_EXPIRED))
    session.add(AuthToken(user_id=user.id, kind=kind, token_hash=token_hash(raw),
                          created_at=at, expires_at=at + timedelta(hours=hours),
                          revoked=False))
    return raw


def resolve_token(session: Session, raw: str, *, kind: str = "api") -> tuple[User,
                                                                           AuthToken] | None:
    """The enabled user and live token for `raw`, or None when unknown, expired, revoked or
    the user is disabled (the caller commits the last-used time)."""
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
        return None
    # One query for the token and its user: this runs on every request.
    found = session.execute(
        select(AuthToken, User).join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash(raw), AuthToken.kind == kind)).first()
    at = now()
    if found is None:
        return None
    row, user = found
    if row.revoked or row.expires_at <= at or user.disabled:
        return None
    # Recorded at most once a minute: a write per request would serialise busy servers.
    if row.last_used_at is None or at - row.last_used_at >= _LAST_USED_RESOLUTION:
        row.last_used_at = at
    return user, row


def revoke(session: Session, token: AuthToken) -> None:
    token.revoked = True
    token.revoked_at = now()


def csrf_token(raw_session_token: str) -> str:
    """The CSRF token of a browser session, derived from the session's secret so nothing
    more is stored (docs/security.md)."""
    return hmac.new(raw_session_token.encode(), b"cxpm-csrf", hashlib.sha256).hexdigest()


def check_csrf(raw_session_token: str, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(csrf_token(raw_session_token),
                                                   submitted or "")
