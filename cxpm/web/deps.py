"""What every route depends on: the app state, the authenticated user, permission checks."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from cxpm.users.permissions import has_permission
from cxpm.users.tokens import resolve_token
from cxpm.warehouse import Warehouse
from cxpm.web.cache import ResultCache
from cxpm.workspace import Workspace

T = TypeVar("T")


@dataclass
class WebState:
    """What the app shares between requests (docs/deployment.md, "Serving and loading data
    at the same time")."""

    workspace: Workspace
    token_hours: float
    cache: ResultCache = field(default_factory=ResultCache)
    # One warehouse user at a time in this process: a DuckDB connection is not safe to
    # share across threads. Reentrant, so a cached computation may run inside `warehouse`.
    _warehouse_lock: threading.RLock = field(default_factory=threading.RLock)
    _warehouse_depth: int = 0

    @contextmanager
    def warehouse(self) -> Iterator[Warehouse]:
        """The warehouse, for this thread alone, opened for this piece of work and let go
        right after, so that another process (`cxpm ingest`, `cxpm journeys build`) can
        write between requests."""
        with self._warehouse_lock:
            self._warehouse_depth += 1
            try:
                yield self.workspace.warehouse
            finally:
                self._warehouse_depth -= 1
                if self._warehouse_depth == 0:
                    self.workspace.close_warehouse()

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` (which reads the warehouse) once per data version: `key` must name
        everything else the result depends on (the query, the user's scope, targets)."""
        version = self.workspace.data_version()

        def run() -> T:
            with self.warehouse():
                return compute()

        return self.cache.get_or_compute((version, key), run)

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per data version, for a value made from other cached results
        (an encoded response): it opens no warehouse itself."""
        return self.cache.get_or_compute(self._derived_key(key), compute)

    def _derived_key(self, key: Hashable) -> Hashable:
        return (self.workspace.data_version(), "derived", key)

    async def derived_async(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`derived`, for an async route: a value already made is returned on the event
        loop; making one (which may compute for seconds) runs in a worker thread."""
        found, value = self.cache.peek(self._derived_key(key))
        if found:
            return value
        return await anyio.to_thread.run_sync(self.derived, key, compute)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: int
    username: str
    role: str
    scope_kind: str
    scope_value: str | None
    token_id: int


async def web_state(request: Request) -> WebState:
    return request.app.state.web


def db_session(state: Annotated[WebState, Depends(web_state)]) -> Iterator[Session]:
    with Session(state.workspace.app_db) as session:
        yield session


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/token.")


def unauthorized(detail: str = "not authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    state: Annotated[WebState, Depends(web_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    principal = caller(state, credentials.credentials, kind="api")
    if principal is None:
        raise unauthorized("invalid, expired or revoked token")
    return principal


def caller(state: WebState, raw: str | None, *, kind: str) -> Principal | None:
    """The user behind a raw API token or session cookie, or None (unknown, expired,
    revoked, disabled). One indexed lookup, done on the event loop by the async
    dependencies: a hop to a worker thread would cost more than the query. A session of its
    own, closed at once: holding one for the whole request would let slow requests use up
    the connection pool."""
    if not raw:
        return None
    with Session(state.workspace.app_db) as session:
        found = resolve_token(session, raw, kind=kind)
        return principal_of(session, found) if found is not None else None


def principal_of(session: Session, found: tuple[Any, Any]) -> Principal:
    """The caller behind a resolved token (API or session); commits the token's last use."""
    user, token = found
    if session.dirty:  # the last-used time, recorded at most once a minute
        session.commit()
    return Principal(user_id=user.id, username=user.username, role=user.role,
                     scope_kind=user.scope_kind, scope_value=user.scope_value,
                     token_id=token.id)


def require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller, who must hold `permission` (403 otherwise)."""
    has_permission("admin", permission)  # an unknown permission name fails at start-up

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not has_permission(principal.role, permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                detail=f"role {principal.role} lacks permission {permission}")
        return principal

    return check
