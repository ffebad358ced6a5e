"""Forecast-accuracy metrics: snapshot selection, actuals per forecast interval, WAPE-based
accuracy, bias and tolerance shares, worked out by hand from the rows below."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from metric_helpers import memtables, polars_tables, sqlite_tables

from cxpm.errors import CxpmError
from cxpm.metrics.engine import compute, explain, to_records
from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema
from cxpm.workspace import init_workspace

MON, TUE = "2024-03-04", "2024-03-05"
OLD = datetime(2024, 3, 1)  # week-ahead snapshot, Monday only
NEW = datetime(2024, 3, 4, 9, 15)  # day-ahead snapshot, made during Monday 09:00
LATE = datetime(2024, 3, 10)  # made after every interval: never a forecast of them


def _at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}:00")


def _fc(queue: str, day: str, hm: str, volume: float, aht: float | None, created: datetime,
        horizon: str, interval_s: float = 1800) -> dict:
    return {"queue": queue, "interval_start": _at(day, hm), "interval_s": interval_s,
            "volume": volume, "aht_s": aht, "created_at": created, "horizon": horizon}


FORECASTS = [
    # Q1 Monday 09:00: NEW was made after the interval began, so OLD (4) is compared.
    _fc("Q1", MON, "09:00", 4, 100, OLD, "week-ahead"),
    _fc("Q1", MON, "09:00", 50, 100, NEW, "day-ahead"),
    # Q1 Monday 09:30: NEW (2) is the latest made by 09:30.
    _fc("Q1", MON, "09:30", 10, 100, OLD, "week-ahead"),
    _fc("Q1", MON, "09:30", 2, 250, NEW, "day-ahead"),
    # Q1 Tuesday: no contacts at all; 09:00 has no AHT forecast.
    _fc("Q1", TUE, "09:00", 3, None, NEW, "day-ahead"),
    _fc("Q1", TUE, "09:30", 0, 100, NEW, "day-ahead"),
    _fc("Q2", MON, "09:00", 2, 60, OLD, "week-ahead"),
    # Q2 Tuesday 09:00: two snapshots made at the same moment (day-ahead wins, first label
    # alphabetically) and one made too late.
    _fc("Q2", TUE, "09:00", 9.6, 96, NEW, "day-ahead"),
    _fc("Q2", TUE, "09:00", 40, 96, NEW, "week-ahead"),
    _fc("Q2", TUE, "09:00", 10, 100, LATE, "week-ahead"),
]


def _contacts(queue: str, day: str, hm: str, offered: int, handle: list[float],
              prefix: str) -> list[dict]:
    """`offered` inbound contacts in the interval; the first len(handle) are answered."""
    rows = []
    for index in range(offered):
        arrived = _at(day, hm) + timedelta(minutes=index)
        row = {"contact_id": f"{prefix}{index}", "arrived_at": arrived, "queue": queue,
               "channel": "voice", "direction": "inbound", "abandoned": index >= len(handle)}
        if index < len(handle):
            row.update(answered_at=arrived + timedelta(seconds=5), talk_s=handle[index] - 20,
                       hold_s=None, wrap_s=20.0)
        rows.append(row)
    return rows


CONTACTS = [
    *_contacts("Q1", MON, "09:00", 5, [120] * 4, "a"),  # 1 abandoned
    *_contacts("Q1", MON, "09:30", 2, [150] * 2, "b"),
    *_contacts("Q2", MON, "09:00", 2, [60] * 2, "c"),
    *_contacts("Q2", TUE, "09:00", 10, [100] * 10, "d"),
    # Not counted: outbound in a forecast interval; inbound in an interval without forecast.
    {"contact_id": "out", "arrived_at": _at(MON, "09:10"), "queue": "Q1", "direction":
     "outbound", "abandoned": False, "answered_at": _at(MON, "09:10"), "talk_s": 500.0},
    *_contacts("Q2", TUE, "10:00", 3, [100] * 3, "e"),
]

# The selected forecast of each interval and its actuals, by hand:
# (queue, day, start, forecast volume, forecast AHT, offered, handled, handle seconds)
SELECTED = [
    ("Q1", MON, "09:00", 4, 100, 5, 4, 480),
    ("Q1", MON, "09:30", 2, 250, 2, 2, 300),
    ("Q1", TUE, "09:00", 3, None, 0, 0, 0),
    ("Q1", TUE, "09:30", 0, 100, 0, 0, 0),
    ("Q2", MON, "09:00", 2, 60, 2, 2, 120),
    ("Q2", TUE, "09:00", 9.6, 96, 10, 10, 1000),
]

VOLUME_IDS = ["forecast_accuracy_volume", "forecast_bias_volume",
              "intervals_within_tolerance_volume"]
AHT_IDS = ["forecast_accuracy_aht", "forecast_bias_aht", "intervals_within_tolerance_aht"]
DAY_IDS = ["days_within_tolerance_volume", "days_within_tolerance_aht"]


def _expected_intervals(rows, tolerance=0.10):
    """(value, numerator, denominator) of the six interval metrics, from plain sums."""
    err = sum(abs(a - f) for _, _, _, f, _, a, _, _ in rows)
    actual = sum(a for *_, a, _, _ in rows)
    over = sum(f - a for _, _, _, f, _, a, _, _ in rows)
    within = sum(abs(a - f) <= tolerance * a for _, _, _, f, _, a, _, _ in rows)
    with_aht = [r for r in rows if r[4] is not None]
    aht_err = sum(abs(h_s - h * aht) for *_, aht, _, h, h_s in with_aht)
    aht_over = sum(h * aht - h_s for *_, aht, _, h, h_s in with_aht)
    work = sum(h_s for *_, h_s in with_aht)
    judged = [r for r in with_aht if r[6] > 0]
    aht_within = sum(abs(h_s / h - aht) <= tolerance * h_s / h
                     for *_, aht, _, h, h_s in judged)

    def ratio(n, d, one_minus=False):
        value = None if d == 0 else (1 - n / d if one_minus else n / d)
        return (value, float(n), float(d))

    return {
        "forecast_accuracy_volume": ratio(err, actual, True),
        "forecast_bias_volume": ratio(over, actual),
        "intervals_within_tolerance_volume": ratio(within, len(rows)),
        "forecast_accuracy_aht": ratio(aht_err, work, True),
        "forecast_bias_aht": ratio(aht_over, work),
        "intervals_within_tolerance_aht": ratio(aht_within, len(judged)),
    }


def _check(got, expected):
    assert got.keys() == expected.keys()
    for metric, (value, numerator, denominator) in expected.items():
        row = got[metric]
        assert row["numerator"] == pytest.approx(numerator), metric
        assert row["denominator"] == pytest.approx(denominator), metric
        if value is None:
            assert row["value"] is None, metric
        else:
            assert row["value"] == pytest.approx(value), metric


@pytest.fixture(scope="module")
def tables():
    return memtables({"forecasts": FORECASTS, "contacts": CONTACTS})


def _by_metric(records, **keys):
    return {r["metric"]: r for r in records
            if all(r.get(k) == v for k, v in keys.items())}


def test_whole_period_by_hand(tables):
    got = _by_metric(to_records(compute(tables, VOLUME_IDS + AHT_IDS)))
    expected = _expected_intervals(SELECTED)
    _check(got, expected)
    # The same numbers written out: errors 1 + 0 + 3 + 0 + 0 + 0.4 over 19 actual contacts.
    assert got["forecast_accuracy_volume"]["value"] == pytest.approx(1 - 4.4 / 19)
    assert got["forecast_bias_volume"]["value"] == pytest.approx((-1 + 3 - 0.4) / 19)
    # Within 10%: 09:30 Q1 (exact), Tue 09:30 Q1 (0 = 0), Q2 Monday, Q2 Tuesday (0.4 <= 1).
    assert got["intervals_within_tolerance_volume"]["value"] == pytest.approx(4 / 6)
    # AHT, weighted by handled contacts: |480-400| + |300-500| + 0 + 0 + |1000-960|.
    assert got["forecast_accuracy_aht"]["value"] == pytest.approx(1 - 320 / 1900)
    # Intervals with handled contacts and an AHT forecast: Q2 Monday and Tuesday within 10%.
    assert got["intervals_within_tolerance_aht"]["value"] == pytest.approx(2 / 4)


def test_interval_grain_by_queue(tables):
    records = to_records(compute(tables, VOLUME_IDS + AHT_IDS, by=["queue"],
                                 grain="interval", interval_minutes=30))
    periods = {(r["queue"], r["period_start"]) for r in records}
    assert periods == {(q, f"{d}T{t}:00") for q, d, t, *_ in SELECTED}
    for row in SELECTED:
        queue, day, start = row[:3]
        got = _by_metric(records, queue=queue, period_start=f"{day}T{start}:00")
        expected = _expected_intervals([row])
        _check(got, expected)
    one = _by_metric(records, queue="Q1", period_start=f"{MON}T09:00:00")
    assert one["forecast_accuracy_volume"]["value"] == pytest.approx(1 - 1 / 5)
    # No contacts: accuracy undefined, numerator still reports the error of 3.
    empty = _by_metric(records, queue="Q1", period_start=f"{TUE}T09:00:00")
    assert empty["forecast_accuracy_volume"]["value"] is None
    assert empty["forecast_accuracy_volume"]["numerator"] == 3
    assert empty["intervals_within_tolerance_volume"]["value"] == 0
    zero = _by_metric(records, queue="Q1", period_start=f"{TUE}T09:30:00")
    assert zero["intervals_within_tolerance_volume"]["value"] == 1  # forecast 0, actual 0


def test_day_grain_by_queue_with_day_tolerance(tables):
    records = to_records(compute(tables, VOLUME_IDS + AHT_IDS + DAY_IDS, by=["queue"],
                                 grain="day"))
    for queue in ("Q1", "Q2"):
        for day in (MON, TUE):
            rows = [r for r in SELECTED if r[0] == queue and r[1] == day]
            got = _by_metric(records, queue=queue, period_start=f"{day}T00:00:00")
            interval_part = {k: v for k, v in got.items() if k not in DAY_IDS}
            _check(interval_part, _expected_intervals(rows))
            # Daily totals against the 5% day tolerance.
            forecast = sum(r[3] for r in rows)
            actual = sum(r[5] for r in rows)
            assert got["days_within_tolerance_volume"]["value"] == float(
                abs(actual - forecast) <= 0.05 * actual)
    # Q1 Monday: forecast 6, actual 7, outside 5%; daily AHT forecast (4x100 + 2x250) / 6 =
    # 150 against actual 780 / 6 = 130, outside 5%.
    q1_monday = _by_metric(records, queue="Q1", period_start=f"{MON}T00:00:00")
    assert q1_monday["days_within_tolerance_volume"]["value"] == 0
    assert q1_monday["days_within_tolerance_aht"]["value"] == 0
    # Q1 Tuesday has no handled contacts: no AHT day to judge.
    q1_tuesday = _by_metric(records, queue="Q1", period_start=f"{TUE}T00:00:00")
    assert q1_tuesday["days_within_tolerance_aht"]["denominator"] == 0
    # Q2 Tuesday: 9.6 vs 10 (0.4 <= 0.5) and AHT 96 vs 100 (|1000 - 960| = 40 <= 50).
    q2_tuesday = _by_metric(records, queue="Q2", period_start=f"{TUE}T00:00:00")
    assert q2_tuesday["days_within_tolerance_volume"]["value"] == 1
    assert q2_tuesday["days_within_tolerance_aht"]["value"] == 1
    whole = _by_metric(to_records(compute(tables, DAY_IDS)))
    assert whole["days_within_tolerance_volume"]["value"] == pytest.approx(2 / 4)
    assert whole["days_within_tolerance_aht"]["value"] == pytest.approx(2 / 3)


def test_week_grain_is_the_whole_fixture(tables):
    records = to_records(compute(tables, VOLUME_IDS, grain="week"))
    assert {r["period_start"] for r in records} == {"2024-03-04T00:00:00"}
    _check(_by_metric(records), {k: v for k, v in _expected_intervals(SELECTED).items()
                                 if k in VOLUME_IDS})
    only_q2 = to_records(compute(tables, VOLUME_IDS, grain="week", where={"queue": ["Q2"]}))
    _check(_by_metric(only_q2), {k: v for k, v in _expected_intervals(
        [r for r in SELECTED if r[0] == "Q2"]).items() if k in VOLUME_IDS})


def test_horizon_parameter_and_tolerances(tables):
    got = _by_metric(to_records(compute(tables, VOLUME_IDS,
                                        params={"forecast.horizon": "week-ahead"})))
    # Latest week-ahead snapshot made by each interval's start: Q1 Monday 09:00 (4) and 09:30
    # (10, OLD), Q2 Monday (2), Q2 Tuesday (40, made with the day-ahead one).
    week_ahead = [("Q1", MON, "09:00", 4, 100, 5, 4, 480), ("Q1", MON, "09:30", 10, 100, 2, 2,
                                                             300),
                  ("Q2", MON, "09:00", 2, 60, 2, 2, 120), ("Q2", TUE, "09:00", 40, 96, 10, 10,
                                                             1000)]
    _check(got, {k: v for k, v in _expected_intervals(week_ahead).items() if k in VOLUME_IDS})
    assert got["forecast_accuracy_volume"]["value"] == pytest.approx(1 - (1 + 8 + 0 + 30) / 19)
    loose = _by_metric(to_records(compute(
        tables, ["intervals_within_tolerance_volume", "days_within_tolerance_volume"],
        params={"forecast.tolerance_interval": 0.25, "forecast.tolerance_day": 0.5})))
    # 25%: Q1 Monday 09:00 (1 <= 1.25) joins the four; 50% a day: Q1 Monday (1 <= 3.5) too.
    assert loose["intervals_within_tolerance_volume"]["value"] == pytest.approx(5 / 6)
    assert loose["days_within_tolerance_volume"]["value"] == pytest.approx(3 / 4)


def test_unaligned_hour_intervals_take_their_own_contacts():
    forecasts = [_fc("Q3", MON, "09:30", 2, None, OLD, "week-ahead", interval_s=3600)]
    contacts = [*_contacts("Q3", MON, "09:25", 1, [], "x"),  # before the interval
                *_contacts("Q3", MON, "09:45", 1, [], "y"),
                *_contacts("Q3", MON, "10:20", 1, [], "z"),
                *_contacts("Q3", MON, "10:30", 1, [], "w")]  # after it
    tables = memtables({"forecasts": forecasts, "contacts": contacts})
    got = _by_metric(to_records(compute(tables, ["forecast_bias_volume"])))
    assert got["forecast_bias_volume"]["denominator"] == 2


def test_a_snapshot_made_at_the_interval_start_counts():
    start = _at(MON, "09:00")
    forecasts = [_fc("Q", MON, "09:00", 1, None, OLD, "week-ahead"),
                 _fc("Q", MON, "09:00", 3, None, start, "intraday")]
    tables = memtables({"forecasts": forecasts,
                        "contacts": _contacts("Q", MON, "09:00", 2, [], "v")})
    got = _by_metric(to_records(compute(tables, ["forecast_bias_volume"])))
    assert got["forecast_bias_volume"]["numerator"] == 3 - 2


@pytest.mark.parametrize("connect", [polars_tables, sqlite_tables])
def test_other_backends_agree(tables, connect):
    rows = {"forecasts": FORECASTS, "contacts": CONTACTS}
    for query in ({}, {"by": ["queue"], "grain": "day"}):
        ids = VOLUME_IDS + AHT_IDS + DAY_IDS
        expected = to_records(compute(tables, ids, **query))
        got = to_records(compute(connect(rows), ids, **query))
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert a == pytest.approx(b), (a, b)


def test_day_tolerance_below_day_grain_is_an_error(tables):
    for grain in ("interval", "hour"):
        with pytest.raises(CxpmError, match="forecast_days is not defined below day grain"):
            compute(tables, ["forecast_accuracy_volume", "days_within_tolerance_volume"],
                    grain=grain)


def test_explain_and_parameters(tables):
    info = explain("intervals_within_tolerance_volume", tables)
    assert info.parameters == {"forecast.horizon": "", "forecast.tolerance_interval": 0.1}
    assert info.dimensions == ["queue"]
    accuracy = explain("forecast_accuracy_volume", tables)
    assert accuracy.formula.startswith("1 - sum(volume_abs_error) / sum(actual_volume)")
    with pytest.raises(CxpmError, match="cannot be split or filtered by site"):
        compute(tables, ["forecast_accuracy_volume"], by=["site"])


def test_on_a_workspace_warehouse_in_local_time(tmp_path):
    ws = init_workspace(tmp_path / "ws", "America/New_York")
    utc = timedelta(hours=5)  # New York is UTC-5 in January

    def stored(name, rows, time_column):
        schema = arrow_schema(TABLES[name])
        full = [{**r, "local_time": r[time_column] - utc} for r in rows]
        ws.warehouse.con.insert(name, pa.Table.from_pylist(
            [{c: r.get(c) for c in schema.names} for r in full], schema=schema))

    # 23:30 local on 2024-01-08 is 04:30 UTC on the 9th; the day is the local one.
    start = datetime(2024, 1, 9, 4, 30)
    stored("forecasts", [{"queue": "Q", "interval_start": start, "interval_s": 1800.0,
                          "volume": 4.0, "aht_s": 60.0, "created_at": datetime(2024, 1, 1),
                          "horizon": "week-ahead"}], "interval_start")
    stored("contacts", [{"contact_id": f"k{i}", "arrived_at": start + timedelta(minutes=i),
                         "abandoned": False, "queue": "Q",
                         "answered_at": start + timedelta(minutes=i, seconds=3),
                         "talk_s": 60.0} for i in range(5)], "arrived_at")
    try:
        records = to_records(compute(ws.warehouse.tables(), [
            "forecast_accuracy_volume", "days_within_tolerance_volume",
            "forecast_accuracy_aht"], by=["queue"], grain="day"))
        got = _by_metric(records, queue="Q", period_start="2024-01-08T00:00:00")
        assert got["forecast_accuracy_volume"]["value"] == pytest.approx(1 - 1 / 5)
        assert got["days_within_tolerance_volume"]["value"] == 0
        assert got["forecast_accuracy_aht"]["value"] == pytest.approx(1.0)
    finally:
        ws.close()
