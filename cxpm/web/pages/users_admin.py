"""/users — user administration for administrators: list, add, disable and enable, reset
a password, end a user's sessions and tokens. Every change goes through the same library
functions as `cxpm users ...`, which write the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxpm.errors import CxpmError
from cxpm.store.audit import AuditFilter, list_audit
from cxpm.users.accounts import (
    UserInfo,
    add_user,
    check_role_scope,
    check_username,
    get_user,
    list_users,
    parse_scope,
    reset_password,
    revoke_tokens,
    set_disabled,
)
from cxpm.users.passwords import MIN_PASSWORD_LENGTH, check_password_rules
from cxpm.users.permissions import ROLE_SCOPES, ROLES, SCOPE_DIMENSIONS
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, csrf_checked, page_require, render

router = APIRouter(include_in_schema=False)
NAV = ((95, "Users", "/users", "users:manage"),)

Admin = Annotated[Principal, Depends(page_require("users:manage"))]
State = Annotated[WebState, Depends(web_state)]
# Generous bounds: the library's own rules say what is wrong, inline; these only cap size.
Field = Annotated[str, Form(max_length=1000)]
Secret = Annotated[str, Form(max_length=1000)]
SCOPE_KINDS = ("all", *SCOPE_DIMENSIONS)
# ?done=... after a change -> the notice shown (fixed texts: nothing of the URL is echoed
# but a username, which the page escapes).
NOTICES = {"added": "User {} added.", "disabled": "User {} disabled; their sessions ended.",
           "enabled": "User {} enabled.", "password": "Password of {} changed; their "
           "sessions ended.", "revoked": "Every session and token of {} ended."}
HISTORY_ROWS = 20


def _done(action: str, username: str) -> RedirectResponse:
    return RedirectResponse("/users?" + urlencode({"done": action, "user": username}),
                            status_code=status.HTTP_303_SEE_OTHER)


def _notice(request: Request) -> str | None:
    template = NOTICES.get(request.query_params.get("done", ""))
    user = request.query_params.get("user", "")
    return template.format(user) if template and user else None


def _list_page(request: Request, principal: Principal, state: WebState, *,
               error: str | None = None, form: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    return render(request, "users.html", principal, status_code=status_code,
                  users=list_users(state.workspace), error=error, form=form or {},
                  notice=None if error else _notice(request), roles=ROLES,
                  scope_kinds=SCOPE_KINDS, role_scopes=ROLE_SCOPES,
                  min_password=MIN_PASSWORD_LENGTH)


def _known_user(state: WebState, username: str) -> UserInfo:
    try:
        return get_user(state.workspace, check_username(username))
    except CxpmError:
        raise PageError(status.HTTP_404_NOT_FOUND, f"No user named {username!r}.") from None


def _detail_page(request: Request, principal: Principal, state: WebState, user: UserInfo,
                 *, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    history = list_audit(state.workspace,
                         AuditFilter(entity="user", entity_id=user.username),
                         limit=HISTORY_ROWS)
    return render(request, "user.html", principal, status_code=status_code, account=user,
                  error=error, history=history, myself=user.username == principal.username,
                  min_password=MIN_PASSWORD_LENGTH)


def form_scope(kind: str, value: str) -> str | None:
    """The library's scope text (`vendor=acme`, None for all) from the form's two fields."""
    if kind == "all":
        if value.strip():
            raise CxpmError("scope all takes no value: choose a scope kind or clear the value")
        return None
    if kind not in SCOPE_DIMENSIONS:
        raise CxpmError(f"unknown scope kind {kind!r}; kinds are {', '.join(SCOPE_KINDS)}")
    return f"{kind}={value}"


def _new_password(password: str, confirm: str) -> str:
    check_password_rules(password)
    if password != confirm:
        raise CxpmError("the two passwords differ")
    return password


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, principal: Admin, state: State) -> HTMLResponse:
    return _list_page(request, principal, state)


@router.post("/users", dependencies=[Depends(csrf_checked)])
def add_user_page(request: Request, principal: Admin, state: State,
                  username: Field = "", role: Field = "", scope_kind: Field = "all",
                  scope_value: Field = "", password: Secret = "",
                  password_confirm: Secret = "") -> Response:
    form = {"username": username, "role": role, "scope_kind": scope_kind,
            "scope_value": scope_value}  # passwords are never sent back
    try:
        name = check_username(username.strip())
        scope = form_scope(scope_kind, scope_value)
        check_role_scope(role, parse_scope(scope)[0])
        add_user(state.workspace, name, role=role, scope=scope,
                 password=_new_password(password, password_confirm), actor=principal.username)
    except CxpmError as exc:
        return _list_page(request, principal, state, error=str(exc), form=form,
                          status_code=status.HTTP_400_BAD_REQUEST)
    return _done("added", name)


@router.get("/users/{username}", response_class=HTMLResponse)
def user_page(request: Request, username: str, principal: Admin,
              state: State) -> HTMLResponse:
    return _detail_page(request, principal, state, _known_user(state, username))


def _change(request: Request, principal: Principal, state: WebState, username: str,
            change: Callable[[str], object], done: str) -> Response:
    user = _known_user(state, username)
    try:
        change(user.username)
    except CxpmError as exc:
        return _detail_page(request, principal, state, user, error=str(exc),
                            status_code=status.HTTP_400_BAD_REQUEST)
    return _done(done, user.username)


@router.post("/users/{username}/disable", dependencies=[Depends(csrf_checked)])
def disable_page(request: Request, username: str, principal: Admin, state: State) -> Response:
    return _change(request, principal, state, username, lambda name: set_disabled(
        state.workspace, name, True, actor=principal.username), "disabled")


@router.post("/users/{username}/enable", dependencies=[Depends(csrf_checked)])
def enable_page(request: Request, username: str, principal: Admin, state: State) -> Response:
    return _change(request, principal, state, username, lambda name: set_disabled(
        state.workspace, name, False, actor=principal.username), "enabled")


@router.post("/users/{username}/reset-password", dependencies=[Depends(csrf_checked)])
def reset_password_page(request: Request, username: str, principal: Admin, state: State,
                        password: Secret = "", password_confirm: Secret = "") -> Response:
    return _change(request, principal, state, username, lambda name: reset_password(
        state.workspace, name, _new_password(password, password_confirm),
        actor=principal.username), "password")


@router.post("/users/{username}/revoke-tokens", dependencies=[Depends(csrf_checked)])
def revoke_tokens_page(request: Request, username: str, principal: Admin,
                       state: State) -> Response:
    return _change(request, principal, state, username, lambda name: revoke_tokens(
        state.workspace, name, actor=principal.username), "revoked")
