"""`cxpm report monthly`: the monthly performance report as one self-contained HTML page
(and PDF with --pdf)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxpm.cli.common import WorkspaceOption, console, workspace_from
from cxpm.cli.qa_cmd import ParamOption
from cxpm.cli.review_cmd import ReviewGrain

report_app = typer.Typer(help="Reports to share: the monthly performance report.",
                         no_args_is_help=True)


@report_app.command("monthly")
def monthly(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="HTML file to write (a self-contained page).")],
    period: Annotated[str | None, typer.Option(
        "--period", help="Month YYYY-MM (default: the latest with contacts).")] = None,
    by: Annotated[list[str], typer.Option("--by", help="Dimension to split by "
                                          "(repeatable).")] = [],  # noqa: B006
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="Also write the report as PDF beside the HTML file (needs WeasyPrint: "
        "pip install 'cxpm[pdf]').")] = False,
    grain: Annotated[ReviewGrain, typer.Option(
        "--grain", help="Grain of the control charts.")] = ReviewGrain.week,
    history: Annotated[int, typer.Option(
        "--history", help="Periods of history in the control charts.")] = 26,
    top_signals: Annotated[int, typer.Option(
        "--top-signals", min=0, help="Special causes charted besides the missed "
        "targets.")] = 3,
    param: ParamOption = [],  # noqa: B006
    workspace: WorkspaceOption = None,
) -> None:
    """Scorecard with targets, achieving results, control charts of the missed metrics,
    review findings by impact, and open and overdue corrective actions, for one month."""
    from cxpm.files import atomic_output, check_writable
    from cxpm.reports.monthly import monthly_report
    from cxpm.reports.render import pdf_engine, render_html, write_pdf

    pdf_path = output.with_suffix(".pdf")
    check_writable(output)
    if pdf:
        check_writable(pdf_path)
        # Fail before the work, not after it, when PDF output cannot be made.
        pdf_engine()
    ws = workspace_from(workspace)
    try:
        report = monthly_report(ws, period=period, by=by, param_overrides=param,
                                grain=grain.value, history=history, top_signals=top_signals)
    finally:
        ws.close()
    with atomic_output(output) as temporary:
        temporary.write_text(render_html(report), encoding="utf-8")
    console.print(f"wrote {output} ({report.period}: {len(report.scorecard.rows)} scorecard "
                  f"rows, {len(report.charts)} control charts, {len(report.actions)} open "
                  f"actions)", highlight=False)
    if pdf:
        with atomic_output(pdf_path) as temporary:
            write_pdf(report, temporary)
        console.print(f"wrote {pdf_path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
