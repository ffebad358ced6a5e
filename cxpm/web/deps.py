"""What every route depends on: the app state, the authenticated user, permission checks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from cxpm.users.permissions import has_permission
from cxpm.users.tokens import resolve_token
from cxpm.workspace import Workspace


@dataclass
class WebState:
    workspace: Workspace
    token_hours: float
    # DuckDB connections are not safe to share across threads: one warehouse query at a time.
    warehouse_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: int
    username: str
    role: str
    scope_kind: str
    scope_value: str | None
    token_id: int


def web_state(request: Request) -> WebState:
    return request.app.state.web


def db_session(state: Annotated[WebState, Depends(web_state)]) -> Iterator[Session]:
    with Session(state.workspace.app_db) as session:
        yield session


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/token.")


def unauthorized(detail: str = "not authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


def current_principal(
    session: Annotated[Session, Depends(db_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    found = resolve_token(session, credentials.credentials, kind="api")
    if found is None:
        raise unauthorized("invalid, expired or revoked token")
    return principal_of(session, found)


def principal_of(session: Session, found: tuple[Any, Any]) -> Principal:
    """The caller behind a resolved token (API or session); commits the token's last use."""
    user, token = found
    session.commit()
    return Principal(user_id=user.id, username=user.username, role=user.role,
                     scope_kind=user.scope_kind, scope_value=user.scope_value,
                     token_id=token.id)


def require(permission: str) -> Callable[[Principal], Principal]:
    """A dependency: the caller, who must hold `permission` (403 otherwise)."""
    has_permission("admin", permission)  # an unknown permission name fails at start-up

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not has_permission(principal.role, permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                detail=f"role {principal.role} lacks permission {permission}")
        return principal

    return check
