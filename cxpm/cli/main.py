"""The `cxpm` command: one Typer app, one module per command group."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from cxpm import __version__
from cxpm.cli import (
    actions_cmd,
    awards_cmd,
    demo_cmd,
    forecast_cmd,
    ingest_cmd,
    journeys_cmd,
    journeys_friction_cmd,
    journeys_handoff_cmd,
    metrics_cmd,
    qa_cmd,
    report_cmd,
    review_cmd,
    scorecard_cmd,
    serve_cmd,
    spc_cmd,
    staff_cmd,
    targets_cmd,
    tech_cmd,
    users_cmd,
    wfm_cmd,
    workspace_cmd,
)
from cxpm.cli.common import err_console
from cxpm.errors import CxpmError

app = typer.Typer(
    name="cxpm",
    help="CX operations performance management: measure every interaction, human or bot, "
    "against targets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxpm {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """cxpm command line."""


workspace_cmd.register(app)
ingest_cmd.register(app)
metrics_cmd.register(app)
scorecard_cmd.register(app)
demo_cmd.register(app)
forecast_cmd.register(app)
staff_cmd.register(app)
wfm_cmd.register(app)
qa_cmd.register(app)
targets_cmd.register(app)
awards_cmd.register(app)
review_cmd.register(app)
spc_cmd.register(app)
report_cmd.register(app)
tech_cmd.register(app)
users_cmd.register(app)
serve_cmd.register(app)
journeys_cmd.register(app)
journeys_friction_cmd.register(journeys_cmd.journeys_app)
journeys_handoff_cmd.register(journeys_cmd.journeys_app)
actions_cmd.register(app)


def run() -> None:
    """Console-script entry point: user errors become one line on stderr and exit code 1.
    Usage errors are Typer's own (exit code 2)."""
    try:
        app()
    except CxpmError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        sys.exit(1)
