"""`cxpm ingest` and `cxpm quarantine`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
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


class InputFormat(StrEnum):
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"
    jsonl = "jsonl"


def ingest(
    table: Annotated[str, typer.Argument(help="Canonical table to load (see `cxpm schema`).")],
    files: Annotated[list[Path], typer.Argument(help="One or more files; one batch for all.")],
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help="Mapping TOML for files not in canonical form (docs/mapping.md).")]
    = None,
    input_format: Annotated[InputFormat | None, typer.Option(
        "--input-format", help="Input format (default: from the mapping or the file name).")]
    = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Validate and load files into a canonical table; rejected rows go to quarantine."""
    from cxpm.ingest import ingest as run_ingest
    from cxpm.schema import get_table

    get_table(table)
    ws = workspace_from(workspace)
    with progress_bar(f"loading {table}", enabled=format is SummaryFormat.table) as update:
        summary = run_ingest(ws, table, files, mapping=mapping,
                             input_format=input_format.value if input_format else None,
                             progress=update)
    ws.close()
    if format is SummaryFormat.json:
        print_json(summary.model_dump())
        return
    console.print(render_rows([summary.model_dump()],
                              ["batch_id", "table", "read", "loaded", "quarantined",
                               "duplicates"], title="Ingest summary"))
    if summary.quarantined:
        console.print(f"{summary.quarantined:,} row(s) quarantined: cxpm quarantine show "
                      f"{summary.batch_id} --workspace {ws.path}", highlight=False)


quarantine_app = typer.Typer(help="Rows rejected at ingest, with their reasons.",
                             no_args_is_help=True)


@quarantine_app.command("list")
def quarantine_list(format: FormatOption = SummaryFormat.table,
                    workspace: WorkspaceOption = None) -> None:
    """List ingest batches with their counts."""
    from cxpm.ingest import list_batches

    ws = workspace_from(workspace)
    batches = [b.model_dump() for b in list_batches(ws)]
    ws.close()
    if format is SummaryFormat.json:
        print_json(batches)
        return
    if not batches:
        console.print("No batches loaded yet.")
        return
    console.print(render_rows(batches, title="Ingest batches"))


@quarantine_app.command("show")
def quarantine_show(
    batch: Annotated[str, typer.Argument(help="Batch id (see `cxpm quarantine list`).")],
    limit: Annotated[int, typer.Option("--limit", help="Rows to show in table format (0: all).")]
    = 50,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Show the quarantined rows of a batch: file, line, raw content and reason."""
    from cxpm.ingest import quarantined_rows

    ws = workspace_from(workspace)
    rows = [r.model_dump() for r in quarantined_rows(ws, batch)]
    ws.close()
    if format is SummaryFormat.json:
        print_json(rows)
        return
    if not rows:
        console.print(f"Batch {batch} has no quarantined rows.")
        return
    shown = rows if limit <= 0 else rows[:limit]
    console.print(render_rows(shown, ["source_file", "line", "reason", "raw"],
                              title=f"Quarantine of batch {batch}"))
    if len(shown) < len(rows):
        console.print(f"… {len(rows) - len(shown):,} more (use --limit 0 or --format json)")


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.add_typer(quarantine_app, name="quarantine")
