"""Forecast volume and AHT per queue from a workspace's `contacts`; store snapshots.

Periods come from `contacts.local_time` (the workspace's reporting time zone). Per queue the
volume model is chosen by a rolling-origin backtest; AHT per interval is the handle-time
weighted mean of the same weekday-interval over recent weeks, shrunk towards the queue's mean
where few contacts were handled. Each run is written through `cxpm.ingest` as one snapshot
(same `created_at` and horizon label on every row), so accuracy can later be measured against
what was predicted at the time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.wfm.forecast import (
    DAY_S,
    MIN_HISTORY_DAYS,
    REFERENCE_WEEKS,
    Forecast,
    Series,
    candidate_models,
    forecast_series,
    mask_special_days,
)
from cxpm.wfm.forecast_backtest import backtest
from cxpm.wfm.forecast_io import parse_special_days
from cxpm.workspace import Workspace

SPECIAL_DAYS_PARAM = "forecast.special_days"
INTERVAL_CHOICES = (15, 30, 60)
AHT_PRIOR_CONTACTS = 5.0
SELECTION_FOLDS = 3


class QueueForecast(BaseModel):
    queue: str
    model: str
    backtest_wape: float | None
    baseline_wape: float | None
    intervals: int
    volume: float


class SkippedQueue(BaseModel):
    queue: str
    reason: str


class ForecastRun(BaseModel):
    created_at: datetime
    horizon: str
    interval_minutes: int
    train_end: datetime
    train_end_rule: str = "given"
    queues: list[QueueForecast]
    skipped: list[SkippedQueue] = []
    rows_written: int
    batch_id: str | None


def special_days_from(ws: Workspace) -> list[date]:
    """The workspace's special days, validated like every parameter."""
    return parse_special_days(ws.metric_params()[SPECIAL_DAYS_PARAM])


def _interval_counts(ws: Workspace, interval_minutes: int, queue: str | None) -> pa.Table:
    """Per queue, local day and interval of the day: contacts, handled contacts, handle time."""
    contacts = ws.warehouse.table("contacts")
    inbound = contacts.direction.isnull() | (contacts.direction == "inbound")
    rows = contacts.filter(inbound)
    if queue is not None:
        rows = rows.filter(rows.queue == queue)
    local = rows.local_time
    handled = rows.answered_at.notnull() & ~rows.abandoned
    handle = (rows.talk_s.fill_null(0) + rows.hold_s.fill_null(0) + rows.wrap_s.fill_null(0))
    grouped = rows.mutate(
        queue=rows.queue.fill_null("(none)"),
        day=local.date(),
        slot=(local.hour() * 60 + local.minute()) // interval_minutes,
        is_handled=handled.cast("int64"),
        handle=ibis.ifelse(handled, handle, 0.0),
    ).group_by(["queue", "day", "slot"]).aggregate(
        volume=ibis._.count(), handled=ibis._.is_handled.sum(), handle_s=ibis._.handle.sum())
    return grouped.to_pyarrow()


