"""`cxpm targets set | list | import | export | delete | suggest`."""

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
    format_value,
    print_json,
    render_rows,
    workspace_from,
)
from cxpm.cli.qa_cmd import ActorOption, ParamOption, actor_name
from cxpm.files import atomic_output

targets_app = typer.Typer(help="Targets per metric, scope and period, with benchmarks.",
                          no_args_is_help=True)


class FileFormat(StrEnum):
    csv = "csv"
    json = "json"


def _rows(targets) -> list[dict]:
    return [{"id": t.id, "metric": t.metric, "scope": ";".join(
        f"{k}={v}" for k, v in sorted(t.scope.items())) or "(all)",
        "from": t.valid_from, "to": t.valid_to, "target": t.value, "warning": t.warning,
        "direction": t.direction, "benchmark": " ".join(str(x) for x in (
            t.benchmark_source, t.benchmark_statistic, t.benchmark_value) if x is not None),
        "owner": t.owner} for t in targets]


@targets_app.command("set")
def set_cmd(
    metric: Annotated[str, typer.Option("--metric", help="Metric id.")],
    value: Annotated[float, typer.Option("--value", help="Target value, in the metric's unit "
                                         "(ratios as 0-1).")],
    scope: Annotated[list[str], typer.Option(
        "--scope", help="DIM=VALUE the target applies to (repeatable; none = everywhere).")]
    = [],  # noqa: B006
    valid_from: Annotated[str, typer.Option(
        "--from", help="First month (YYYY-MM) or day it applies (default: all history).")]
    = "1970-01",
    valid_to: Annotated[str | None, typer.Option(
        "--to", help="Last day (YYYY-MM-DD) it applies; open-ended by default.")] = None,
    warning: Annotated[float | None, typer.Option(
        "--warning", help="Warning threshold on the worse side of the target.")] = None,
    benchmark_source: Annotated[str | None, typer.Option("--benchmark-source")] = None,
    benchmark_date: Annotated[str | None, typer.Option("--benchmark-date")] = None,
    benchmark_statistic: Annotated[str | None, typer.Option(
        "--benchmark-statistic", help="e.g. top quartile, median.")] = None,
    benchmark_value: Annotated[float | None, typer.Option("--benchmark-value")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    rationale: Annotated[str | None, typer.Option("--rationale")] = None,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Set a target (same metric, scope and start: updated). Audited."""
    from cxpm.targets.model import TargetSpec, parse_month_or_date, parse_scope
    from cxpm.targets.store import set_target

    spec = TargetSpec(
        metric=metric, scope=parse_scope(";".join(scope)),
        valid_from=parse_month_or_date(valid_from, "--from"),
        valid_to=parse_month_or_date(valid_to, "--to") if valid_to else None,
        value=value, warning=warning, benchmark_source=benchmark_source,
        benchmark_date=parse_month_or_date(benchmark_date, "--benchmark-date")
        if benchmark_date else None, benchmark_statistic=benchmark_statistic,
        benchmark_value=benchmark_value, owner=owner, rationale=rationale)
    saved = set_target(workspace_from(workspace), spec, actor=actor_name(actor))
    if format is SummaryFormat.json:
        print_json(saved.model_dump())
        return
    scope_text = ";".join(f"{k}={v}" for k, v in sorted(saved.scope.items())) or "all"
    console.print(f"target {saved.id} saved: {saved.metric} ({scope_text}) "
                  f"{saved.value:g} from {saved.valid_from}"
                  + (f" to {saved.valid_to}" if saved.valid_to else "")
                  + (f", warning at {saved.warning:g}" if saved.warning is not None else ""))


@targets_app.command("list")
def list_cmd(
    metric: Annotated[str | None, typer.Option("--metric", help="Only this metric.")] = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """List targets."""
    from cxpm.targets.store import list_targets

    targets = list_targets(workspace_from(workspace), metric)
    if format is SummaryFormat.json:
        print_json([t.model_dump() for t in targets])
        return
    if not targets:
        console.print("no targets yet: cxpm targets set --metric ID --value V")
        return
    console.print(render_rows(_rows(targets)))


@targets_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="Targets file (.csv or .json), the format "
                                         "`cxpm targets export` writes.")],
    actor: ActorOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import targets; all are checked first, one bad target imports none."""
    from cxpm.targets.files import read_targets
    from cxpm.targets.store import set_targets

    ws = workspace_from(workspace)
    saved = set_targets(ws, read_targets(file, ws.metric_catalog()), actor=actor_name(actor))
    console.print(f"{len(saved)} targets imported")


@targets_app.command("export")
def export_cmd(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write (.csv or .json); stdout when omitted.")] = None,
    file_format: Annotated[FileFormat | None, typer.Option(
        "--file-format", help="csv or json (default: from the output's extension, else "
        "csv).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Export targets in the import format."""
    import sys

    from cxpm.targets.files import targets_text
    from cxpm.targets.store import list_targets

    fmt = (file_format.value if file_format else
           "json" if output is not None and output.suffix.lower() == ".json" else "csv")
    text = targets_text(list_targets(workspace_from(workspace)), fmt)
    if output is None:
        sys.stdout.write(text)
        return
    with atomic_output(output) as temporary:
        temporary.write_text(text, encoding="utf-8")
    console.print(f"targets written to {output}")


@targets_app.command("delete")
def delete_cmd(
    target_id: Annotated[int, typer.Argument(metavar="ID", help="Target id (see list).")],
    actor: ActorOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a target. Audited."""
    from cxpm.targets.store import delete_target

    delete_target(workspace_from(workspace), target_id, actor=actor_name(actor))
    console.print(f"target {target_id} deleted")


@targets_app.command("suggest")
def suggest_cmd(
    metric: Annotated[str, typer.Option("--metric", help="Metric id.")],
    by: Annotated[str, typer.Option("--by", help="Dimension whose groups form the "
                                    "distribution (program, site, agent_id...).")],
    months: Annotated[int, typer.Option("--months", help="Months of history.")] = 6,
    period: Annotated[str | None, typer.Option(
        "--period", help="Last month of the window (default: latest with contacts).")] = None,
    benchmark: Annotated[Path | None, typer.Option(
        "--benchmark", help="External benchmark CSV: metric, segment, p10…p90.")] = None,
    param: ParamOption = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Propose a target from the best quartile of the groups and from an external
    benchmark, with each group's gap to it."""
    from cxpm.targets.suggest import read_benchmarks, suggest_targets

    ws = workspace_from(workspace)
    result = suggest_targets(
        ws.warehouse.tables(), ws.metric_catalog(), metric=metric, by=by, months=months,
        end=period, params=ws.metric_params(param),
        benchmarks=read_benchmarks(benchmark) if benchmark else None)
    if format is SummaryFormat.json:
        print_json(result.model_dump())
        return
    unit = ws.metric_catalog().get(metric).unit
    console.print(f"{metric} ({result.direction} is better), {result.window_start} to "
                  f"{result.window_end}: internal suggestion "
                  f"{format_value(result.internal, unit)} = {result.statistic}"
                  + (f"; external: {result.benchmark_statistic}" if result.benchmark_statistic
                     else ""))
    console.print(render_rows([{
        by: r.group, "value": format_value(r.value, unit),
        "gap to internal": format_value(r.internal_gap, unit),
        "external": format_value(r.external, unit),
        "gap to external": format_value(r.external_gap, unit)} for r in result.rows]))


def register(app: typer.Typer) -> None:
    app.add_typer(targets_app, name="targets")
