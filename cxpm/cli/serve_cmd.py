"""`cxpm serve`: the web app and REST API of a workspace."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from cxpm.cli.common import WorkspaceOption, console, err_console
from cxpm.config import resolve_workspace
from cxpm.users.tokens import DEFAULT_SESSION_HOURS, DEFAULT_TOKEN_HOURS


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    token_hours: Annotated[float, typer.Option(
        "--token-hours", help="Lifetime of API tokens in hours.")] = DEFAULT_TOKEN_HOURS,
    session_hours: Annotated[float, typer.Option(
        "--session-hours", help="Lifetime of a browser login in hours.")
    ] = DEFAULT_SESSION_HOURS,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the web app and REST API (API docs at /api/docs)."""
    import uvicorn

    from cxpm.web.app import create_app

    app = create_app(resolve_workspace(workspace), token_hours=token_hours,
                     session_hours=session_hours)
    if not _loopback(host):
        err_console.print("[yellow]warning:[/yellow] listening beyond this machine: put a "
                          "TLS-terminating reverse proxy in front (docs/security.md)",
                          highlight=False)
    console.print(f"cxpm serving on http://{host}:{port}  (API docs: /api/docs)",
                  highlight=False, markup=False)
    uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
