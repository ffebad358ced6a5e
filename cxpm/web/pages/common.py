"""What every page shares: the session cookie, the CSRF check, permission checks and
rendering (docs/security.md, "Browser sessions and CSRF")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cxpm.formatting import format_value
from cxpm.users.permissions import has_permission
from cxpm.users.tokens import check_csrf, csrf_token
from cxpm.web.deps import Principal, WebState, caller, web_state

SESSION_COOKIE = "cxpm_session"
# Before login there is no session to bind the form to: a random pre-session cookie is.
LOGIN_COOKIE = "cxpm_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
templates.env.filters["fmt"] = format_value
templates.env.autoescape = True

# Navigation: (label, path, permission[, UNSCOPED_ONLY]), shown only to roles that hold the
# permission (and to users of scope all, for pages that refuse scoped users); filled by
# `cxpm.web.pages.install` from each page module's NAV.
NAV: list[tuple] = []
UNSCOPED_ONLY = "unscoped-only"


class LoginRequired(Exception):  # noqa: N818 (a signal, answered by a redirect)
    """No live session: the page answers a redirect to /login."""


class PageError(Exception):
    """A page that cannot be shown: 403 (permission, CSRF) or 404 (absent or out of scope)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def secure_request(request: Request) -> bool:
    return request.url.scheme == "https"


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


async def page_principal(request: Request,
                   state: Annotated[WebState, Depends(web_state)]) -> Principal:
    """The user of a live browser session (else a redirect to /login)."""
    principal = caller(state, session_cookie(request), kind="session")
    if principal is None:
        raise LoginRequired()
    return principal


def page_require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A page dependency: the logged-in user, who must hold `permission` (403 page)."""
    has_permission("admin", permission)  # an unknown permission name fails at start-up

    async def check(principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
        if not has_permission(principal.role, permission):
            raise PageError(status.HTTP_403_FORBIDDEN,
                            f"Your role ({principal.role}) may not do this ({permission}).")
        return principal

    return check


async def csrf_checked(request: Request) -> None:
    """Every POST of a logged-in page: the form field or header must equal the session's
    CSRF token (403 otherwise)."""
    raw = session_cookie(request)
    if not raw:  # no session at all: the answer is the login page, whatever the form says
        raise LoginRequired()
    form = await request.form()
    submitted = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not raw or not isinstance(submitted, str) or not check_csrf(raw, submitted):
        raise PageError(status.HTTP_403_FORBIDDEN,
                        "The form's security token is missing or wrong: reload the page "
                        "and try again.")


def scope_text(principal: Principal) -> str:
    if principal.scope_kind == "all":
        return "all"
    return f"{principal.scope_kind}={principal.scope_value}"


def render(request: Request, template: str, principal: Principal | None,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    raw = session_cookie(request)
    nav = [(label, path) for label, path, permission, *only in NAV
           if principal is not None and has_permission(principal.role, permission)
           and (not only or principal.scope_kind == "all")]
    return templates.TemplateResponse(
        request, template, {"user": principal, "nav": nav,
                            "scope": scope_text(principal) if principal else None,
                            "csrf": csrf_token(raw) if raw and principal else "",
                            **context},
        status_code=status_code, headers={"Cache-Control": "no-store"})


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}",
                            status_code=status.HTTP_303_SEE_OTHER)


def error_page(request: Request, exc: PageError) -> HTMLResponse:
    return render(request, "error.html", None, status_code=exc.status_code,
                  message=exc.message, code=exc.status_code)
