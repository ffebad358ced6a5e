"""`cxpm journeys build` (other journey commands register on `journeys_app` too)."""

from __future__ import annotations

from typing import Annotated

import typer

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    print_json,
    progress_bar,
    render_rows,
    workspace_from,
)

journeys_app = typer.Typer(help="Customer journeys: build them, then study friction and flows.",
                           no_args_is_help=True)

_COLUMNS = ("mode", "journeys", "steps", "customers_rebuilt", "journeys_rebuilt",
            "new_batches", "seconds")


@journeys_app.command("build")
def build(
    full: Annotated[bool, typer.Option(
        "--full", help="Rebuild every journey instead of only those new data touched.")]
    = False,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Stitch contacts into journeys and write the journeys and journey_steps tables."""
    from cxpm.journeys.build import build_journeys

    ws = workspace_from(workspace)
    try:
        with progress_bar("building journeys", enabled=format is SummaryFormat.table) as update:
            summary = build_journeys(ws, full=full, progress=update)
    finally:
        ws.close()
    record = summary.model_dump()
    if format is SummaryFormat.json:
        print_json(record)
        return
    record["seconds"] = round(record["seconds"], 2)
    console.print(render_rows([record], _COLUMNS, title="journeys build"))
    if summary.why_full:
        console.print(f"full rebuild: {summary.why_full}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(journeys_app, name="journeys")
