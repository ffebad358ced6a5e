"""Intraday view of one local day: per forecast interval, forecast vs actual volume and AHT,
required vs scheduled vs logged-in agents, and service level.

- Forecast and actual volume/AHT come from the forecast-accuracy rows
  (`cxpm.metrics.forecast_accuracy.forecast_intervals`: the latest snapshot created at or
  before the interval started, actual inbound contacts offered in the interval).
- Required, scheduled and logged-in agents come from `cxpm.metrics.schedule
  .schedule_intervals`: required agents of the latest snapshot that has them; scheduled =
  average agents scheduled on queue; logged in = average agents in a paid state. Schedules and
  states have no queue: an agent counts for the queue they handled the most contacts in.
- Service level is the `service_level` metric (its parameters apply) at interval grain, by
  the forecast's interval length (15, 30 or 60 minutes; otherwise it is left empty).

With a queue, rows are that queue's; without one, every queue is summed per interval (the
forecast AHT weighted by forecast volume, the actual AHT by handled contacts, service level
over all contacts), and `queue` is null. `queues` limits the day to some queues (e.g. those
of a scoped user, `cxpm.wfm.queue_scope`): the others are left out of the rows, the sums and
the queues an error message names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import ibis.expr.types as ir
import polars as pl
import pyarrow as pa

from cxpm.errors import CxpmError
from cxpm.metrics.engine import INTERVAL_MINUTES, compute
from cxpm.metrics.forecast_accuracy import forecast_intervals
from cxpm.metrics.params import resolve_params
from cxpm.metrics.schedule import schedule_intervals
from cxpm.schema import LOCAL_TIME_COLUMN

INTRADAY_SCHEMA = pa.schema([
    pa.field("interval_start", pa.timestamp("us")),
    pa.field("queue", pa.string()),
    pa.field("forecast_volume", pa.float64()),
    pa.field("actual_volume", pa.float64()),
    pa.field("forecast_aht_s", pa.float64()),
    pa.field("actual_aht_s", pa.float64()),
    pa.field("required_agents", pa.float64()),
    pa.field("scheduled_agents", pa.float64()),
    pa.field("logged_in_agents", pa.float64()),
    pa.field("service_level", pa.float64()),
])

_SUMS = ("forecast_volume", "actual_volume", "actual_handled", "actual_handle_s",
         "forecast_work_s", "forecast_volume_aht", "required_agents", "scheduled_agents",
         "logged_in_agents", "sl_numerator", "sl_denominator")


def _frame(table: ir.Table) -> pl.DataFrame:
    return pl.from_arrow(table.to_pyarrow())


def intraday(tables: Mapping[str, ir.Table], day: date, *, queue: str | None = None,
             params: Mapping[str, Any] | None = None,
             queues: Sequence[str] | None = None) -> pa.Table:
    """One row per forecast interval of the local `day` (columns of INTRADAY_SCHEMA), in
    interval order, of `queues` only when given. CxpmError when the day (or the queue on
    that day) has no forecast."""
    resolved = resolve_params(params)
    start = datetime(day.year, day.month, day.day)
    end = start + timedelta(days=1)
    forecasts = _frame(forecast_intervals(tables["forecasts"], tables["contacts"], start, end,
                                          resolved))
    staffing = _frame(schedule_intervals(tables["forecasts"], tables["schedules"],
                                         tables["agent_states"], tables["contacts"], start,
                                         end, resolved))
    if queues is not None:
        forecasts = forecasts.filter(pl.col("queue").is_in(list(queues)))
        staffing = staffing.filter(pl.col("queue").is_in(list(queues)))
    if forecasts.is_empty() and staffing.is_empty():
        raise CxpmError(f"no forecast intervals on {day.isoformat()}; run `cxpm forecast` "
                        "or load forecasts first")
    if queue is not None:
        with_one = sorted(set(forecasts["queue"].to_list())
                          | set(staffing["queue"].to_list()))
        if queue not in with_one:
            raise CxpmError(f"queue {queue!r} has no forecast on {day.isoformat()}; queues "
                            f"with one: {', '.join(with_one)}")
        forecasts = forecasts.filter(pl.col("queue") == queue)
        staffing = staffing.filter(pl.col("queue") == queue)
    rows = _join(forecasts, staffing)
    rows = rows.join(_service_level(tables, rows, day, queue, resolved),
                     on=["queue", "interval_start"], how="left", nulls_equal=True)
    if queue is None:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("queue"))
        rows = rows.group_by(["interval_start", "queue"]).agg(
            # A sum of nothing stays null (no staffing rows is not 0 agents).
            *(pl.when(pl.col(c).is_not_null().any()).then(pl.col(c).sum()).alias(c)
              for c in _SUMS))
    rows = rows.sort(["interval_start", "queue"], nulls_last=True)
    return _finish(rows)


def intraday_queues(forecasts: ir.Table, day: date) -> list[str]:
    """The queues with a forecast interval on the local `day`, sorted: those `intraday` can
    show one by one."""
    start = datetime(day.year, day.month, day.day)
    local = forecasts[LOCAL_TIME_COLUMN]
    rows = forecasts.filter(local >= start, local < start + timedelta(days=1),
                            forecasts.queue.notnull())
    return sorted(rows.select("queue").distinct().to_pyarrow().column("queue").to_pylist())


def _join(forecasts: pl.DataFrame, staffing: pl.DataFrame) -> pl.DataFrame:
    aht = pl.col("aht_s").cast(pl.Float64)
    volume = pl.col("volume").cast(pl.Float64)
    fc = forecasts.select(
        pl.col("queue"), pl.col(LOCAL_TIME_COLUMN).cast(pl.Datetime("us")).alias(
            "interval_start"),
        pl.col("interval_s").cast(pl.Float64),
        volume.alias("forecast_volume"),
        aht.alias("forecast_aht_direct"),
        pl.col("actual_volume").cast(pl.Float64),
        pl.col("actual_handled").cast(pl.Float64),
        pl.col("actual_handle_s").cast(pl.Float64),
        pl.when(aht.is_not_null()).then(volume * aht).alias("forecast_work_s"),
        pl.when(aht.is_not_null()).then(volume).alias("forecast_volume_aht"))
    st = staffing.select(
        pl.col("queue"), pl.col(LOCAL_TIME_COLUMN).cast(pl.Datetime("us")).alias(
            "interval_start"),
        pl.col("interval_s").cast(pl.Float64).alias("staff_interval_s"),
        pl.col("required_agents").cast(pl.Float64),
        pl.col("scheduled_agents").cast(pl.Float64),
        pl.col("logged_in_agents").cast(pl.Float64))
    joined = fc.join(st, on=["queue", "interval_start"], how="full", coalesce=True)
    return joined.with_columns(
        pl.coalesce("interval_s", "staff_interval_s").alias("interval_s")).drop(
        "staff_interval_s")


def _service_level(tables: Mapping[str, ir.Table], rows: pl.DataFrame, day: date,
                   queue: str | None, params: Mapping[str, Any]) -> pl.DataFrame:
    """sl_numerator and sl_denominator per queue and interval, for each interval length of
    the day's forecasts that the metric engine supports."""
    empty = pl.DataFrame(schema={"queue": pl.String, "interval_start": pl.Datetime("us"),
                                 "sl_numerator": pl.Float64, "sl_denominator": pl.Float64})
    parts = [empty]
    lengths = sorted({int(s) for s in rows["interval_s"].drop_nulls().to_list()})
    for seconds in lengths:
        if seconds % 60 or seconds // 60 not in INTERVAL_MINUTES:
            continue
        where = {"queue": [queue]} if queue is not None else None
        result = pl.from_arrow(compute(
            tables, ["service_level"], by=["queue"], grain="interval",
            interval_minutes=seconds // 60, start=day, end=day, where=where, params=params))
        intervals = rows.filter(pl.col("interval_s") == seconds).select(
            "queue", "interval_start")
        part = result.select(
            pl.col("queue"), pl.col("period_start").cast(pl.Datetime("us")).alias(
                "interval_start"),
            pl.col("numerator").alias("sl_numerator"),
            pl.col("denominator").alias("sl_denominator"))
        parts.append(intervals.join(part, on=["queue", "interval_start"], how="inner"))
    return pl.concat(parts, how="vertical").unique(["queue", "interval_start"])


def _finish(rows: pl.DataFrame) -> pa.Table:
    def ratio(top: str, bottom: str) -> pl.Expr:
        return pl.when(pl.col(bottom) > 0).then(pl.col(top) / pl.col(bottom))

    out = rows.select(
        pl.col("interval_start"), pl.col("queue"),
        pl.col("forecast_volume"), pl.col("actual_volume"),
        # One queue's own forecast AHT, also when its forecast volume is 0.
        (pl.col("forecast_aht_direct") if "forecast_aht_direct" in rows.columns else ratio(
            "forecast_work_s", "forecast_volume_aht")).alias("forecast_aht_s"),
        ratio("actual_handle_s", "actual_handled").alias("actual_aht_s"),
        pl.col("required_agents"), pl.col("scheduled_agents"), pl.col("logged_in_agents"),
        ratio("sl_numerator", "sl_denominator").alias("service_level"))
    return out.to_arrow().select(INTRADAY_SCHEMA.names).cast(INTRADAY_SCHEMA)
