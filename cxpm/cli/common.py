"""What every command shares: the workspace option, output formats and rendering helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable
from rich.text import Text

from cxpm.config import resolve_workspace
from cxpm.formatting import format_value, json_ready
from cxpm.workspace import Workspace, open_workspace

console = Console()
err_console = Console(stderr=True)


class SummaryFormat(StrEnum):
    table = "table"
    json = "json"


WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $CXPM_WORKSPACE, else the current folder).",
        show_default=False,
    ),
]

FormatOption = Annotated[
    SummaryFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
]


def workspace_from(option: Path | None) -> Workspace:
    workspace = open_workspace(resolve_workspace(option))
    workspace.on_warehouse_wait = _say_waiting
    return workspace


def _say_waiting(reason: str) -> None:
    err_console.print("Waiting for the warehouse: another process is using it (a running "
                      "ingest, or the web server mid-query)…", markup=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data: Any) -> str:
    return json.dumps(json_ready(data), indent=2, default=_json_default, ensure_ascii=False,
                      allow_nan=False)


def print_json(data: Any) -> None:
    """JSON on stdout, unstyled, so scripts can parse it."""
    sys.stdout.write(dumps(data) + "\n")


def render_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None,
                title: str | None = None, units: Mapping[str, str] | None = None) -> RichTable:
    """A Rich table of dict rows (columns default to the first row's keys)."""
    columns = list(columns or (rows[0].keys() if rows else []))
    table = RichTable(title=title, show_lines=False, header_style="bold")
    for col in columns:
        numeric = bool(rows) and isinstance(rows[0].get(col), int | float)
        table.add_column(col, justify="right" if numeric else "left")
    for row in rows:
        # Cell text is data (names, ids), never markup; callers style whole cells with
        # Text objects.
        table.add_row(*(_cell(row.get(c), (units or {}).get(c)) for c in columns))
    return table


def _cell(value: Any, unit: str | None) -> Any:
    if isinstance(value, Text):
        return value
    return Text(format_value(value, unit))


def show_records(rows: Sequence[Mapping[str, Any]], format: SummaryFormat, *,
                 columns: Sequence[str] | None = None, empty: str = "nothing yet") -> None:
    """A list command's output: JSON (every field), or a table of `columns`, or `empty`."""
    if format is SummaryFormat.json:
        print_json(list(rows))
    elif not rows:
        console.print(empty, highlight=False)
    else:
        console.print(render_rows(rows, columns))


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields update(done, total). Quiet when not a terminal
    or when `enabled` is false, so JSON output stays clean."""
    if not enabled or not err_console.is_terminal:
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: float, total: float) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def parse_assignments(items: Iterable[str], what: str) -> dict[str, list[str]]:
    """Parse repeated DIM=VALUE options into {dim: [values]}."""
    from cxpm.errors import CxpmError

    parsed: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CxpmError(f"{what} expects KEY=VALUE, got {item!r}")
        parsed.setdefault(key.strip(), []).append(value)
    return parsed
