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


_SPARKS = "▁▂▃▄▅▆▇█"
_STATUS_STYLE = {"met": "[green]met[/green]", "warning": "[yellow]warning[/yellow]",
                 "missed": "[red]missed[/red]", "no data": "[dim]no data[/dim]"}


def sparkline(values: list[float | None]) -> str:
    """The trend as block characters, lowest to highest; a gap where a month has no value."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(known), max(known)
    span = high - low
    return "".join(" " if v is None else _SPARKS[0 if span == 0 else
                                                 round((v - low) / span * (len(_SPARKS) - 1))]
                   for v in values)


def render_scorecard(card: Scorecard) -> RichTable:
    """The scorecard as one table: family, metric, dimensions, this period, previous, change,
    trend and, when targets exist, target, status and consistency."""
    with_targets = any(row.target is not None for row in card.rows)
    table = RichTable(title=f"Scorecard {card.period} (vs {card.previous_period})",
                      header_style="bold")
    table.add_column("family")
    table.add_column("metric")
    for dim in card.by:
        table.add_column(dim)
    table.add_column(card.period, justify="right")
    table.add_column(card.previous_period, justify="right")
    table.add_column("change", justify="right")
    table.add_column("trend")
    if with_targets:
        table.add_column("target", justify="right")
        table.add_column("status")
        table.add_column(f"met (last {card.consistency_periods})", justify="right")
    last_family = last_metric = None
    for row in card.rows:
        family = row.family if row.family != last_family else ""
        title = row.title if row.metric != last_metric else ""
        last_family, last_metric = row.family, row.metric
        cells = [family, title, *(format_value(row.dimensions.get(d)) for d in card.by),
                 format_value(row.value, row.unit), format_value(row.previous, row.unit),
                 format_change(row.change, row.unit, row.improved), sparkline(row.trend)]
        if with_targets:
            met = ("" if row.periods_met is None else
                   f"{row.periods_met}/{row.periods_considered}"
                   + (" ✓" if row.consistent else ""))
            cells += [format_value(row.target, row.unit) if row.target is not None else "",
                      _STATUS_STYLE.get(row.status or "", ""), met]
        table.add_row(*cells)
    return table


def render_achieving(card: Scorecard) -> RichTable:
    table = RichTable(title=f"Achieving results: targets met in {card.consistency_required} "
                      f"of the last {card.consistency_periods} months", header_style="bold")
    for column in ("family", "with target", "consistently met", "share"):
        table.add_column(column, justify="left" if column == "family" else "right")
    for row in card.achieving:
        table.add_row(row.family, str(row.with_target), str(row.consistent),
                      format_value(row.share, "ratio"))
    return table


def print_scorecard(card: Scorecard) -> None:
    console.print(render_scorecard(card))
    if card.achieving:
        console.print(render_achieving(card))
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
    """The standard metrics of each family for a month beside the previous month, with
    target, status and consistency for metrics that have targets (cxpm targets)."""
    from cxpm.scorecard import build_scorecard, metrics_with_targets
    from cxpm.targets.store import list_targets

    ws = workspace_from(workspace)
    catalog = ws.metric_catalog()
    targets = list_targets(ws)
    metrics = metrics_with_targets(targets, catalog)
    card = build_scorecard(ws.warehouse.tables(), period=period, by=by,
                           params=ws.metric_params(param), catalog=catalog,
                           metrics=metrics, targets=targets)
    ws.close()
    if format is SummaryFormat.json:
        print_json(card.model_dump())
        return
    print_scorecard(card)


def register(app: typer.Typer) -> None:
    app.command()(scorecard)
