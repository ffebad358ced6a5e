"""GET/POST /login (rate-limited, a new session token each time) and POST /logout."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cxpm.store.models import AuthToken
from cxpm.users import throttle
from cxpm.users.accounts import authenticate
from cxpm.users.passwords import MAX_PASSWORD_LENGTH
from cxpm.users.tokens import check_csrf, csrf_token, issue_token, resolve_token, revoke
from cxpm.web.api_auth import client_of
from cxpm.web.deps import db_session
from cxpm.web.pages.common import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    csrf_checked,
    render,
    secure_request,
    session_cookie,
)

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return "/"
    return target


def _login_form(request: Request, *, next_path: str, error: str | None = None,
                username: str = "", status_code: int = 200) -> HTMLResponse:
    pre = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status_code=status_code,
                      login_csrf=csrf_token(pre), next_path=next_path, error=error,
                      username=username)
    response.set_cookie(LOGIN_COOKIE, pre, httponly=True, samesite="strict", path="/login",
                        secure=secure_request(request))
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_form(request, next_path=safe_next(next))


@router.post("/login")
def login(request: Request, session: Annotated[Session, Depends(db_session)],
          username: Annotated[str, Form(max_length=120)] = "",
          password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
          csrf_token: Annotated[str, Form(max_length=128)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    next_path = safe_next(next)
    pre = request.cookies.get(LOGIN_COOKIE)
    if not pre or not check_csrf(pre, csrf_token):
        return _login_form(request, next_path=next_path, username=username,
                           status_code=status.HTTP_403_FORBIDDEN,
                           error="The login form expired: please try again.")
    client = client_of(request)
    wait = throttle.retry_after(session, username, client)
    if wait is not None:
        response = _login_form(request, next_path=next_path, username=username,
                               status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                               error="Too many failed logins: try again later.")
        response.headers["Retry-After"] = str(wait)
        return response
    user = authenticate(session, username, password) if username and password else None
    if user is None:
        throttle.record_failure(session, username, client)
        session.commit()
        return _login_form(request, next_path=next_path, username=username,
                           status_code=status.HTTP_401_UNAUTHORIZED,
                           error="Invalid username or password.")
    throttle.clear_failures(session, username, client)
    # Always a new token: a session id the browser brought is never adopted (fixation).
    token = issue_token(session, user, kind="session",
                        hours=request.app.state.session_hours)
    session.commit()
    response = RedirectResponse(next_path, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=secure_request(request),
                        max_age=int(request.app.state.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(csrf_checked)])
def logout(request: Request, session: Annotated[Session, Depends(db_session)]) -> Response:
    raw = session_cookie(request)
    found = resolve_token(session, raw, kind="session") if raw else None
    if found is not None:
        revoke(session, session.get(AuthToken, found[1].id))
        session.commit()
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
