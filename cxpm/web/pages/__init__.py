"""The server-rendered pages (Jinja2 + HTMX): login, scorecard, metric detail, QA entry,
corrective actions. `install` adds them, their static files and their error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from cxpm.users.tokens import DEFAULT_SESSION_HOURS
from cxpm.web.pages import actions, assets, auth, metric, qa, scorecard
from cxpm.web.pages.common import LoginRequired, PageError, error_page, login_redirect

STATIC = Path(__file__).parent.parent / "static"


def install(app: FastAPI, *, session_hours: float = DEFAULT_SESSION_HOURS) -> None:
    app.state.session_hours = session_hours

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return error_page(request, exc)

    for module in (assets, auth, scorecard, metric, qa, actions):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
