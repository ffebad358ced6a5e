"""`cxpm metrics list | explain | compute`."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    dumps,
    parse_assignments,
    print_json,
    render_rows,
    workspace_from,
)
from cxpm.errors import CxpmError
from cxpm.files import atomic_output, check_writable
from cxpm.metrics.query import DEFAULT_COMPUTE_METRICS, compute_query, parse_when

metrics_app = typer.Typer(help="Metric catalog: list, explain and compute metrics.",
                          no_args_is_help=True)


class Grain(StrEnum):
    interval = "interval"
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    all = "all"


class ResultFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


@metrics_app.command("list")
def list_metrics(format: FormatOption = SummaryFormat.table,
                 workspace: WorkspaceOption = None) -> None:
    """List every metric of the workspace catalog (built-in and workspace-defined)."""
    catalog = workspace_from(workspace).metric_catalog()
    rows = [{"id": m.id, "title": m.title, "family": m.family, "unit": m.unit,
             "direction": m.direction} for m in catalog]
    if format is SummaryFormat.json:
        print_json(rows)
        return
    console.print(render_rows(rows, title=f"{len(rows)} metrics"))


@metrics_app.command("explain")
def explain_metric(
    metric_id: Annotated[str, typer.Argument(metavar="ID", help="Metric id.")],
    param: Annotated[list[str], typer.Option("--param", help="Override a parameter: K=V.")]
    = [],  # noqa: B006 - Typer reads the default, it is never mutated
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a metric's definition, formula, parameters, dimensions and compiled SQL."""
    from cxpm.metrics.engine import explain

    ws = workspace_from(workspace)
    info = explain(metric_id, ws.warehouse.tables(), params=ws.metric_params(param),
                   catalog=ws.metric_catalog()).model_dump()
    ws.close()
    if format is SummaryFormat.json:
        print_json(info)
        return
    console.print(f"[bold]{info['id']}[/bold] — {info['title']}")
    for key, value in info.items():
        if key in ("id", "title", "sql"):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "none"
        console.print(f"[bold]{key}:[/bold] {value}", highlight=False)
    console.print("[bold]sql:[/bold]")
    console.print(info["sql"], highlight=False, markup=False)


def _wide(records: list[dict[str, Any]], by: list[str]) -> list[dict[str, Any]]:
    """One row per group and period with a column per metric, for reading in a terminal."""
    wide: dict[tuple, dict[str, Any]] = {}
    for rec in records:
        key = tuple(rec.get(k) for k in [*by, "period_start"])
        row = wide.setdefault(key, {k: rec.get(k) for k in by} | (
            {"period_start": rec["period_start"]} if "period_start" in rec else {}))
        row[rec["metric"]] = rec["value"]
    return list(wide.values())


@metrics_app.command("compute")
def compute_metrics(
    metric: Annotated[list[str], typer.Option(
        "--metric", "-m", help="Metric id (repeatable). Default: "
        + ", ".join(DEFAULT_COMPUTE_METRICS) + ".")] = [],  # noqa: B006
    by: Annotated[list[str], typer.Option("--by", help="Dimension to group by (repeatable).")]
    = [],  # noqa: B006
    grain: Annotated[Grain, typer.Option("--grain", help="Period grain.")] = Grain.all,
    interval_minutes: Annotated[int, typer.Option(
        "--interval-minutes", help="Interval length for --grain interval: 15, 30 or 60.")] = 30,
    from_: Annotated[str | None, typer.Option(
        "--from", help="First local date or date-time, inclusive (YYYY-MM-DD[THH:MM]).")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Last local date, inclusive (YYYY-MM-DD); a local date-time "
        "(YYYY-MM-DDTHH:MM) is an exclusive end.")] = None,
    where: Annotated[list[str], typer.Option(
        "--where", help="Filter DIM=VALUE (repeatable; values of one DIM are OR-ed).")]
    = [],  # noqa: B006
    param: Annotated[list[str], typer.Option(
        "--param", help="Override a metric parameter K=V, e.g. service_level.threshold_s=30.")]
    = [],  # noqa: B006
    format: Annotated[ResultFormat, typer.Option("--format", help="Output format.")]
    = ResultFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE.")]
    = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Compute metrics by dimensions and period (ratios = sum(numerator)/sum(denominator))."""
    from cxpm.metrics.engine import to_records

    if interval_minutes not in (15, 30, 60):
        raise CxpmError("--interval-minutes must be 15, 30 or 60")
    if format is ResultFormat.parquet and output is None:
        raise CxpmError("--format parquet needs --output FILE")
    if format is ResultFormat.table and output is not None:
        raise CxpmError("--output needs --format json, csv or parquet")
    if output is not None:
        check_writable(output)
    ws = workspace_from(workspace)
    result = compute_query(
        ws, metric, by=by, grain=grain.value, interval_minutes=interval_minutes,
        start=parse_when(from_, "--from"), end=parse_when(to, "--to"),
        where=parse_assignments(where, "--where"), param_overrides=param)
    units = {m.id: m.unit for m in ws.metric_catalog()}
    ws.close()
    write_result(result, format, output, list(by), to_records, units)


def write_result(result: Any, format: ResultFormat, output: Path | None, by: list[str],
                 to_records: Any, units: dict[str, str]) -> None:
    """Render or write an engine result in the requested format."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if format is ResultFormat.table:
        rows = _wide(to_records(result), by)
        if rows:
            console.print(render_rows(rows, units=units))
        else:
            console.print("No data for this selection.")
        return
    if output is None:
        if format is ResultFormat.json:
            print_json(to_records(result))
        else:
            buffer = io.BytesIO()
            pacsv.write_csv(result, buffer)
            sys.stdout.write(buffer.getvalue().decode())
        return
    with atomic_output(output) as temporary:
        if format is ResultFormat.parquet:
            pq.write_table(result, temporary)
        elif format is ResultFormat.csv:
            pacsv.write_csv(result, temporary)
        else:
            temporary.write_text(dumps(to_records(result)) + "\n", encoding="utf-8")
    console.print(f"Wrote {result.num_rows:,} rows to {output}", style="dim")


def register(app: typer.Typer) -> None:
    app.add_typer(metrics_app, name="metrics")
