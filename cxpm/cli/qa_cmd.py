"""`cxpm qa`: evaluation forms, evaluations, the quality report."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    format_value,
    print_json,
    render_rows,
    show_records,
    workspace_from,
)

qa_app = typer.Typer(help="Quality: forms, evaluations, report, sampling, calibration.",
                     no_args_is_help=True)
forms_app = typer.Typer(help="Evaluation forms (versioned).", no_args_is_help=True)
evaluations_app = typer.Typer(help="Scored evaluations of agents and bots.",
                              no_args_is_help=True)
qa_app.add_typer(forms_app, name="forms")
qa_app.add_typer(evaluations_app, name="evaluations")

ActorOption = Annotated[str | None, typer.Option(
    "--actor", help="Who makes the change, for the audit log (default: your login name).",
    show_default=False)]
ParamOption = Annotated[list[str], typer.Option("--param", help="Override a parameter: K=V.")]


def plain(value: Any) -> Any:
    """User text (titles, ids, paths) shown as written: Rich would read "[b]" as markup."""
    return escape(value) if isinstance(value, str) else value


def actor_name(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@forms_app.command("import")
def import_form_cmd(
    file: Annotated[Path, typer.Argument(help="Form file (TOML), see docs/qa-forms.md.")],
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a form version. Re-importing the same version with the same content is a
    no-op; changed content needs a new version number."""
    from cxpm.qa.form_store import import_form

    result = import_form(workspace_from(workspace), file, actor=actor_name(actor))
    if format is SummaryFormat.json:
        print_json(result.model_dump())
        return
    form = result.form
    console.print(f"form {form.form_id} version {form.version} ({plain(form.title)}): "
                  f"{result.status}; {form.sections} sections, {form.items} items")


@forms_app.command("list")
def list_forms_cmd(format: FormatOption = SummaryFormat.table,
                   workspace: WorkspaceOption = None) -> None:
    """List every imported form version."""
    from cxpm.qa.form_store import list_forms

    show_records([f.model_dump() for f in list_forms(workspace_from(workspace))], format,
                 columns=["form_id", "version", "title", "sections", "items", "imported_at",
                          "imported_by"], empty="no forms yet: cxpm qa forms import FILE")


@forms_app.command("show")
def show_form_cmd(
    form: Annotated[str, typer.Argument(metavar="ID", help="Form id (latest version) or "
                                        "id@version.")],
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a form version: sections, items, categories, weights."""
    from cxpm.qa.form_store import get_form

    definition, info = get_form(workspace_from(workspace), form)
    if format is SummaryFormat.json:
        print_json({**info.model_dump(), "definition": definition.definition()})
        return
    console.print(f"[bold]{info.form_id} version {info.version}[/bold] — {plain(info.title)}; "
                  f"critical failure: {definition.critical_failure}; applies to "
                  f"{', '.join(definition.applies_to)}")
    # Item texts are long: --format json has them; the table keeps what scoring uses.
    rows = [{"section (weight)": f"{section.id} ({section.weight:g})", "item": item.id,
             "type": item.type, "category": item.category, "weight": item.weight}
            for section, item in definition.iter_items()]
    console.print(render_rows(rows))


@evaluations_app.command("import")
def import_evaluations_cmd(
    file: Annotated[Path, typer.Argument(help="Evaluations: CSV (one row per answer) or "
                                         "JSON, see docs/qa.md.")],
    replace: Annotated[bool, typer.Option(
        "--replace", help="Revise evaluations already saved with other answers.")] = False,
    actor: ActorOption = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Validate, score and save evaluations; all of them or none."""
    from cxpm.qa.evaluation_io import read_evaluations
    from cxpm.qa.evaluations import save_evaluations

    ws = workspace_from(workspace)
    summary = save_evaluations(ws, read_evaluations(file, ws.timezone),
                               actor=actor_name(actor), replace=replace)
    if format is SummaryFormat.json:
        print_json(summary.model_dump(exclude={"evaluation_ids"}))
        return
    console.print(f"{summary.read} evaluations read: {summary.saved} saved, "
                  f"{summary.updated} updated, {summary.unchanged} unchanged")


@evaluations_app.command("sync")
def sync_evaluations_cmd(workspace: WorkspaceOption = None) -> None:
    """Rewrite the warehouse copies (evaluations, evaluation_items) of every saved
    evaluation from the app database."""
    from cxpm.qa.sync import sync_evaluations

    count = sync_evaluations(workspace_from(workspace))
    console.print(f"{count} evaluations copied to the warehouse")


_ACCURACY_COLUMNS = {"customer_critical_accuracy": "customer-critical",
                     "business_critical_accuracy": "business-critical",
                     "compliance_critical_accuracy": "compliance-critical",
                     "noncritical_accuracy": "non-critical"}


def _interval_text(cell) -> str:
    if cell.value is None:
        return "—"
    return (f"{cell.value * 100:.1f}% ({cell.low * 100:.1f}–{cell.high * 100:.1f})"
            if cell.low is not None else f"{cell.value * 100:.1f}%")


@qa_app.command("report")
def report_cmd(
    period: Annotated[str | None, typer.Option(
        "--period", help="Month YYYY-MM (default: the latest with evaluations).")] = None,
    by: Annotated[list[str], typer.Option(
        "--by", help="Split by a dimension: agent (agent_id), team, program, site, vendor, "
        "channel, handled_by, evaluator, form, queue, reason. Repeatable.")] = [],  # noqa: B006
    top: Annotated[int, typer.Option("--top", min=1, help="Items per group in the "
                                     "critical-error Pareto.")] = 10,
    param: ParamOption = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Critical-error accuracies with 95% Wilson intervals, evaluations done vs required,
    and the items causing the most critical errors."""
    from cxpm.qa.report import build_qa_report

    ws = workspace_from(workspace)
    report = build_qa_report(ws.warehouse.tables(), period=period, by=by,
                             params=ws.metric_params(param), top=top)
    if format is SummaryFormat.json:
        print_json(report.model_dump())
        return
    rows = []
    for row in report.rows:
        cells = {**{d: row.dimensions[d] for d in report.by},
                 "evaluations": row.evaluations}
        cells.update({label: _interval_text(getattr(row, metric))
                      for metric, label in _ACCURACY_COLUMNS.items()})
        cells["score"] = row.qa_score
        cells["required"] = row.required
        cells["adequate"] = row.adequate
        rows.append(cells)
    confidence = f"{report.confidence:.0%}"
    console.print(render_rows(rows, title=f"Quality {report.period} — accuracy "
                              f"({confidence} Wilson interval); required = sample for "
                              f"±{report.margin:.0%} at {confidence}"))
    if report.pareto:
        pareto = [{**{d: p.dimensions[d] for d in report.by}, "item": p.item_id,
                   "category": p.category, "critical errors": p.errors,
                   "share": format_value(p.share, "ratio"),
                   "cumulative": format_value(p.cumulative_share, "ratio")}
                  for p in report.pareto]
        console.print(render_rows(pareto, title="Items causing critical errors (Pareto)"))
    else:
        console.print("no critical errors found in item-level evaluations this period")


def register(app: typer.Typer) -> None:
    from cxpm.cli import qa_stats_cmd

    qa_stats_cmd.register(qa_app)
    app.add_typer(qa_app, name="qa")
