"""`cxpm qa sample-size | sample | agreement | calibration`: the statistics of quality."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

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
from cxpm.cli.qa_cmd import ActorOption, ParamOption, actor_name, plain
from cxpm.files import atomic_output, check_writable

calibration_app = typer.Typer(help="Calibration sessions: evaluators scoring the same "
                              "contacts.", no_args_is_help=True)


class Method(StrEnum):
    normal = "normal"
    exact = "exact"


class Level(StrEnum):
    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


def sample_size_cmd(
    confidence: Annotated[float, typer.Option("--confidence", help="Confidence level, e.g. "
                                              "0.95.")],
    margin: Annotated[float, typer.Option("--margin", help="Margin of error, e.g. 0.05 for "
                                          "±5 points.")],
    population: Annotated[int | None, typer.Option(
        "--population", help="Population size N (finite-population correction).")] = None,
    expected_rate: Annotated[float, typer.Option(
        "--expected-rate", help="Expected proportion P (0.5 gives the largest sample).")]
    = 0.5,
    method: Annotated[Method, typer.Option(
        "--method", help="normal: normal approximation; exact: Clopper-Pearson binomial.")]
    = Method.normal,
    format: FormatOption = SummaryFormat.table,
) -> None:
    """Evaluations needed to estimate an accuracy within ±margin (rounded up)."""
    from cxpm.qa.stats import sample_size

    n = sample_size(confidence, margin, population=population, expected_rate=expected_rate,
                    method=method.value)
    if format is SummaryFormat.json:
        print_json({"n": n})
        return
    where = f" of {population:,}" if population else ""
    console.print(f"n = {n:,} evaluations{where} for ±{margin:g} at {confidence:g} confidence "
                  f"(expected rate {expected_rate:g}, {method.value} method)")


def sample_cmd(
    period: Annotated[str, typer.Option("--period", help="Month YYYY-MM to sample.")],
    per_agent: Annotated[int | None, typer.Option(
        "--per-agent", min=1, help="Contacts per agent or bot.")] = None,
    margin: Annotated[float | None, typer.Option(
        "--margin", help="Instead of --per-agent: the sample each agent or bot needs for "
        "this margin (qa.sample.confidence and qa.sample.expected_rate apply).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the "
                                      "same sample.")] = 0,
    evaluators: Annotated[str | None, typer.Option(
        "--evaluators", help="Comma-separated evaluator ids (default: those who evaluated "
        "in the last three months).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the assignment list to this CSV file.")] = None,
    param: ParamOption = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Draw a reproducible random sample of handled contacts not yet evaluated, stratified
    per agent or bot by channel and day part, balanced across evaluators."""
    from cxpm.qa.sample_plan import plan_sample

    if output is not None:
        check_writable(output)
    ws = workspace_from(workspace)
    params = ws.metric_params(param)
    names = [e.strip() for e in (evaluators or "").split(",") if e.strip()]
    plan = plan_sample(ws.warehouse.tables(), period=period, per_agent=per_agent,
                       margin=margin, confidence=params["qa.sample.confidence"],
                       expected_rate=params["qa.sample.expected_rate"], seed=seed,
                       evaluators=names)
    columns = ["contact_id", "subject_id", "handled_by", "channel", "day_part", "local_time",
               "evaluator_id"]
    assignments = plan.assignments.select(columns)
    if output is not None:
        with atomic_output(output) as temporary:
            assignments.write_csv(temporary)
    short = plan.summary.filter(plan.summary["shortfall"] > 0)
    if format is SummaryFormat.json:
        print_json({"period": plan.period, "evaluators": plan.evaluators,
                    "drawn": assignments.height,
                    "subjects": plan.summary.to_dicts(),
                    **({"output": str(output)} if output else
                       {"assignments": assignments.to_dicts()})})
        return
    load = assignments.group_by("evaluator_id").len().sort("evaluator_id")
    console.print(f"{assignments.height:,} contacts drawn for {plan.summary.height:,} agents "
                  f"and bots in {plan.period}, dealt to {len(plan.evaluators)} evaluators: "
                  + ", ".join(f"{plain(r['evaluator_id'])} {r['len']}"
                              for r in load.to_dicts()))
    if short.height:
        console.print(f"[yellow]{short.height} agents or bots have fewer contacts than "
                      f"required; all of theirs were drawn[/yellow]")
    if output is not None:
        console.print(f"assignment list written to {plain(str(output))}")
    else:
        console.print(render_rows(assignments.head(50).to_dicts(),
                                  columns,
                                  title="first 50 assignments (use --output for all)"))