def _queue_arrays(counts: pa.Table, interval_minutes: int,
                  end: datetime) -> dict[str, tuple[Series, np.ndarray, np.ndarray]]:
    """Per queue: the volume series and matching handled-count and handle-time arrays, on a
    grid from the queue's own first local midnight with data to the interval starting at
    `end` (a queue that opened last week has one week of history, not weeks of zeros). A
    queue whose data starts after `end` gets an empty series."""
    if counts.num_rows == 0:
        return {}
    interval_s = interval_minutes * 60
    per_day = DAY_S // interval_s
    days = counts.column("day").to_pylist()
    slots = np.asarray(counts.column("slot"), dtype=np.int64)
    queues = np.asarray(counts.column("queue").to_pylist(), dtype=object)
    columns = {c: np.asarray(counts.column(c), dtype=float)
               for c in ("volume", "handled", "handle_s")}
    order = np.argsort(queues, kind="stable")
    names, first = np.unique(queues[order], return_index=True)
    bounds = [*first.tolist(), len(order)]
    result = {}
    for index, name in enumerate(names.tolist()):
        rows = order[bounds[index]: bounds[index + 1]]
        first_day = min(days[row] for row in rows)
        start = datetime.combine(first_day, datetime.min.time())
        length = max(int((end - start).total_seconds()) // interval_s + 1, 0)
        positions = np.array([(days[row] - first_day).days for row in rows],
                             dtype=np.int64) * per_day + slots[rows]
        inside = positions < length
        arrays = []
        for column in ("volume", "handled", "handle_s"):
            values = np.zeros(length)
            values[positions[inside]] = columns[column][rows[inside]]
            arrays.append(values)
        result[name] = (Series(start, interval_s, arrays[0]), arrays[1], arrays[2])
    return result


def forecast_aht(handled: np.ndarray, handle_s: np.ndarray, week_len: int,
                 steps: np.ndarray, masked: np.ndarray) -> np.ndarray:
    """AHT for horizon steps (1-based): Σhandle / Σhandled of the same weekday-interval over
    the last REFERENCE_WEEKS weeks, shrunk towards the queue's mean AHT over those weeks with
    a prior weight of AHT_PRIOR_CONTACTS contacts. Special days are left out."""
    weeks = min(REFERENCE_WEEKS, len(handled) // week_len)
    span = weeks * week_len
    keep = ~masked[-span:]
    counts = np.where(keep, handled[-span:], 0).reshape(weeks, week_len).sum(axis=0)
    times = np.where(keep, handle_s[-span:], 0).reshape(weeks, week_len).sum(axis=0)
    total_count = counts.sum()
    mean = times.sum() / total_count if total_count > 0 else np.nan
    prior = 0.0 if np.isnan(mean) else AHT_PRIOR_CONTACTS
    with np.errstate(invalid="ignore", divide="ignore"):
        per_interval = (times + prior * np.nan_to_num(mean)) / (counts + prior)
    return per_interval[(steps - 1) % week_len]


def _to_utc(local: list[datetime], timezone: str) -> list[datetime | None]:
    """UTC for each local start; None for a local time that does not exist (skipped by a
    daylight-saving change), which would otherwise collide with the hour after it."""
    zone = ZoneInfo(timezone)
    result: list[datetime | None] = []
    for moment in local:
        utc = moment.replace(tzinfo=zone).astimezone(UTC)
        back = utc.astimezone(zone).replace(tzinfo=None)
        result.append(utc.replace(tzinfo=None) if back == moment else None)
    return result


def default_train_end(counts: pa.Table, interval_minutes: int) -> tuple[datetime, str]:
    """The last interval of the last complete local day, and a note saying why.

    The day of the latest contact counts as complete only when that contact is in the day's
    last interval; otherwise the data may stop mid-day (an export taken during the day), and
    training on it would learn its missing hours as zero volume, so training ends the day
    before."""
    days = counts.column("day").to_pylist()
    slots = counts.column("slot").to_pylist()
    latest_day, latest_slot = max(zip(days, slots, strict=True))
    latest = datetime.combine(latest_day, datetime.min.time()) \
        + timedelta(minutes=latest_slot * interval_minutes)
    last_slot = 24 * 60 // interval_minutes - 1
    complete = latest_day if latest_slot >= last_slot else latest_day - timedelta(days=1)
    train_end = datetime.combine(complete + timedelta(days=1), datetime.min.time()) \
        - timedelta(minutes=interval_minutes)
    if complete == latest_day:
        return train_end, f"last local day with contacts ({latest_day}) is complete"
    return train_end, (f"last complete local day; the latest contacts ({latest:%Y-%m-%d %H:%M}"
                       f" interval) leave {latest_day} incomplete, so it is not trained on")


def horizon_label(horizon_days: int) -> str:
    return "week-ahead" if horizon_days == 7 else f"{horizon_days}-day-ahead"


def run_forecast(ws: Workspace, *, queue: str | None = None, interval_minutes: int = 30,
                 horizon_days: int = 14, train_end: datetime | None = None,
                 special_days: Sequence[date] | None = None,
                 models: Sequence[str] | None = None, write: bool = True,
                 created_at: datetime | None = None) -> ForecastRun:
    """Forecast every queue (or `queue`) of `contacts` and store the snapshot in `forecasts`.

    `train_end` (local) defaults to the last interval of the last complete local day (see
    `default_train_end`), so the horizon starts at the next local midnight. Queues with too
    little history are listed in `skipped`; that is an error only for a named `queue` or when
    every queue is skipped."""
    if interval_minutes not in INTERVAL_CHOICES:
        raise CxpmError(f"--interval-minutes must be one of 15, 30, 60, got {interval_minutes}")
    if horizon_days < 1:
        raise CxpmError("--horizon-days must be at least 1")
    days = list(special_days) if special_days is not None else special_days_from(ws)
    counts = _interval_counts(ws, interval_minutes, queue)
    if counts.num_rows == 0:
        raise CxpmError(f"no contacts{f' in queue {queue!r}' if queue else ''} to forecast from")
    if train_end is None:
        train_end, train_end_rule = default_train_end(counts, interval_minutes)
    else:
        train_end_rule = "given"
    per_queue = _queue_arrays(counts, interval_minutes, train_end)
    created = (created_at or datetime.now(UTC).replace(tzinfo=None)).replace(microsecond=0)
    label = horizon_label(horizon_days)
    summaries: list[QueueForecast] = []
    skipped: list[SkippedQueue] = []
    columns: dict[str, list] = {c: [] for c in ("queue", "interval_start", "volume", "aht_s")}
    for name, (series, handled, handle_s) in per_queue.items():
        shortfall = history_shortfall(series)
        if shortfall is not None:
            if queue is not None:
                raise CxpmError(f"queue {name!r}: {shortfall}")
            skipped.append(SkippedQueue(queue=name, reason=shortfall))
            continue
        summary, result, aht = forecast_queue(name, series, handled, handle_s, train_end,
                                              horizon_days, days, models)
        for utc, volume, handle in zip(_to_utc(result.starts, ws.timezone), result.values,
                                       aht, strict=True):
            if utc is None:
                continue
            columns["queue"].append(name)
            columns["interval_start"].append(utc)
            columns["volume"].append(float(volume))
            columns["aht_s"].append(None if np.isnan(handle) else float(handle))
        summaries.append(summary)
    if not summaries:
        raise CxpmError("no queue has enough history to forecast: " + "; ".join(
            f"{item.queue!r} {item.reason}" for item in skipped))
    rows = len(columns["queue"])
    batch_id = _write_snapshot(ws, columns, interval_minutes * 60, created, label) \
        if write and rows else None
    return ForecastRun(created_at=created, horizon=label, interval_minutes=interval_minutes,
                       train_end=train_end, train_end_rule=train_end_rule, queues=summaries,
                       skipped=skipped, rows_written=rows if write else 0, batch_id=batch_id)


def forecast_queue(name: str, series: Series, handled: np.ndarray, handle_s: np.ndarray,
                   train_end: datetime, horizon_days: int, special_days: Sequence[date],
                   models: Sequence[str] | None = None,
                   ) -> tuple[QueueForecast, Forecast, np.ndarray]:
    """One queue: choose the volume model by backtest, forecast volume, then AHT for the same
    intervals. `handled` and `handle_s` are on the series' grid."""
    shortfall = history_shortfall(series)
    if shortfall is not None:
        raise CxpmError(f"queue {name!r}: {shortfall}")
    model, chosen, base = choose_model(series, horizon_days, special_days, models)
    result = forecast_series(series, train_end, horizon_days, model=model,
                             special_days=special_days)
    steps = np.array([int((s - train_end).total_seconds()) // series.interval_s
                      for s in result.starts], dtype=np.int64)
    history = series.head(train_end)
    masked = np.isnan(mask_special_days(history, special_days))
    end = len(history.values)
    aht = forecast_aht(handled[:end], handle_s[:end], series.week_len, steps, masked) \
        if len(steps) else np.array([])
    summary = QueueForecast(queue=name, model=model, backtest_wape=chosen, baseline_wape=base,
                            intervals=len(steps), volume=float(result.values.sum()))
    return summary, result, aht


def history_shortfall(series: Series) -> str | None:
    """Why the series is too short to forecast from, or None when it is long enough."""
    if len(series.values) * series.interval_s >= MIN_HISTORY_DAYS * DAY_S:
        return None
    days_seen = len(series.values) * series.interval_s / DAY_S
    return f"too little history ({days_seen:.1f} days; {MIN_HISTORY_DAYS} needed)"


def choose_model(series: Series, horizon_days: int, special_days: Sequence[date],
                  models: Sequence[str] | None) -> tuple[str, float | None, float | None]:
    """The candidate with the lowest backtest interval WAPE; the weekly profile when the
    history is too short to backtest."""
    names = list(models or candidate_models(series.interval_s))
    if len(names) == 1:
        return names[0], None, None
    fold_days = min(horizon_days, 7)
    history_days = len(series.values) * series.interval_s / DAY_S
    folds = min(SELECTION_FOLDS, int((history_days - MIN_HISTORY_DAYS) // fold_days))
    if folds < 1:
        return "weekly_profile", None, None
    result = backtest(series, fold_days, folds, names, special_days)
    scores = {s.model: s.interval_wape for s in result.scores}
    return result.winner, scores[result.winner], scores[result.baseline]


def _write_snapshot(ws: Workspace, columns: dict[str, list], interval_s: int,
                    created_at: datetime, label: str) -> str | None:
    from cxpm.ingest import ingest

    rows = len(columns["queue"])
    table = pa.table({
        "queue": pa.array(columns["queue"], pa.string()),
        "interval_start": pa.array(columns["interval_start"], pa.timestamp("us")),
        "interval_s": pa.array([float(interval_s)] * rows, pa.float64()),
        "volume": pa.array(columns["volume"], pa.float64()),
        "aht_s": pa.array(columns["aht_s"], pa.float64()),
        "required_agents": pa.nulls(rows, pa.float64()),
        "created_at": pa.array([created_at] * rows, pa.timestamp("us")),
        "horizon": pa.array([label] * rows, pa.string()),
    })
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"forecast-{created_at:%Y%m%dT%H%M%S}.parquet"
        pq.write_table(table, path)
        summary = ingest(ws, "forecasts", [path])
    if summary.quarantined:
        raise CxpmError(f"{summary.quarantined} forecast rows were rejected by validation "
                        f"(batch {summary.batch_id}); see `cxpm ingest` quarantine")
    return summary.batch_id
