"""Staffing over tables: a plain table of intervals, the stored forecasts, and patience
estimated from the contacts table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxpm.errors import CxpmError
from cxpm.schema import LOCAL_TIME_COLUMN
from cxpm.warehouse import Warehouse
from cxpm.wfm.staffing import Model, Targets, staff

RESULT_COLUMNS = ("agents", "scheduled_agents", "service_level", "asa", "occupancy", "p_wait",
                  "p_abandon")


@dataclass(frozen=True)
class StaffingOptions:
    """How to staff every interval of a table."""

    targets: Targets
    model: Model = Model.erlang_c
    patience: float | None = None
    shrinkage: float = 0.0
    concurrency: int = 1
    fractional: bool = False


def estimate_patience(contacts: ir.Table, *, start: datetime | None = None,
                      end: datetime | None = None) -> pa.Table:
    """Mean patience per queue: abandonments / total time waited by every queued contact
    (answered ones waited until answered, abandoned ones until they left). Dividing by all
    waiting time, not just the abandoners', corrects for the patience of answered contacts
    being censored at their wait. Agent-handled inbound contacts only; `start`/`end` bound
    arrival time in UTC. Columns: queue, queued, abandoned, waited_s, patience_s (null when
    nothing was abandoned: patience cannot be estimated)."""
    rows = contacts
    rows = rows.filter((rows.handled_by.isnull() | (rows.handled_by == "agent"))
                       & (rows.direction.isnull() | (rows.direction == "inbound")))
    if start is not None:
        rows = rows.filter(rows.arrived_at >= start)
    if end is not None:
        rows = rows.filter(rows.arrived_at < end)
    left_queue = ibis.coalesce(rows.answered_at, rows.ended_at)
    rows = rows.filter(left_queue.notnull())
    waited = (left_queue.epoch_seconds().cast("float64")
              - rows.arrived_at.epoch_seconds().cast("float64"))
    rows = rows.mutate(__waited=ibis.greatest(waited, 0.0),
                       __abandoned=(rows.abandoned & rows.answered_at.isnull()).ifelse(1, 0))
    summary = (rows.group_by(queue=rows.queue.fill_null(""))
               .aggregate(queued=rows.count(), abandoned=rows.__abandoned.sum(),
                          waited_s=rows.__waited.sum())
               .order_by("queue")
               .to_pyarrow())
    abandoned = summary["abandoned"].to_numpy(zero_copy_only=False).astype(float)
    waited = summary["waited_s"].to_numpy(zero_copy_only=False).astype(float)
    patience = [float(w / a) if a > 0 else None for a, w in zip(abandoned, waited, strict=True)]
    return summary.append_column("patience_s", pa.array(patience, pa.float64()))


def _column(table: pa.Table, name: str) -> np.ndarray:
    values = table[name]
    if values.null_count:
        raise CxpmError(f"column {name} has {values.null_count} empty value(s)")
    try:
        return np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise CxpmError(f"column {name} must be numeric") from None


def staff_intervals(intervals: pa.Table, options: StaffingOptions, *,
                    interval_s: float | None = None) -> pa.Table:
    """The input table with the staffing columns appended (replacing any of the same name).
    Needs `volume` and `aht_s`; the interval length comes from `interval_s`, or
    `interval_minutes`, or the `interval_s` argument; `patience_s`, when present, gives the
    mean patience per row for Erlang A (else `options.patience`)."""
    names = set(intervals.column_names)
    missing = [c for c in ("volume", "aht_s") if c not in names]
    if missing:
        raise CxpmError(f"the interval table lacks column(s) {', '.join(missing)} "
                        "(needs volume, aht_s and interval_s or interval_minutes)")
    if "interval_s" in names:
        length = _column(intervals, "interval_s")
    elif "interval_minutes" in names:
        length = _column(intervals, "interval_minutes") * 60
    elif interval_s is not None:
        length = np.full(intervals.num_rows, float(interval_s))
    else:
        raise CxpmError("the interval length is unknown: add an interval_s or interval_minutes "
                        "column, or give --interval-minutes")
    patience = _column(intervals, "patience_s") if "patience_s" in names else options.patience
    result = staff(_column(intervals, "volume"), length, _column(intervals, "aht_s"),
                   options.targets, model=options.model, patience=patience,
                   shrinkage=options.shrinkage, concurrency=options.concurrency,
                   fractional=options.fractional)
    figures = {
        "agents": result.agents, "scheduled_agents": result.scheduled_agents,
        "service_level": result.metrics.service_level, "asa": result.metrics.asa,
        "occupancy": result.metrics.occupancy, "p_wait": result.metrics.p_wait,
        "p_abandon": (result.metrics.p_abandon if options.model is Model.erlang_a
                      else None),
    }
    out = intervals.drop_columns([c for c in RESULT_COLUMNS if c in names])
    for name, values in figures.items():
        if values is None:
            out = out.append_column(name, pa.nulls(out.num_rows, pa.float64()))
        else:
            array = np.broadcast_to(np.asarray(values, dtype=float), (out.num_rows,))
            out = out.append_column(name, pa.array(array, pa.float64()))
    return out


@contextmanager
def _atomic(warehouse: Warehouse, table: str, original: pa.Table) -> Iterator[None]:
    """DuckDB: a transaction. Elsewhere: put the original rows back if the rewrite fails."""
    con = warehouse.con
    transactional = con.name == "duckdb"
    if transactional:
        con.raw_sql("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        if transactional:
            con.raw_sql("ROLLBACK")
        else:
            con.insert(table, original, overwrite=True)
        raise
    if transactional:
        con.raw_sql("COMMIT")


def latest_snapshots(staffed: pa.Table) -> pa.Table:
    """One row per (queue, interval_start): the latest snapshot (greatest `created_at`; on a
    tie, the smallest horizon label, as forecast accuracy chooses). Sorted by queue and
    interval start. Overlapping forecast runs each keep their own rows in the warehouse; this
    is what a plan counts, so no interval is staffed twice."""
    if staffed.num_rows == 0:
        return staffed
    ordered = staffed.sort_by([("queue", "ascending"), ("interval_start", "ascending"),
                               ("created_at", "descending"), ("horizon", "ascending")])
    queues = ordered["queue"].to_pylist()
    starts = ordered["interval_start"].to_pylist()
    first = [i == 0 or queues[i] != queues[i - 1] or starts[i] != starts[i - 1]
             for i in range(ordered.num_rows)]
    return ordered.filter(pa.array(first, pa.bool_()))


def staff_forecasts(warehouse: Warehouse, options: StaffingOptions, *, queue: str | None = None,
                    start: datetime | None = None, end: datetime | None = None,
                    horizon: str | None = None,
                    patience_by_queue: dict[str, float] | None = None,
                    before_commit: Callable[[pa.Table], None] | None = None) -> pa.Table:
    """Required agents for every stored forecast row of `queue` (and horizon label `horizon`)
    whose local start lies in [start, end), every snapshot included, written back to
    `forecasts.required_agents` (the table is rewritten whole, atomically, keeping
    local_time/source/batch_id). Returns the staffed rows (queue, interval_start,
    created_at, horizon, inputs, staffing columns); `latest_snapshots` picks one per
    interval. For Erlang A, a queue's patience comes from `patience_by_queue`, else
    `options.patience`. `before_commit(staffed)` runs before anything is written; if it
    raises, the warehouse is left unchanged (e.g. to write an output file first)."""
    stored = warehouse.table("forecasts").to_pyarrow()
    selected = pa.array(np.ones(stored.num_rows, dtype=bool))
    if queue is not None:
        selected = pc.and_(selected, pc.equal(stored["queue"], queue))
    if horizon is not None:
        selected = pc.and_(selected, pc.equal(stored["horizon"], horizon))
    if start is not None:
        selected = pc.and_(selected, pc.greater_equal(stored[LOCAL_TIME_COLUMN],
                                                      pa.scalar(start, pa.timestamp("us"))))
    if end is not None:
        selected = pc.and_(selected, pc.less(stored[LOCAL_TIME_COLUMN],
                                             pa.scalar(end, pa.timestamp("us"))))
    selected = pc.fill_null(selected, False)
    rows = stored.filter(selected)
    if rows.num_rows == 0:
        raise CxpmError("no stored forecast intervals match (run `cxpm forecast` first, or "
                        "widen --queue/--horizon/--from/--to)")
    if rows["aht_s"].null_count:
        raise CxpmError(f"{rows['aht_s'].null_count} forecast interval(s) have no aht_s")
    work = rows.select(["queue", "interval_start", "created_at", "horizon", "interval_s",
                        "volume", "aht_s"])
    if options.model is Model.erlang_a and patience_by_queue:
        values = [patience_by_queue.get(q, options.patience) for q in work["queue"].to_pylist()]
        if any(v is None for v in values):
            lacking = sorted({q for q, v in zip(work["queue"].to_pylist(), values, strict=True)
                              if v is None})
            raise CxpmError(f"no patience for queue(s) {', '.join(lacking)}: give --patience")
        work = work.append_column("patience_s", pa.array(values, pa.float64()))
    staffed = staff_intervals(work, options)
    required = np.array(stored["required_agents"].to_numpy(zero_copy_only=False), dtype=float)
    required[np.flatnonzero(np.asarray(selected))] = staffed["agents"].to_numpy()
    updated = stored.set_column(stored.column_names.index("required_agents"), "required_agents",
                                pa.array(required, pa.float64(), mask=np.isnan(required)))
    if before_commit is not None:
        before_commit(staffed)
    with _atomic(warehouse, "forecasts", stored):
        warehouse.con.insert("forecasts", updated, overwrite=True)
    return staffed
