"""The FastAPI application of one workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from cxpm import __version__
from cxpm.errors import CxpmError
from cxpm.users.tokens import DEFAULT_SESSION_HOURS, DEFAULT_TOKEN_HOURS
from cxpm.web import (
    api_actions,
    api_auth,
    api_evaluations,
    api_exports,
    api_metrics,
    api_scorecard,
    api_targets,
    api_users,
    pages,
)
from cxpm.web.deps import WebState
from cxpm.web.security import docs_page, install_security_headers, mount_docs_assets
from cxpm.workspace import open_workspace

OPENAPI_URL = "/api/openapi.json"
WORKER_THREADS = 8


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body"))
        problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(problems)


def create_app(workspace_path: Path | str, *,
               token_hours: float = DEFAULT_TOKEN_HOURS,
               session_hours: float = DEFAULT_SESSION_HOURS) -> FastAPI:
    """The web app and REST API over the workspace at `workspace_path`."""
    if not 0 < token_hours <= 24 * 366:
        raise CxpmError(f"token lifetime must be between 0 and a year, got {token_hours} h")
    if not 0 < session_hours <= 24 * 366:
        raise CxpmError(f"session lifetime must be between 0 and a year, got {session_hours} h")
    workspace = open_workspace(Path(workspace_path))
    workspace.app_db  # noqa: B018 (migrates the app database before the first request)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Request handlers that block run in worker threads. Python runs one thread at a
        # time, so forty of them (the default) only take turns ever more slowly; a few keep
        # answers from the cache quick while one computes.
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        yield
        workspace.close()

    app = FastAPI(title="cxpm", version=__version__, openapi_url=OPENAPI_URL,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.web = WebState(workspace=workspace, token_hours=token_hours)
    install_security_headers(app)

    @app.exception_handler(CxpmError)
    async def user_error(_: Request, exc: CxpmError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)},
                            status_code=status.HTTP_400_BAD_REQUEST)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return docs_page(OPENAPI_URL, "cxpm API")

    for module in (api_auth, api_metrics, api_users, api_scorecard, api_targets,
                   api_evaluations, api_actions, api_exports):
        app.include_router(module.router)
    mount_docs_assets(app)
    pages.install(app, session_hours=session_hours)
    return app
