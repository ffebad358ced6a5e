"""`cxpm init` and `cxpm schema`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxpm.cli.common import FormatOption, SummaryFormat, console, print_json, render_rows
from cxpm.schema import TABLES, get_table
from cxpm.schema.describe import describe_table
from cxpm.workspace import init_workspace


def init(
    path: Annotated[Path, typer.Argument(help="Folder to create (default: current folder).")]
    = Path("."),
    timezone: Annotated[str, typer.Option("--timezone", help="Reporting time zone (IANA).")]
    = "UTC",
    format: FormatOption = SummaryFormat.table,
) -> None:
    """Create a workspace: cxpm.toml, the warehouse and the app database."""
    workspace = init_workspace(path, timezone)
    summary = {"workspace": str(workspace.path), "timezone": workspace.timezone,
               "warehouse_url": workspace.settings.warehouse_url,
               "app_db_url": workspace.settings.app_db_url}
    workspace.close()
    if format is SummaryFormat.json:
        print_json(summary)
        return
    console.print(f"Created workspace [bold]{summary['workspace']}[/bold] "
                  f"(time zone {summary['timezone']}).")
    console.print("Next: cxpm ingest contacts FILE.csv --workspace "
                  f"{summary['workspace']}  (or try `cxpm demo`)")


def schema(
    table: Annotated[str | None, typer.Argument(help="Table name (default: all tables).")]
    = None,
    format: FormatOption = SummaryFormat.table,
) -> None:
    """Print the canonical tables: columns, types, rules and keys."""
    tables = [get_table(table)] if table else list(TABLES.values())
    described = [describe_table(t) for t in tables]
    if format is SummaryFormat.json:
        print_json(described if table is None else described[0])
        return
    for info in described:
        console.print(f"[bold]{info['name']}[/bold] — {info['doc']}")
        console.print(f"key: {', '.join(info['key'])}; period column: {info['time_column']}")
        console.print(render_rows(info["columns"], ["name", "type", "rules", "doc"]))


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(schema)
