"""`cxpm awards`."""

from __future__ import annotations

from enum import StrEnum
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
    from cxpm.assess.awards import Awards


class Grouping(StrEnum):
    program = "program"
    site = "site"
    vendor = "vendor"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _change(value: float | None) -> str:
    if value is None:
        return "—"
    style = "green" if value > 0 else "red" if value < 0 else "default"
    return f"[{style}]{value:+.3f}[/{style}]"


def _weights(awards: Awards) -> str:
    return ", ".join(f"{name} {weight:g}" for name, weight in awards.weights.items())


def render_superior(awards: Awards) -> RichTable:
    table = RichTable(title=f"Superior performance {awards.year} by {awards.by}",
                      caption=f"weights: {_weights(awards)}", header_style="bold")
    table.add_column("rank", justify="right")
    table.add_column(awards.by)
    table.add_column("index", justify="right")
    for name in awards.components:
        table.add_column(name, justify="right")
    for entry in awards.superior:
        table.add_row("" if entry.rank is None else str(entry.rank), entry.group,
                      _score(entry.index) if entry.rank is not None else "insufficient",
                      *(_score(c.score) for c in entry.components))
    return table


def render_transformation(awards: Awards) -> RichTable:
    table = RichTable(title=f"Transformation {awards.previous_year} → {awards.year} by "
                      f"{awards.by}", header_style="bold")
    table.add_column("rank", justify="right")
    table.add_column(awards.by)
    table.add_column(str(awards.previous_year), justify="right")
    table.add_column(str(awards.year), justify="right")
    table.add_column("change", justify="right")
    for entry in awards.transformation:
        table.add_row("" if entry.rank is None else str(entry.rank), entry.group,
                      _score(entry.previous_index), _score(entry.index),
                      _change(entry.change) if entry.rank is not None else "insufficient")
    return table


def _insufficient_lines(awards: Awards) -> list[str]:
    lines = [f"{entry.group}: insufficient data for {awards.year} — no score for "
             f"{', '.join(entry.missing)}" for entry in awards.superior if entry.rank is None]
    lines += [f"{entry.group}: no transformation rank — insufficient data "
              f"({'; '.join(entry.missing)})"
              for entry in awards.transformation if entry.rank is None]
    return lines


def _judged(value: float | None, target: float | None, attained: float | None,
            note: str | None, unit: str) -> str:
    if attained is None:
        if value is None:
            return note or "no value"
        return f"{format_value(value, unit)} — {note}" if note else format_value(value, unit)
    return (f"{format_value(value, unit)} vs target {format_value(target, unit)} → "
            f"{attained:.3f}")


def breakdown_lines(awards: Awards) -> list[str]:
    """Each group's index, its components and the metrics under them, this year then the
    year before."""
    units = {m.metric: m.unit for e in awards.superior for c in e.components
             for m in c.metrics}
    order = {e.group: i for i, e in enumerate(awards.superior)}
    lines = []
    for entry in sorted(awards.transformation, key=lambda e: (order.get(e.group, len(order)),
                                                                e.group)):
        lines.append(f"[bold]{entry.group}[/bold]  index {awards.year}: "
                     f"{_score(entry.index)}   {awards.previous_year}: "
                     f"{_score(entry.previous_index)}   change {_change(entry.change)}")
        # A year without any data for the group says so once, not metric by metric.
        has_now = f"{awards.year}: no data" not in entry.missing
        has_before = f"{awards.previous_year}: no data" not in entry.missing
        for component in entry.components:
            lines.append(f"  {component.component} (weight {component.weight:g}): "
                         f"{_score(component.score)}   {awards.previous_year}: "
                         f"{_score(component.previous_score)}")
            for m in component.metrics:
                unit = units.get(m.metric, "")
                if has_now:
                    now = _judged(m.value, m.target, m.attainment, m.note, unit)
                    lines.append(f"    {m.metric}: {now}")
                if has_before:
                    before = _judged(m.previous_value, m.previous_target,
                                     m.previous_attainment, m.previous_note, unit)
                    prefix = f"      {awards.previous_year}" if has_now else (
                        f"    {m.metric} ({awards.previous_year})")
                    lines.append(f"{prefix}: {before}")
    return lines


def print_awards(awards: Awards) -> None:
    console.print(render_superior(awards))
    console.print(render_transformation(awards))
    for line in _insufficient_lines(awards):
        console.print(line, highlight=False)
    console.print(f"\n[bold]Components[/bold]: attainment = value / target (target / value "
                  f"when lower is better), between 0 and {awards.attainment_cap:g}; a "
                  "component is the mean attainment of its metrics with a value and a target; "
                  "the index is the weighted mean of the components", highlight=False)
    for line in breakdown_lines(awards):
        console.print(line, highlight=False, soft_wrap=True)
    for item in awards.unavailable:
        console.print(f"[dim]{item.metric}: not counted — {item.reason}[/dim]",
                      highlight=False)


def awards(
    year: Annotated[int, typer.Option("--year", help="Calendar year to judge (YYYY).")],
    by: Annotated[Grouping, typer.Option("--by", help="Groups to rank.",
                                         case_sensitive=False)] = Grouping.program,
    param: Annotated[list[str], typer.Option(
        "--param", help="Override a parameter K=V, e.g. awards.weight.cost=2 "
        "(see docs/awards.md).")] = [],  # noqa: B006 - Typer reads the default
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Recognition: rank programs, sites or vendors by a composite index of experience,
    quality, cost and revenue against targets ("superior performance"), and by its change
    from the year before ("transformation"). Groups without enough data are listed as such."""
    from cxpm.assess.awards import build_awards
    from cxpm.targets.store import list_targets

    ws = workspace_from(workspace)
    try:
        result = build_awards(ws.warehouse.tables(), ws.metric_catalog(), list_targets(ws),
                              year=year, by=by.value, params=ws.metric_params(param))
    finally:
        ws.close()
    if format is SummaryFormat.json:
        print_json(result.model_dump())
        return
    print_awards(result)


def register(app: typer.Typer) -> None:
    app.command()(awards)
