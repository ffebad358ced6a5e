"""Forecast-vs-actual rows for the forecast-accuracy metrics, built with portable Ibis.

`forecast_intervals`: one row per queue and forecast interval. The snapshot compared is, for
each (queue, interval_start), the latest one created at or before the interval started
(`created_at <= interval_start`, both UTC), optionally only among snapshots whose horizon label
is `forecast.horizon`; ties on created_at go to the first horizon label alphabetically.
A forecast made after its interval began is not a forecast of it and is never used.

Actuals are inbound contact segments (the `offered` rule) of the same queue whose local
arrival time falls in [interval start, interval start + interval_s), the forecast's own
interval; an interval with a forecast but no contacts has actuals 0, and contacts in
intervals that no selected forecast covers are left out. Handle time is talk + hold + wrap
of handled (answered) contacts, as in `aht`.

`forecast_days`: the same rows summed per queue and local day, for tolerance checks on daily
totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from cxpm.schema import LOCAL_TIME_COLUMN

FORECAST_INTERVAL_COLUMNS: dict[str, str] = {
    "actual_volume": "float64",
    "actual_handled": "float64",
    "actual_handle_s": "float64",
    "volume_abs_error": "float64",
    "aht_abs_error_s": "float64",
}

FORECAST_INTERVAL_DOC: dict[str, str] = {
    "volume": "forecast contacts offered in the interval (the selected snapshot's)",
    "aht_s": "forecast AHT in seconds (null when the snapshot has none)",
    "actual_volume": "inbound contact segments offered in the queue during the interval "
                     "(0 when none)",
    "actual_handled": "of those, contacts answered",
    "actual_handle_s": "their talk + hold + wrap seconds (missing parts counted as 0)",
    "volume_abs_error": "|actual_volume - volume|",
    "aht_abs_error_s": "actual_handled x |actual AHT - aht_s| = |actual_handle_s - "
                       "actual_handled x aht_s| (0 without handled contacts, null without "
                       "aht_s): the AHT error weighted by the contacts it applied to",
}

FORECAST_DAY_DOC: dict[str, str] = {
    "volume": "forecast contacts offered in the day (sum over the day's forecast intervals)",
    "aht_s": "the day's forecast AHT: sum(volume x aht_s) / sum(volume) over intervals with "
             "aht_s",
    "actual_volume": "inbound contact segments offered in the day's forecast intervals",
    "actual_handled": "of those, contacts answered",
    "actual_handle_s": "their talk + hold + wrap seconds",
    "volume_abs_error": "|actual_volume - volume| of the daily totals",
    "aht_abs_error_s": "actual_handled x |actual daily AHT - aht_s| (0 without handled "
                       "contacts, null without aht_s)",
}

_KEYS = ("queue", "__spec_len", "__spec_offset", "__bucket")


def select_snapshots(forecasts: ir.Table, params: Mapping[str, Any]) -> ir.Table:
    """One forecast row per (queue, interval_start): the latest snapshot made by then."""
    rows = forecasts.filter(forecasts.created_at <= forecasts.interval_start)
    horizon = params.get("forecast.horizon") or ""
    if horizon:
        rows = rows.filter(rows.horizon == horizon)
    # Aggregate-and-join rather than a window function, so backends without windows work.
    latest = rows.group_by(__lq=rows.queue, __ls=rows.interval_start).aggregate(
        __latest=rows.created_at.max())
    rows = rows.join(latest, [rows.queue == latest.__lq, rows.interval_start == latest.__ls,
                              rows.created_at == latest.__latest])
    rows = rows.drop("__lq", "__ls", "__latest")
    first = rows.group_by(__fq=rows.queue, __fs=rows.interval_start).aggregate(
        __label=rows.horizon.min())
    rows = rows.join(first, [rows.queue == first.__fq, rows.interval_start == first.__fs,
                             rows.horizon == first.__label])
    return rows.drop("__fq", "__fs", "__label")


def forecast_intervals(forecasts: ir.Table, contacts: ir.Table, start: datetime | None,
                       end: datetime | None, params: Mapping[str, Any]) -> ir.Table:
    """Selected forecast rows (local interval start in [start, end)) with their actuals."""
    local = forecasts[LOCAL_TIME_COLUMN]
    if start is not None:
        forecasts = forecasts.filter(local >= start)
    if end is not None:
        forecasts = forecasts.filter(local < end)
    # An interval is bucketed by its length and its offset within that length, so contacts
    # are matched with equality joins only, whatever the intervals' alignment.
    forecasts = forecasts.mutate(**_spec_columns(forecasts))
    chosen = select_snapshots(forecasts, params)
    # Bucket specs come from every snapshot in range, not only the chosen ones: the extra
    # buckets match no chosen interval, and the SQL stays shallow enough for SQLite.
    actuals = _actuals(forecasts, contacts, start, end)
    joined = chosen.left_join(actuals, [chosen[k] == actuals[f"a{k}"] for k in _KEYS])
    volume_actual = ibis.coalesce(joined.a_volume, 0.0)
    handled = ibis.coalesce(joined.a_handled, 0.0)
    handle = ibis.coalesce(joined.a_handle_s, 0.0)
    columns = [c for c in forecasts.columns if not c.startswith("__")]
    return joined.select(
        *columns,
        actual_volume=volume_actual,
        actual_handled=handled,
        actual_handle_s=handle,
        volume_abs_error=(volume_actual - joined.volume).abs(),
        aht_abs_error_s=(handle - handled * joined.aht_s).abs(),
    )


def _spec_columns(forecasts: ir.Table) -> dict[str, ir.Value]:
    length = forecasts.interval_s.cast("int64")
    begin = forecasts[LOCAL_TIME_COLUMN].epoch_seconds().cast("int64")
    return {"__spec_len": length, "__spec_offset": begin % length, "__bucket": begin}


def _actuals(forecasts: ir.Table, contacts: ir.Table, start: datetime | None,
             end: datetime | None) -> ir.Table:
    direction = ibis.coalesce(contacts.direction, "inbound")
    rows = contacts.filter(direction != "outbound", contacts.queue.notnull())
    local = rows[LOCAL_TIME_COLUMN]
    if start is not None:
        rows = rows.filter(local >= start)
    if end is not None:  # loose bound: an interval that starts before `end` may run past it
        rows = rows.filter(local < end + timedelta(days=1))
    handle = (ibis.coalesce(rows.talk_s, 0.0) + ibis.coalesce(rows.hold_s, 0.0)
              + ibis.coalesce(rows.wrap_s, 0.0))
    answered = rows.answered_at.notnull()
    rows = rows.select(
        queue=rows.queue,
        __at=rows[LOCAL_TIME_COLUMN].epoch_seconds().cast("int64"),
        __handled=answered.ifelse(1.0, 0.0),
        __handle_s=answered.ifelse(handle, 0.0),
    )
    specs = forecasts.select(__spec_queue=forecasts.queue, __spec_len=forecasts.__spec_len,
                             __spec_offset=forecasts.__spec_offset).distinct()
    matched = rows.join(specs, rows.queue == specs.__spec_queue)
    bucket = matched.__at - (matched.__at - matched.__spec_offset) % matched.__spec_len
    matched = matched.mutate(__bucket=bucket)
    return matched.group_by(**{f"a{k}": matched[k] for k in _KEYS}).aggregate(
        a_volume=matched.count().cast("float64"),
        a_handled=matched.__handled.sum(),
        a_handle_s=matched.__handle_s.sum(),
    )


def forecast_days(intervals: ir.Table) -> ir.Table:
    """forecast_intervals summed per queue and local day (local_time = the day's start)."""
    day = intervals[LOCAL_TIME_COLUMN].truncate("D")
    with_aht = intervals.aht_s.notnull()
    rows = intervals.mutate(
        __day=day,
        __fc_work=with_aht.ifelse(intervals.volume * intervals.aht_s, 0.0),
        __fc_vol_aht=with_aht.ifelse(intervals.volume, 0.0),
        __any_aht=with_aht.ifelse(1, 0),
    )
    days = rows.group_by(["queue", "__day"]).aggregate(
        volume=rows.volume.sum(),
        actual_volume=rows.actual_volume.sum(),
        actual_handled=rows.actual_handled.sum(),
        actual_handle_s=rows.actual_handle_s.sum(),
        __fc_work=rows.__fc_work.sum(),
        __fc_vol_aht=rows.__fc_vol_aht.sum(),
        __any_aht=rows.__any_aht.sum(),
    )
    aht = ibis.ifelse((days.__any_aht > 0) & (days.__fc_vol_aht > 0),
                      days.__fc_work / days.__fc_vol_aht, ibis.null("float64"))
    days = days.mutate(aht_s=aht)
    return days.select(
        "queue", "volume", "aht_s", "actual_volume", "actual_handled", "actual_handle_s",
        volume_abs_error=(days.actual_volume - days.volume).abs(),
        aht_abs_error_s=(days.actual_handle_s - days.actual_handled * days.aht_s).abs(),
        **{LOCAL_TIME_COLUMN: days.__day},
    )
