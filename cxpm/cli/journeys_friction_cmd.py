"""`cxpm journeys friction | flows | map | export-eventlog`: added to the journeys group by
`register(journeys_app)`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    print_json,
    render_rows,
    workspace_from,
)
from cxpm.errors import CxpmError

PeriodOption = Annotated[str | None, typer.Option(
    "--period", help="Only journeys that started in this local month (YYYY-MM).")]
# Table headings and the record fields they show (JSON has every field).
_FRICTION_COLUMNS = {"#": "rank", "kind": "kind", "location": "location",
                     "customers": "customers", "journeys": "journeys",
                     "extra contacts": "extra_contacts", "extra handle h": "extra_handle_h",
                     "cost": "cost", "CSAT diff": "csat_difference"}
_LEADING = 3  # the split columns (--by) come after rank, kind and location


class EventLogFormatChoice(StrEnum):
    csv = "csv"
    xes = "xes"


def _check_period(period: str | None) -> None:
    from cxpm.journeys.selection import parse_period

    if period is not None:
        parse_period(period)


def friction(
    period: PeriodOption = None,
    by: Annotated[list[str], typer.Option(
        "--by", help="Split by a dimension of the step where the friction happens "
        "(repeatable): program, site, vendor, channel, queue, handled_by, agent_id, reason.")]
    = [],  # noqa: B006 - Typer reads the default, it is never mutated
    top: Annotated[int, typer.Option("--top", min=1, help="Show the N highest ranked.")] = 20,
    param: Annotated[list[str], typer.Option(
        "--param", help="Override a parameter K=V, e.g. friction.min_surveys=10.")]
    = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Rank friction points (escalations, transfers, abandon then retry, channel switches,
    repeats after a resolved disposition) by customers affected and extra contacts."""
    from cxpm.journeys.friction import friction_points
    from cxpm.journeys.selection import journey_tables

    _check_period(period)
    ws = workspace_from(workspace)
    try:
        params = _params(ws, param)
        points = friction_points(journey_tables(ws.warehouse), period=period, by=by,
                                 params=params)[:top]
    finally:
        ws.close()
    records = [p.model_dump() for p in points]
    if format is SummaryFormat.json:
        print_json(records)
        return
    if not records:
        console.print("no friction points in these journeys", highlight=False)
        return
    for record in records:
        record["extra_handle_h"] = record["extra_handle_s"] / 3600
    rows = [{**{head: r[field] for head, field in _FRICTION_COLUMNS.items()}, **r["by"]}
            for r in records]
    heads = list(_FRICTION_COLUMNS)
    columns = [*heads[:_LEADING], *dict.fromkeys(by), *heads[_LEADING:]]
    console.print(render_rows(rows, columns, title="friction points",
                              units={"CSAT diff": "ratio"}))


def _params(ws: Any, overrides: list[str]) -> dict[str, Any]:
    """Workspace metric parameters, plus friction.* overrides the metric catalog does not
    know."""
    from cxpm.cli.common import parse_assignments
    from cxpm.journeys.friction import MIN_SURVEYS_PARAM

    own = {k: v for k, v in parse_assignments(overrides, "--param").items()
           if k == MIN_SURVEYS_PARAM}
    params = ws.metric_params([o for o in overrides if not o.startswith(MIN_SURVEYS_PARAM)])
    for key, values in own.items():
        try:
            minimum = int(values[-1])
        except ValueError:
            raise CxpmError(f"{key} must be a whole number, got {values[-1]!r}") from None
        if minimum < 1:
            raise CxpmError(f"{key} must be at least 1, got {minimum}")
        params[key] = minimum
    return params


def flows(
    period: PeriodOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Journey flows between consecutive steps (Sankey data: source, target, count); a
    journey's last step flows to "end" or "abandoned"."""
    from cxpm.journeys.flows import journey_flows
    from cxpm.journeys.selection import journey_tables

    _check_period(period)
    ws = workspace_from(workspace)
    try:
        records = [f.model_dump() for f in journey_flows(journey_tables(ws.warehouse),
                                                          period)]
    finally:
        ws.close()
    if format is SummaryFormat.json:
        print_json(records)
    elif not records:
        console.print("no journeys", highlight=False)
    else:
        console.print(render_rows(records, ("source", "target", "count"),
                                  title="journey flows"))


def journey_map(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")],
    period: PeriodOption = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Draw the N largest flows.")] = 40,
    workspace: WorkspaceOption = None,
) -> None:
    """Write a self-contained HTML page: a Sankey diagram of the journeys and the top
    friction points."""
    from cxpm.files import check_writable
    from cxpm.journeys.sankey import write_journey_map
    from cxpm.journeys.selection import journey_tables

    check_writable(output)
    _check_period(period)
    ws = workspace_from(workspace)
    try:
        result = write_journey_map(journey_tables(ws.warehouse), output, period=period,
                                   top_flows=top, params=ws.metric_params())
    finally:
        ws.close()
    console.print(f"wrote {output}: {result['journeys']:,} journeys, {result['flows_shown']} "
                  f"of {result['flows']} flows, {result['friction_points']} friction points",
                  highlight=False, markup=False)


def export_eventlog(
    output: Annotated[Path, typer.Option("--output", "-o", help="Event log file to write.")],
    format: Annotated[EventLogFormatChoice | None, typer.Option(
        "--format", case_sensitive=False,
        help="csv or xes (default: from the file extension).")] = None,
    period: PeriodOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the journeys as a process-mining event log (one event per step; CSV with
    pm4py's column names, or IEEE XES)."""
    from cxpm.files import check_writable
    from cxpm.journeys.eventlog import eventlog_format
    from cxpm.journeys.eventlog import export_eventlog as export
    from cxpm.journeys.selection import journey_tables

    chosen = eventlog_format(output, format.value if format else None)
    check_writable(output)
    _check_period(period)
    ws = workspace_from(workspace)
    try:
        summary = export(journey_tables(ws.warehouse), output, period=period, fmt=chosen)
    finally:
        ws.close()
    console.print(f"wrote {output} ({summary.format}): {summary.events:,} events in "
                  f"{summary.cases:,} cases", highlight=False, markup=False)


def register(journeys_app: typer.Typer) -> None:
    """Add friction, flows, map and export-eventlog to the `cxpm journeys` group."""
    journeys_app.command("friction")(friction)
    journeys_app.command("flows")(flows)
    journeys_app.command("map")(journey_map)
    journeys_app.command("export-eventlog")(export_eventlog)
