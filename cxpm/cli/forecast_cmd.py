"""`cxpm forecast` (workspace queues), `cxpm forecast series` and `cxpm forecast backtest`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

forecast_app = typer.Typer(
    help="Forecast contact volume and handle time per queue and interval.",
    invoke_without_command=True,
)

ModelsOption = Annotated[str | None, typer.Option(
    "--models", help="Comma-separated candidate models (default: seasonal_naive, "
    "weekly_profile, daily_ets_profile, ensemble; mstl is opt-in).")]

SpecialDaysOption = Annotated[str | None, typer.Option(
    "--special-days", help="Comma-separated YYYY-MM-DD special days (holidays): left out of "
    "training and forecast as closed.")]


@forecast_app.callback()
def forecast_workspace(
    ctx: typer.Context,
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue.")] = None,
    interval_minutes: Annotated[int, typer.Option(
        "--interval-minutes", help="Interval length: 15, 30 or 60.")] = 30,
    horizon_days: Annotated[int, typer.Option("--horizon-days", help="Days ahead.")] = 14,
    special_days: SpecialDaysOption = None,
    models: ModelsOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Forecast and report, but store nothing.")] = False,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Forecast every queue of `contacts` (model chosen per queue by backtest) and store the
    run as a snapshot in `forecasts`. Special days also come from cxpm.toml
    [params] forecast.special_days."""
    if ctx.invoked_subcommand is not None:
        return
    from cxpm.wfm.forecast import parse_models
    from cxpm.wfm.forecast_io import parse_special_days
    from cxpm.wfm.forecast_workspace import run_forecast

    ws = workspace_from(workspace)
    try:
        run = run_forecast(ws, queue=queue, interval_minutes=interval_minutes,
                           horizon_days=horizon_days,
                           special_days=parse_special_days(special_days) if special_days
                           else None, models=parse_models(models), write=not dry_run)
    finally:
        ws.close()
    if format is SummaryFormat.json:
        print_json(run.model_dump())
        return
    console.print(render_rows([q.model_dump() for q in run.queues],
                              title=f"{run.horizon} forecast made {run.created_at:%Y-%m-%d %H:%M}"
                              f" UTC from data up to {run.train_end:%Y-%m-%d %H:%M} local; "
                              f"{run.rows_written} rows stored"))
    console.print(f"train end {run.train_end:%Y-%m-%d %H:%M} local: {run.train_end_rule}",
                  highlight=False)
    for item in run.skipped:
        console.print(f"skipped queue {item.queue!r}: {item.reason}", highlight=False)


@forecast_app.command("series")
def forecast_series_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv",
                                         help="History: interval_start,calls (local times).")],
    train_end: Annotated[str, typer.Option(
        "--train-end", help="Last history interval used, 'YYYY-MM-DD HH:MM:SS'.")],
    horizon_days: Annotated[float, typer.Option("--horizon-days", help="Days ahead.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Forecast CSV to write.")],
    model: Annotated[str, typer.Option(
        "--model", help="Model, or 'auto' to choose by backtest.")] = "auto",
    models: ModelsOption = None,
    special_days: SpecialDaysOption = None,
) -> None:
    """Forecast a plain series: one row per interval in (train-end, train-end + D days] at which
    the calendar inferred from the history expects activity."""
    from cxpm.wfm.forecast import forecast_series, parse_models
    from cxpm.wfm.forecast_backtest import backtest
    from cxpm.wfm.forecast_io import (
        parse_local_time,
        parse_special_days,
        read_series_csv,
        write_forecast_csv,
    )

    series = read_series_csv(file)
    end = parse_local_time(train_end, "--train-end")
    days = parse_special_days(special_days)
    if model == "auto":
        history = series.head(end) if end >= series.start else series
        try:
            model = backtest(history, min(horizon_days, 7), 3, parse_models(models),
                             special_days=days).winner
        except CxpmError:
            model = "weekly_profile"  # too short to backtest; forecast_series says if unusable
    result = forecast_series(series, end, horizon_days, model=model, special_days=days)
    write_forecast_csv(result, output)
    console.print(f"{len(result.starts)} forecast rows ({result.model}) written to {output}",
                  highlight=False)


@forecast_app.command("backtest")
def backtest_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv",
                                         help="History: interval_start,calls (local times).")],
    horizon_days: Annotated[float, typer.Option("--horizon-days", help="Days per fold.")] = 7,
    folds: Annotated[int, typer.Option("--folds", help="Rolling origins.")] = 4,
    models: ModelsOption = None,
    special_days: SpecialDaysOption = None,
    format: FormatOption = SummaryFormat.table,
) -> None:
    """Rolling-origin backtest: WAPE per model (interval and day level) and the winner against
    the seasonal-naive baseline (same interval one week earlier)."""
    from cxpm.wfm.forecast import parse_models
    from cxpm.wfm.forecast_backtest import backtest
    from cxpm.wfm.forecast_io import parse_special_days, read_series_csv

    result = backtest(read_series_csv(file), horizon_days, folds, parse_models(models),
                      special_days=parse_special_days(special_days))
    if format is SummaryFormat.json:
        print_json(result.model_dump())
        return
    console.print(render_rows([s.model_dump() for s in result.scores],
                              title=f"{result.folds} folds × {result.horizon_days:g} days",
                              units={"interval_wape": "ratio", "day_wape": "ratio"}))
    gain = result.improvement_vs_baseline
    console.print(f"winner: {result.winner}" + (
        f" ({gain * 100:.1f}% lower interval WAPE than {result.baseline})" if gain is not None
        else ""), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")
