"""`cxpm review` (missed targets and special causes by impact) and `cxpm review drill`."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    format_value,
    parse_assignments,
    print_json,
    render_rows,
    workspace_from,
)
from cxpm.cli.qa_cmd import ParamOption

if TYPE_CHECKING:
    from cxpm.review.findings import Review

review_app = typer.Typer(help="Monthly performance review: missed targets, special causes, "
                         "drill-down.", invoke_without_command=True)


FINDING_LABELS = {"missed_target": "missed", "warning": "warning", "signal": "signal",
                  "technology": "technology"}


class ReviewGrain(StrEnum):
    day = "day"
    week = "week"
    month = "month"


@review_app.callback()
def review(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option(
        "--period", help="Month YYYY-MM (default: the latest with contacts).")] = None,
    by: Annotated[list[str], typer.Option("--by", help="Dimension to split by "
                                          "(repeatable).")] = [],  # noqa: B006
    grain: Annotated[ReviewGrain, typer.Option(
        "--grain", help="Grain of the control charts that find special causes.")]
    = ReviewGrain.week,
    history: Annotated[int, typer.Option(
        "--history", help="Periods of history in the control charts.")] = 26,
    top: Annotated[int, typer.Option("--top", min=1, help="Findings shown (table).")] = 25,
    param: ParamOption = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Missed targets and special-cause signals of a month, ranked by impact
    (volume × gap). `cxpm review drill` explains one gap by its child groups."""
    if ctx.invoked_subcommand is not None:
        return
    from cxpm.review.findings import build_review
    from cxpm.targets.store import list_targets
    from cxpm.technology.store import list_technologies

    ws = workspace_from(workspace)
    result = build_review(ws.warehouse.tables(), ws.metric_catalog(), period=period, by=by,
                          params=ws.metric_params(param), targets=list_targets(ws),
                          grain=grain.value, history=history,
                          technologies=list_technologies(ws), today=ws.today())
    if format is SummaryFormat.json:
        print_json(result.model_dump())
        return
    flagged = [f for f in result.findings if f.kind == "technology"]
    result.findings = [f for f in result.findings if f.kind != "technology"]
    _print_ranked(result, top)
    if flagged:
        console.print(render_rows(
            [{"technology": f.dimensions["technology"], "name": f.title,
              "kind": f.dimensions["kind"], "needs": "; ".join(f.signals)} for f in flagged],
            title="Live technologies that need attention (cxpm tech show ID)"))


def _print_ranked(result: Review, top: int) -> None:
    if not result.findings:
        console.print(f"{result.period}: every target met and no special cause found")
        return
    # The rule ids go with the kind so that the metric column keeps its width on a narrow
    # terminal.
    rows = [{"finding": FINDING_LABELS[f.kind] + (" " + ",".join(f.signals) if f.signals
                                                   else ""),
             "metric": f.metric, **{d: f.dimensions.get(d) for d in result.by},
             "period": f.period[:10], "value": format_value(f.value, f.unit),
             "against": format_value(f.target, f.unit), "impact": f.impact}
            for f in result.findings[:top]]
    count = len(result.findings)
    shown = f"top {top} of " if count > top else ""
    console.print(render_rows(rows, title=f"Review {result.period}: {shown}{count} "
                              f"finding{'s' if count != 1 else ''} by impact in contacts; "
                              f"value against target, or against the centre line of the "
                              f"control chart by {result.grain}"))
    if result.unavailable:
        console.print(f"Not reviewed (cannot be computed this way): "
                      f"{', '.join(result.unavailable)}")


@review_app.command("drill")
def drill_cmd(
    metric: Annotated[str, typer.Option("--metric", help="Metric id (a ratio metric).")],
    period: Annotated[str, typer.Option("--period", help="Month YYYY-MM.")],
    child: Annotated[str, typer.Option("--by", help="Child dimension (queue, agent_id, "
                                       "reason, channel…).")] = "queue",
    where: Annotated[list[str], typer.Option(
        "--where", help="DIM=VALUE filter (repeatable), e.g. program=telecom.")]
    = [],  # noqa: B006
    param: ParamOption = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """How much each child group contributes to the gap to target, and its change since
    the previous month split into mix and rate effects."""
    from cxpm.review.drill import drill
    from cxpm.targets.store import list_targets

    ws = workspace_from(workspace)
    result = drill(ws.warehouse.tables(), ws.metric_catalog(), metric=metric, child=child,
                   period=period, where=parse_assignments(where, "--where"),
                   params=ws.metric_params(param), targets=list_targets(ws))
    if format is SummaryFormat.json:
        print_json(result.model_dump())
        return
    unit = result.unit
    filters = "; ".join(f"{k}={','.join(v)}" for k, v in result.where.items())
    console.print(f"{metric}{f' ({filters})' if filters else ''} by {result.child}, "
                  f"{result.period}: {format_value(result.value, unit)} "
                  f"(target {format_value(result.target, unit)}, gap "
                  f"{format_value(result.gap, unit)}); {result.previous_period}: "
                  f"{format_value(result.previous_value, unit)}")
    console.print(render_rows([{
        child: c.child, "volume": c.volume, "share": format_value(c.share, "ratio"),
        "value": format_value(c.value, unit),
        "gap contribution": format_value(c.gap_contribution, unit),
        "mix effect": format_value(c.mix_effect, unit),
        "rate effect": format_value(c.rate_effect, unit)} for c in result.children],
        units={"volume": "count"}))


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