def agreement_cmd(
    file: Annotated[Path, typer.Argument(help="CSV with columns unit,rater,value.")],
    level: Annotated[Level, typer.Option("--level", help="Level of measurement.")],
    format: FormatOption = SummaryFormat.table,
) -> None:
    """Krippendorff's alpha of any ratings file (missing ratings allowed)."""
    from cxpm.qa.agreement import krippendorff_alpha, read_ratings_csv

    result = krippendorff_alpha(read_ratings_csv(file), level.value)
    if format is SummaryFormat.json:
        print_json(result.model_dump())
        return
    alpha = "undefined" if result.alpha is None else f"{result.alpha:.3f}"
    console.print(f"Krippendorff's alpha ({level.value}) = {alpha}: {result.units} units, "
                  f"{result.raters} raters, {result.pairable_values} pairable values")


@calibration_app.command("new")
def new_session_cmd(
    session_id: Annotated[str, typer.Argument(metavar="SESSION", help="Session id.")],
    expert: Annotated[str | None, typer.Option(
        "--expert", help="Evaluator whose scores are the reference.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title.")] = None,
    actor: ActorOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a calibration session, or set its expert or title. Evaluations join it with
    their calibration_session_id."""
    from cxpm.qa.calibration import save_session

    info = save_session(workspace_from(workspace), session_id, actor=actor_name(actor),
                        title=title, expert_id=expert)
    console.print(f"calibration session {plain(info.session_id)}: expert "
                  f"{plain(info.expert_id or 'none (consensus)')}, {info.evaluations} "
                  f"evaluations")


@calibration_app.command("list")
def list_sessions_cmd(format: FormatOption = SummaryFormat.table,
                      workspace: WorkspaceOption = None) -> None:
    """List calibration sessions."""
    from cxpm.qa.calibration import list_sessions

    show_records([s.model_dump() for s in list_sessions(workspace_from(workspace))], format,
                 columns=["session_id", "title", "expert_id", "evaluations", "contacts",
                          "evaluators", "created_at"], empty="no calibration sessions yet")


@calibration_app.command("report")
def calibration_report_cmd(
    session_id: Annotated[str, typer.Argument(metavar="SESSION", help="Session id.")],
    param: ParamOption = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Agreement (Krippendorff's alpha, percent agreement, Fleiss' kappa), each evaluator's
    bias against the expert or consensus, and the least agreed items."""
    from cxpm.qa.calibration import calibration_report

    ws = workspace_from(workspace)
    report = calibration_report(ws, session_id, ws.metric_params(param))
    if format is SummaryFormat.json:
        print_json(report.model_dump())
        return
    s = report.session
    console.print(f"[bold]Calibration {plain(s.session_id)}[/bold]: {s.contacts} contacts, "
                  f"{s.evaluators} evaluators; reference: {plain(report.reference)}")
    console.print(render_rows([{
        "judgement": a.what, "level": a.level, "alpha": a.alpha,
        "agreement": format_value(a.percent_agreement, "ratio"),
        "Fleiss kappa": a.fleiss_kappa if a.fleiss_kappa is not None else "—",
        "units": a.units, "pairable values": a.pairable_values} for a in report.agreement],
        title="Agreement"))
    console.print(render_rows([{
        "evaluator": e.evaluator_id, "contacts": e.contacts,
        "score difference": e.mean_score_difference,
        "flag agreement": format_value(e.flag_agreement, "ratio"),
        "flag": Text("OUT OF TOLERANCE: " + "; ".join(e.reasons), style="red")
        if e.outside_tolerance else "ok"} for e in report.evaluators],
        title=f"Evaluators (tolerance ±{report.score_tolerance:g} points, flags "
              f">= {report.flag_agreement_min:.0%})"))
    console.print(render_rows([{
        "item": i.item_id, "alpha": i.alpha,
        "agreement": format_value(i.percent_agreement, "ratio"),
        "low": Text("low", style="red") if i.low else ""} for i in report.items[:10]],
        title=f"Least agreed items (alpha below {report.alpha_min:g} is low)"))
    for note in report.notes:
        console.print(f"note: {plain(note)}")


def register(qa_app: typer.Typer) -> None:
    qa_app.command("sample-size")(sample_size_cmd)
    qa_app.command("sample")(sample_cmd)
    qa_app.command("agreement")(agreement_cmd)
    qa_app.add_typer(calibration_app, name="calibration")

