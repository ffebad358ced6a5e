"""`cxpm scorecard`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    format_value,
    print_json,
    workspace_from,
)

if TYPE_CHECKING:
    from cxpm.scorecard import Scorecard



def format_change(change: float | None, unit: str, improved: bool | None) -> str:
    if change is None:
        return "—"
    if unit == "ratio":
        text = f"{change * 100:+.1f} pp"
    elif abs(change) >= 100:
        text = f"{change:+,.0f}"
    else:
        text = f"{change:+.2f}"
    if improved is None:
        return text
    return f"[green]{text} ▲[/green]" if improved else f"[red]{text} ▼[/red]"


def render_scorecard(card: Scorecard) -> RichTable:
    """The scorecard as one table: family, metric, dimensions, this period, previous, change."""
    table = RichTable(title=f"Scorecard {card.period} (vs {card.previous_period})",
                      header_style="bold")
    table.add_column("family")
    table.add_column("metric")
    for dim in card.by:
        table.add_column(dim)
    table.add_column(card.period, justify="right")
    table.add_column(card.previous_period, justify="right")
    table.add_column("change", justify="right")
    last_family = last_metric = None
    for row in card.rows:
        family = row.family if row.family != last_family else ""
        title = row.title if row.metric != last_metric else ""
        last_family, last_metric = row.family, row.metric
        table.add_row(family, title, *(format_value(row.dimensions.get(d)) for d in card.by),
                      format_value(row.value, row.unit), format_value(row.previous, row.unit),
                      format_change(row.change, row.unit, row.improved))
    return table


def print_scorecard(card: Scorecard) -> None:
    console.print(render_scorecard(card))
    for item in card.unavailable:
        console.print(f"[dim]{item.metric}: not shown — {item.reason}[/dim]")


def scorecard(
    period: Annotated[str | None, typer.Option(
        "--period", help="Month YYYY-MM (default: the latest month with contacts).")] = None,
    by: Annotated[list[str], typer.Option("--by", help="Dimension to split by (repeatable).")]
    = [],  # noqa: B006 - Typer reads the default, it is never mutated
    param: Annotated[list[str], typer.Option(
        "--param", help="Override a metric parameter K=V (see `cxpm metrics explain`).")]
    = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """The standard metrics of each family for a month beside the previous month."""
    from cxpm.scorecard import build_scorecard

    ws = workspace_from(workspace)
    card = build_scorecard(ws.warehouse.tables(), period=period, by=by,
                           params=ws.metric_params(param), catalog=ws.metric_catalog())
    ws.close()
    if format is SummaryFormat.json:
        print_json(card.model_dump())
        return
    print_scorecard(card)


def register(app: typer.Typer) -> None:
    app.command()(scorecard)
