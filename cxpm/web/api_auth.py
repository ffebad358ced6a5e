"""POST /api/auth/token (log in for a bearer token), POST /api/auth/revoke, GET /api/me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from cxpm.store.models import AuthToken
from cxpm.users import throttle
from cxpm.users.accounts import authenticate
from cxpm.users.passwords import MAX_PASSWORD_LENGTH
from cxpm.users.permissions import ROLE_PERMISSIONS
from cxpm.users.tokens import issue_token, revoke
from cxpm.web.deps import (
    Principal,
    WebState,
    current_principal,
    db_session,
    unauthorized,
    web_state,
)

router = APIRouter(prefix="/api", tags=["auth"])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class Me(BaseModel):
    username: str
    role: str
    scope: str
    permissions: list[str]


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/token", response_model=TokenResponse,
             responses={401: {"description": "Wrong username or password"},
                        429: {"description": "Too many failed logins; see Retry-After"}})
def login(credentials: Credentials, request: Request,
          session: Annotated[Session, Depends(db_session)],
          state: Annotated[WebState, Depends(web_state)]) -> TokenResponse:
    """Exchange a username and password for a bearer token."""
    client = client_of(request)
    wait = throttle.retry_after(session, credentials.username, client)
    if wait is not None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            detail="too many failed logins; try again later",
                            headers={"Retry-After": str(wait)})
    user = authenticate(session, credentials.username, credentials.password)
    if user is None:
        throttle.record_failure(session, credentials.username, client)
        session.commit()
        raise unauthorized("invalid username or password")
    throttle.clear_failures(session, credentials.username, client)
    token = issue_token(session, user, kind="api", hours=state.token_hours)
    session.commit()
    return TokenResponse(access_token=token, expires_in=int(state.token_hours * 3600))


@router.post("/auth/revoke", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(principal: Annotated[Principal, Depends(current_principal)],
                 session: Annotated[Session, Depends(db_session)]) -> Response:
    """End the token this request was made with."""
    token = session.get(AuthToken, principal.token_id)
    revoke(session, token)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me)
def me(principal: Annotated[Principal, Depends(current_principal)]) -> Me:
    """Who the token belongs to: role, scope and permissions."""
    scope = ("all" if principal.scope_kind == "all"
             else f"{principal.scope_kind}={principal.scope_value}")
    return Me(username=principal.username, role=principal.role, scope=scope,
              permissions=sorted(ROLE_PERMISSIONS.get(principal.role, ())))
