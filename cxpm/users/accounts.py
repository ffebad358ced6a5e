"""User accounts in the app database: add, list, disable, enable, reset password, log in.

Every change writes an audit-log row; password hashes never appear in it.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.db import record_audit, utc_now
from cxpm.store.models import AuthToken, User
from cxpm.users.passwords import hash_password, needs_rehash, verify_password
from cxpm.users.permissions import ROLE_SCOPES, ROLES, SCOPE_DIMENSIONS
from cxpm.workspace import Workspace

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,119}")
_SCOPE_VALUE_MAX = 200


class UserInfo(BaseModel):
    """What may be shown about a user (never the password hash)."""

    username: str
    role: str
    scope_kind: str
    scope_value: str | None
    disabled: bool
    has_password: bool
    created_at: datetime
    password_changed_at: datetime | None
    last_login_at: datetime | None

    @property
    def scope(self) -> str:
        return "all" if self.scope_kind == "all" else f"{self.scope_kind}={self.scope_value}"


# Kept under this name for the token and throttle modules.
now = utc_now


def parse_scope(text: str | None) -> tuple[str, str | None]:
    """`vendor=acme` -> ("vendor", "acme"); None or "all" -> ("all", None)."""
    if text is None or text.strip() == "all":
        return "all", None
    kind, sep, value = text.partition("=")
    kind, value = kind.strip(), value.strip()
    if not sep or kind not in SCOPE_DIMENSIONS:
        raise CxpmError(f"scope expects all or KIND=VALUE with KIND one of "
                        f"{', '.join(SCOPE_DIMENSIONS)}, got {text!r}")
    if not value or len(value) > _SCOPE_VALUE_MAX:
        raise CxpmError(f"scope {kind} needs a value of 1 to {_SCOPE_VALUE_MAX} characters")
    # No dimension value holds a control character, and PostgreSQL refuses NUL outright.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise CxpmError(f"scope {kind} value must not contain control characters")
    return kind, value


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise CxpmError(f"invalid username {username!r}: 1 to 120 letters, digits, '.', '_', "
                        "'@' or '-', starting with a letter or digit")
    return username


def check_role_scope(role: str, scope_kind: str) -> None:
    if role not in ROLES:
        raise CxpmError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    allowed = ROLE_SCOPES[role]
    if scope_kind not in allowed:
        raise CxpmError(f"role {role} needs scope {' or '.join(_scope_hint(k) for k in allowed)}"
                        f", got {scope_kind if scope_kind == 'all' else scope_kind + '=…'}")


def _scope_hint(kind: str) -> str:
    return "all" if kind == "all" else f"{kind}=VALUE"


def _info(user: User) -> UserInfo:
    return UserInfo(username=user.username, role=user.role, scope_kind=user.scope_kind,
                    scope_value=user.scope_value, disabled=bool(user.disabled),
                    has_password=user.password_hash is not None, created_at=user.created_at,
                    password_changed_at=user.password_changed_at,
                    last_login_at=user.last_login_at)


def _audit_view(user: User) -> dict:
    return {"username": user.username, "role": user.role, "scope_kind": user.scope_kind,
            "scope_value": user.scope_value, "disabled": bool(user.disabled)}


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise CxpmError(f"no user named {username!r}")
    return user


def add_user(workspace: Workspace, username: str, *, role: str, scope: str | None = None,
             password: str | None, actor: str) -> UserInfo:
    """Create a user; without a password the account exists but cannot log in yet."""
    check_username(username)
    scope_kind, scope_value = parse_scope(scope)
    check_role_scope(role, scope_kind)
    password_hash = hash_password(password) if password is not None else None
    with Session(workspace.app_db) as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise CxpmError(f"user {username!r} already exists")
        at = now()
        user = User(username=username, role=role, scope_kind=scope_kind,
                    scope_value=scope_value, created_at=at, password_hash=password_hash,
                    disabled=False, password_changed_at=at if password_hash else None)
        session.add(user)
        session.flush()
        record_audit(session, actor=actor, action="add", entity="user", entity_id=username,
                     before=None, after=_audit_view(user) | {"password_set": bool(password)})
        session.commit()
        return _info(user)


def list_users(workspace: Workspace) -> list[UserInfo]:
    with Session(workspace.app_db) as session:
        return [_info(u) for u in session.scalars(select(User).order_by(User.username))]


def get_user(workspace: Workspace, username: str) -> UserInfo:
    with Session(workspace.app_db) as session:
        return _info(_get(session, username))


def _revoke_all(session: Session, user_id: int, at: datetime) -> int:
    result = session.execute(update(AuthToken)
                             .where(AuthToken.user_id == user_id, AuthToken.revoked.is_(False))
                             .values(revoked=True, revoked_at=at))
    return result.rowcount or 0


def set_disabled(workspace: Workspace, username: str, disabled: bool, *,
                 actor: str) -> UserInfo:
    """Disable (and end every token and session of) a user, or enable them again. Nobody
    disables their own account: an administrator would lock themself out."""
    if disabled and actor == username:
        raise CxpmError(f"{username!r} cannot disable their own account; another "
                        "administrator can")
    with Session(workspace.app_db) as session:
        user = _get(session, username)
        before = _audit_view(user)
        user.disabled = disabled
        revoked = _revoke_all(session, user.id, now()) if disabled else 0
        record_audit(session, actor=actor, action="disable" if disabled else "enable",
                     entity="user", entity_id=username, before=before,
                     after=_audit_view(user),
                     note=f"{revoked} tokens revoked" if disabled else None)
        session.commit()
        return _info(user)


def reset_password(workspace: Workspace, username: str, password: str, *,
                   actor: str) -> UserInfo:
    """Set a new password; every token and session of the user ends."""
    password_hash = hash_password(password)
    with Session(workspace.app_db) as session:
        user = _get(session, username)
        at = now()
        user.password_hash = password_hash
        user.password_changed_at = at
        revoked = _revoke_all(session, user.id, at)
        record_audit(session, actor=actor, action="reset_password", entity="user",
                     entity_id=username, before=None, after=None,
                     note=f"password changed; {revoked} tokens revoked")
        session.commit()
        return _info(user)


def revoke_tokens(workspace: Workspace, username: str, *, actor: str) -> int:
    """End every API token and browser session of a user (who may log in again); returns
    how many were live."""
    with Session(workspace.app_db) as session:
        user = _get(session, username)
        revoked = _revoke_all(session, user.id, now())
        record_audit(session, actor=actor, action="revoke_tokens", entity="user",
                     entity_id=username, before=None, after=None,
                     note=f"{revoked} tokens revoked")
        session.commit()
        return revoked


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The enabled user with this username and password, or None (the caller commits: a
    successful login records its time and upgrades an outdated hash)."""
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now()
    return user
