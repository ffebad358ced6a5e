"""The server-rendered pages (Jinja2 + HTMX). `install` adds every page module of this
package (a module with a `router`), their static files and their error pages; a module's
`NAV` entries, (order, label, path, permission[, UNSCOPED_ONLY]), make the navigation bar."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from cxpm.users.tokens import DEFAULT_SESSION_HOURS
from cxpm.web.pages.common import (
    NAV,
    LoginRequired,
    PageError,
    error_page,
    login_redirect,
)

STATIC = Path(__file__).parent.parent / "static"


def page_modules() -> list[ModuleType]:
    """Every module of this package that serves pages, by name."""
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__)]
    return sorted((m for m in modules if hasattr(m, "router")), key=lambda m: m.__name__)


def install(app: FastAPI, *, session_hours: float = DEFAULT_SESSION_HOURS) -> None:
    app.state.session_hours = session_hours

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return error_page(request, exc)

    entries = []
    for module in page_modules():
        app.include_router(module.router)
        entries.extend(getattr(module, "NAV", ()))
    NAV[:] = [entry[1:] for entry in sorted(entries)]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
