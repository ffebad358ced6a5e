"""`cxpm staff`: agents needed for one interval, a CSV of intervals, or the stored forecasts."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import typer

from cxpm.cli.common import (
    SummaryFormat,
    WorkspaceOption,
    console,
    print_json,
    render_rows,
    workspace_from,
)
from cxpm.cli.metrics_cmd import parse_when
from cxpm.errors import CxpmError
from cxpm.files import atomic_output, check_writable
from cxpm.wfm.staffing import Model, Targets, staff
from cxpm.wfm.staffing_data import (
    StaffingOptions,
    estimate_patience,
    latest_snapshots,
    staff_forecasts,
    staff_intervals,
)

NUMERIC_INPUT_COLUMNS = ("volume", "aht_s", "interval_s", "interval_minutes", "patience_s")
DEFAULT_SL_TARGET = 0.8


class ModelChoice(StrEnum):
    erlang_c = "erlang-c"
    erlang_a = "erlang-a"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _count(value: float, fractional: bool) -> float | int:
    return float(value) if fractional else int(value)


def _targets(sl_target: float | None, sl_seconds: float, asa_target: float | None,
             max_occupancy: float | None, max_abandon: float | None, *,
             need_one: bool) -> Targets:
    targets = Targets(sl_target=sl_target, sl_seconds=sl_seconds, asa_target=asa_target,
                      max_occupancy=max_occupancy, max_abandon=max_abandon)
    if need_one and targets.is_empty():
        # A staffing question without a target is almost always "80% within T seconds".
        targets = Targets(sl_target=DEFAULT_SL_TARGET, sl_seconds=sl_seconds)
    return targets


def read_intervals(path: Path) -> pa.Table:
    """A CSV of intervals; the staffing inputs as numbers, every other column as text so it
    comes back out exactly as written."""
    if not path.is_file():
        raise CxpmError(f"no such file: {path}")
    try:
        header = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows_after_names=0))
        types = {name: (pa.float64() if name in NUMERIC_INPUT_COLUMNS else pa.string())
                 for name in header.column_names}
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    except pa.ArrowInvalid as exc:
        raise CxpmError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None


@contextmanager
def staged_csv(output: Path) -> Iterator[Any]:
    """Yields write(table); `output` is replaced only when the block finishes, so a failure
    never leaves half a file."""
    with atomic_output(output) as staging:
        yield lambda table: pacsv.write_csv(table, staging)


def _write_csv(table: pa.Table, output: Path | None) -> None:
    if output is None:
        pacsv.write_csv(table, sys.stdout.buffer)
        sys.stdout.flush()
        return
    with staged_csv(output) as write:
        write(table)


def _json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as JSON objects; infinite or NaN figures (no JSON for them) become null."""
    return [{k: (_finite(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in table.to_pylist()]


def _single(volume: float, interval_minutes: float, aht: float, targets: Targets,
            options: StaffingOptions, agents: float | None) -> dict[str, Any]:
    fractional = options.fractional or (agents is not None and not float(agents).is_integer())
    result = staff(volume, interval_minutes * 60, aht, targets, model=options.model,
                   patience=options.patience, shrinkage=options.shrinkage,
                   concurrency=options.concurrency, agents=agents, fractional=fractional)
    m = result.metrics
    return {
        "model": options.model.value,
        "agents": _count(float(result.agents), fractional),
        "scheduled_agents": _count(float(result.scheduled_agents), fractional),
        "service_level": _finite(float(m.service_level)),
        "asa": _finite(float(m.asa)),
        "occupancy": _finite(float(m.occupancy)),
        "p_wait": _finite(float(m.p_wait)),
        "p_abandon": _finite(float(m.p_abandon)) if options.model is Model.erlang_a else None,
    }


def _forecast_summary(staffed: pa.Table) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for queue, length, agents, scheduled in zip(
            staffed["queue"].to_pylist(), staffed["interval_s"].to_pylist(),
            staffed["agents"].to_pylist(), staffed["scheduled_agents"].to_pylist(), strict=True):
        row = rows.setdefault(queue, {"queue": queue, "intervals": 0, "peak_agents": 0.0,
                                      "agent_hours": 0.0, "scheduled_hours": 0.0})
        row["intervals"] += 1
        row["peak_agents"] = max(row["peak_agents"], agents)
        row["agent_hours"] += agents * length / 3600
        row["scheduled_hours"] += scheduled * length / 3600
    return [rows[q] for q in sorted(rows)]


def local_bounds(start: date | datetime | None, end: date | datetime | None
                 ) -> tuple[datetime | None, datetime | None]:
    """Local [start, end): a date --to includes its whole day, a date-time --to excludes it."""
    def moment(value: date | datetime | None) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime(value.year, value.month, value.day)

    lower, upper = moment(start), moment(end)
    if upper is not None and not isinstance(end, datetime):
        upper += timedelta(days=1)
    if lower is not None and upper is not None and upper <= lower:
        raise CxpmError(f"empty time range: --from {start} is after --to {end}")
    return lower, upper


def register(app: typer.Typer) -> None:
    @app.command("staff")
    def staff_command(
        volume: Annotated[float | None, typer.Option(help="Contacts offered in the interval.")]
        = None,
        interval_minutes: Annotated[float | None, typer.Option(
            help="Interval length in minutes.")] = None,
        aht: Annotated[float | None, typer.Option(help="Average handle time, seconds.")] = None,
        sl_target: Annotated[float | None, typer.Option(
            help="Service-level target in (0, 1): share answered within --sl-seconds "
                 "(default 0.8 when no target is given).")] = None,
        sl_seconds: Annotated[float, typer.Option(help="Service-level threshold, seconds.")]
        = 20.0,
        asa_target: Annotated[float | None, typer.Option(
            help="Highest average speed of answer, seconds.")] = None,
        max_occupancy: Annotated[float | None, typer.Option(
            help="Highest agent occupancy, in (0, 1].")] = None,
        max_abandon: Annotated[float | None, typer.Option(
            help="Highest share of arrivals abandoning (Erlang A).")] = None,
        model: Annotated[ModelChoice, typer.Option(
            help="Queue model.", case_sensitive=False)] = ModelChoice.erlang_c,
        patience: Annotated[float | None, typer.Option(
            help="Mean patience, seconds (Erlang A; with --forecast it is otherwise "
                 "estimated per queue from contacts).")] = None,
        shrinkage: Annotated[float, typer.Option(
            help="Share of paid time off queue, in [0, 1).")] = 0.0,
        concurrency: Annotated[int, typer.Option(
            help="Contacts an agent handles at once (chat/messaging).")] = 1,
        agents: Annotated[float | None, typer.Option(
            help="Evaluate this many agents instead of finding the fewest.")] = None,
        fractional: Annotated[bool, typer.Option(
            "--fractional", help="Fractional (continuous) agents.")] = False,
        forecast: Annotated[bool, typer.Option(
            "--forecast", help="Staff every stored forecast row and write required_agents "
                               "back; the summary and --output count each queue and "
                               "interval once, from its latest snapshot.")] = False,
        queue: Annotated[str | None, typer.Option(help="Only this queue (--forecast).")] = None,
        horizon: Annotated[str | None, typer.Option(
            help="Only snapshots with this horizon label, e.g. 2-day-ahead (--forecast).")] = None,
        from_: Annotated[str | None, typer.Option(
            "--from", help="First local date or time (--forecast).")] = None,
        to: Annotated[str | None, typer.Option(
            "--to", help="Last local date (inclusive) or time (exclusive) (--forecast).")]
        = None,
        input: Annotated[Path | None, typer.Option(
            "--input", help="CSV of intervals: volume, aht_s, interval_s or "
                            "interval_minutes, optional patience_s.")] = None,
        output: Annotated[Path | None, typer.Option(
            help="Write the staffed intervals here as CSV (default: stdout for --input).")]
        = None,
        format: Annotated[SummaryFormat, typer.Option(
            "--format", case_sensitive=False,
            help="Output format. With --input, json prints the staffed rows as a JSON list "
                 "(also when --output writes the CSV); otherwise the rows are CSV on stdout "
                 "unless --output is given. With --forecast, the summary's format.")]
        = SummaryFormat.table,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Agents needed to meet service targets (Erlang C or Erlang A), and scheduled agents
        after shrinkage."""
        modes = [volume is not None or aht is not None, forecast, input is not None]
        if sum(modes) != 1:
            raise CxpmError("give one of: --volume/--interval-minutes/--aht, --input FILE.csv, "
                            "or --forecast")
        if agents is not None and (forecast or input is not None):
            raise CxpmError("--agents applies to a single interval (--volume), not to tables")
        if output is not None:
            if not (forecast or input is not None):
                raise CxpmError("--output applies to --input or --forecast")
            check_writable(output)
        if horizon is not None and not forecast:
            raise CxpmError("--horizon applies to --forecast")
        targets = _targets(sl_target, sl_seconds, asa_target, max_occupancy, max_abandon,
                           need_one=agents is None)
        options = StaffingOptions(targets=targets, model=Model(model.value), patience=patience,
                                  shrinkage=shrinkage, concurrency=concurrency,
                                  fractional=fractional)
        if input is not None:
            staffed = staff_intervals(read_intervals(input), options,
                                      interval_s=None if interval_minutes is None
                                      else interval_minutes * 60)
            if output is not None or format is not SummaryFormat.json:
                _write_csv(staffed, output)
            if format is SummaryFormat.json:
                print_json(_json_rows(staffed))
            return
        if forecast:
            _run_forecast(options, queue, horizon, from_, to, output, format, workspace)
            return
        if volume is None or aht is None or interval_minutes is None:
            raise CxpmError("a single interval needs --volume, --interval-minutes and --aht")
        if interval_minutes <= 0:
            raise CxpmError(f"--interval-minutes must be more than 0, got {interval_minutes}")
        result = _single(volume, interval_minutes, aht, targets, options, agents)
        if format is SummaryFormat.json:
            print_json(result)
            return
        rows = [{"figure": k, "value": v} for k, v in result.items()]
        console.print(render_rows(rows, title="Staffing"))


def _run_forecast(options: StaffingOptions, queue: str | None, horizon: str | None,
                  from_: str | None, to: str | None, output: Path | None,
                  format: SummaryFormat, workspace: Path | None) -> None:
    ws = workspace_from(workspace)
    start, end = local_bounds(parse_when(from_, "--from"), parse_when(to, "--to"))
    patience_by_queue = None
    if options.model is Model.erlang_a and options.patience is None:
        estimates = estimate_patience(ws.warehouse.table("contacts"))
        patience_by_queue = {q: p for q, p in zip(estimates["queue"].to_pylist(),
                                                  estimates["patience_s"].to_pylist(),
                                                  strict=True) if p is not None}

    if output is None:
        staffed = staff_forecasts(ws.warehouse, options, queue=queue, horizon=horizon,
                                  start=start, end=end, patience_by_queue=patience_by_queue)
    else:
        # The CSV is written (to a temporary file) before required_agents is committed, so a
        # failed write leaves the warehouse as it was.
        with staged_csv(output) as write:
            staffed = staff_forecasts(ws.warehouse, options, queue=queue, horizon=horizon,
                                      start=start, end=end,
                                      patience_by_queue=patience_by_queue,
                                      before_commit=lambda rows: write(latest_snapshots(rows)))
    latest = latest_snapshots(staffed)
    summary = _forecast_summary(latest)
    if format is SummaryFormat.json:
        print_json({"model": options.model.value, "intervals": latest.num_rows,
                    "stored_rows_staffed": staffed.num_rows, "queues": summary})
        return
    title = f"{latest.num_rows} forecast intervals staffed"
    if staffed.num_rows != latest.num_rows:
        title += f" (latest of {staffed.num_rows} stored snapshot rows)"
    console.print(render_rows(summary, title=title))
