"""Forecasting: the plain-series contract, backtest, calendar, special days, outliers, errors."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from cxpm.errors import CxpmError
from cxpm.wfm.forecast import (
    Forecast,
    daily_ets_profile,
    forecast_series,
    infer_interval_s,
    quiet_fit,
    series_from_points,
)
from cxpm.wfm.forecast_io import write_forecast_csv

START = datetime(2026, 1, 5)  # a Monday
WEEKS = 6


def pattern(moment: datetime) -> float:
    """Expected calls per hour: weekdays 08:00-17:00, Saturday 09:00-12:00, closed Sunday."""
    weekday, hour = moment.weekday(), moment.hour
    if weekday < 5 and 8 <= hour < 17:
        return 10.0 + weekday + (hour - 8)
    if weekday == 5 and 9 <= hour < 12:
        return 4.0
    return 0.0


def hours(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(hours=i) for i in range(count)]


def write_history(path: Path, rows: list[tuple[datetime, float]], *,
                  drop_zeros: bool = False) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["interval_start", "calls"])
        for moment, calls in rows:
            if drop_zeros and calls == 0:
                continue
            writer.writerow([moment.strftime("%Y-%m-%d %H:%M:%S"), f"{calls:g}"])
    return path


def exact_history(weeks: int = WEEKS) -> list[tuple[datetime, float]]:
    return [(t, pattern(t)) for t in hours(START, weeks * 7 * 24)]


def noisy_history(weeks: int = WEEKS, seed: int = 7) -> list[tuple[datetime, float]]:
    rng = np.random.default_rng(seed)
    return [(t, float(rng.poisson(pattern(t)))) for t in hours(START, weeks * 7 * 24)]


def read_output(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_series_contract_rows_exactly_at_open_intervals(tmp_path, forecast_cli):
    # zero rows left out of the file: the grid and calendar are still inferred
    history = write_history(tmp_path / "h.csv", exact_history(), drop_zeros=True)
    train_end = datetime(2026, 2, 11, 11, 0)  # a Wednesday, mid-day
    out = tmp_path / "f.csv"
    result = forecast_cli("forecast", "series", history, "--train-end",
                          train_end.strftime("%Y-%m-%d %H:%M:%S"), "--horizon-days", "7",
                          "--output", out, "--model", "weekly_profile")
    assert result.exit_code == 0, result.stderr
    rows = read_output(out)
    assert list(rows[0]) == ["interval_start", "forecast"]
    expected = [t for t in hours(train_end + timedelta(hours=1), 7 * 24) if pattern(t) > 0]
    assert [r["interval_start"] for r in rows] == [t.strftime("%Y-%m-%d %H:%M:%S")
                                                   for t in expected]
    # an exactly repeating week is forecast exactly
    assert [float(r["forecast"]) for r in rows] == pytest.approx([pattern(t) for t in expected])


def test_auto_model_on_half_hour_grid_keeps_the_contract(tmp_path, forecast_cli):
    rng = np.random.default_rng(3)
    rows = [(START + timedelta(minutes=30 * i), 0.0) for i in range(5 * 7 * 48)]
    rows = [(t, float(rng.poisson(pattern(t)))) for t, _ in rows]
    history = write_history(tmp_path / "h.csv", rows)
    out = tmp_path / "f.csv"
    result = forecast_cli("forecast", "series", history, "--train-end", "2026-02-01 23:30:00",
                          "--horizon-days", "3", "--output", out)
    assert result.exit_code == 0, result.stderr
    got = read_output(out)
    first = datetime(2026, 2, 2)
    grid = [first + timedelta(minutes=30 * i) for i in range(3 * 48)]
    assert [r["interval_start"] for r in got] == [
        t.strftime("%Y-%m-%d %H:%M:%S") for t in grid if pattern(t) > 0]
    assert all(float(r["forecast"]) >= 0 for r in got)


def test_seasonal_naive_is_the_same_interval_one_week_earlier():
    data = noisy_history()
    series = series_from_points([t for t, _ in data], [c for _, c in data])
    train_end = datetime(2026, 2, 8, 23, 0)
    result = forecast_series(series, train_end, 7, model="seasonal_naive")
    calls = dict(data)
    for start, value in zip(result.starts, result.values, strict=True):
        assert value == calls[start - timedelta(days=7)]


def test_fitting_on_a_short_history_leaks_no_runtime_warning(recwarn):
    # two weeks of daily totals leave AutoETS no degrees of freedom for its variance: it
    # divides by zero inside statsforecast, which must not reach the user's terminal
    data = noisy_history(weeks=2)
    values = np.array([c for _, c in data])
    predicted = daily_ets_profile(values, 7 * 24, 24)
    assert len(predicted) == 24 and np.all(np.isfinite(predicted))
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []
    with pytest.raises(ValueError, match="boom"), quiet_fit():
        raise ValueError("boom")


def test_backtest_reports_wape_per_model_and_winner(tmp_path, forecast_cli):
    data = noisy_history()
    history = write_history(tmp_path / "h.csv", data)
    result = forecast_cli("forecast", "backtest", history, "--horizon-days", "7", "--folds",
                          "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    scores = {s["model"]: s for s in report["scores"]}
    assert report["baseline"] == "seasonal_naive"
    assert {"seasonal_naive", "weekly_profile"} <= set(scores)
    assert report["winner"] == min(scores, key=lambda m: (scores[m]["interval_wape"], m))
    # seasonal naive by hand over the last two weeks: |a(t) - a(t - 7 days)| / a(t)
    calls = dict(data)
    window = [t for t, _ in data[-14 * 24:]]
    error = sum(abs(calls[t] - calls[t - timedelta(days=7)]) for t in window)
    assert scores["seasonal_naive"]["interval_wape"] == pytest.approx(
        error / sum(calls[t] for t in window))
    daily: dict[date, list[float]] = {}
    for t in window:
        pair = daily.setdefault(t.date(), [0.0, 0.0])
        pair[0] += calls[t]
        pair[1] += calls[t - timedelta(days=7)]
    assert scores["seasonal_naive"]["day_wape"] == pytest.approx(
        sum(abs(a - f) for a, f in daily.values()) / sum(a for a, _ in daily.values()))
    gain = 1 - scores[report["winner"]]["interval_wape"] / scores["seasonal_naive"][
        "interval_wape"]
    assert report["improvement_vs_baseline"] == pytest.approx(gain)


def test_backtest_table_output(tmp_path, forecast_cli):
    history = write_history(tmp_path / "h.csv", noisy_history())
    result = forecast_cli("forecast", "backtest", history, "--folds", "1")
    assert result.exit_code == 0, result.stderr
    assert "winner:" in result.stdout and "seasonal_naive" in result.stdout


def test_special_days_are_left_out_of_training_and_closed_in_the_horizon():
    holiday_in_history = date(2026, 2, 4)  # a Wednesday
    holiday_in_horizon = date(2026, 2, 12)  # a Thursday
    data = [(t, 0.0 if t.date() == holiday_in_history else c) for t, c in exact_history()]
    series = series_from_points([t for t, _ in data], [c for _, c in data])
    train_end = datetime(2026, 2, 8, 23, 0)
    result = forecast_series(series, train_end, 7, model="seasonal_naive",
                             special_days=[holiday_in_history, holiday_in_horizon])
    expected = [t for t in hours(datetime(2026, 2, 9), 7 * 24)
                if pattern(t) > 0 and t.date() != holiday_in_horizon]
    assert result.starts == expected
    # the masked holiday counts as no history: seasonal naive gives 0 on its weekday slots,
    # the weekly profile ignores it and gives the usual volume
    profile = forecast_series(series, train_end, 7, model="weekly_profile",
                              special_days=[holiday_in_history, holiday_in_horizon])
    assert profile.values == pytest.approx([pattern(t) for t in expected])


def test_an_outlier_does_not_move_the_weekly_profile():
    spike = datetime(2026, 2, 3, 10, 0)
    data = [(t, 500.0 if t == spike else c) for t, c in exact_history()]
    series = series_from_points([t for t, _ in data], [c for _, c in data])
    result = forecast_series(series, datetime(2026, 2, 8, 23, 0), 7, model="weekly_profile")
    assert result.values == pytest.approx([pattern(t) for t in result.starts])


def test_calendar_follows_recent_weeks_not_old_ones():
    # Saturdays were open in the first weeks only: eight recent closed Saturdays close it
    data = [(t, 5.0 if t.weekday() == 5 and t < datetime(2026, 1, 12) and 9 <= t.hour < 12
             else pattern(t) if t.weekday() != 5 else 0.0) for t, _ in exact_history(10)]
    series = series_from_points([t for t, _ in data], [c for _, c in data])
    result = forecast_series(series, datetime(2026, 3, 15, 23, 0), 7)
    assert all(t.weekday() < 5 for t in result.starts)


@pytest.mark.parametrize(("content", "message"), [
    ("when,calls\n2026-01-05 00:00:00,1\n", "missing column(s) interval_start"),
    ("interval_start,calls\n2026-01-05 00:00:00,abc\n", "calls is not a number"),
    ("interval_start,calls\n2026-01-05 00:00:00,-1\n", "calls must be ≥ 0"),
    ("interval_start,calls\n2026-01-05 00:00:00,1\n2026-01-05 01:00:00,inf\n",
     "line 3: calls must be a finite number, got 'inf'"),
    ("interval_start,calls\n2026-01-05 00:00:00,nan\n", "line 2: calls must be a finite number"),
    ("interval_start,calls\n2026-01-05 00:00:00,-inf\n", "calls must be a finite number"),
    ("interval_start,calls\nyesterday,1\n", "line 2"),
    ("interval_start,calls\n", "no data rows"),
    ("interval_start,calls\n2026-01-05 00:00:00,1\n2026-01-05 00:00:00,2\n", "duplicate"),
    ("interval_start,calls\n2026-01-05 00:00:00,1\n2026-01-05 00:00:07,2\n", "regular grid"),
])
def test_bad_csv_is_a_one_line_error(tmp_path, forecast_cli, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = forecast_cli("forecast", "series", path, "--train-end", "2026-01-20 00:00:00",
                          "--horizon-days", "1", "--output", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "out.csv").exists()


def test_a_stray_row_off_the_grid_is_an_error_naming_its_line(tmp_path, forecast_cli):
    # a 6-minute file with one row at 00:07: the grid must stay 6 minutes, not become 1 minute
    rows = [(START + timedelta(minutes=6 * i), 1.0) for i in range(20 * 240)]
    rows.insert(2, (START + timedelta(minutes=7), 1.0))
    history = write_history(tmp_path / "h.csv", rows)
    result = forecast_cli("forecast", "series", history, "--train-end", "2026-01-24 23:54:00",
                          "--horizon-days", "1", "--output", tmp_path / "out.csv",
                          "--model", "weekly_profile")
    assert result.exit_code == 1
    # header is line 1, so the third data row is line 4
    assert "line 4: interval start 2026-01-05 00:07:00 is off the 6-minute grid" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "out.csv").exists()


def test_grid_is_the_most_common_gap_even_with_left_out_zero_rows():
    # every other 15-minute row is left out most of the day: gaps of 15 and 30 minutes
    starts = [START + timedelta(minutes=15 * i) for i in range(96) if i < 60 or i % 2 == 0]
    assert infer_interval_s(starts) == 15 * 60
    with pytest.raises(CxpmError, match="2026-01-05 00:07:00 is off the 15-minute grid"):
        infer_interval_s([*starts, START + timedelta(minutes=7)])


def test_output_in_a_missing_folder_is_a_one_line_error(tmp_path, forecast_cli):
    history = write_history(tmp_path / "h.csv", exact_history(3))
    out = tmp_path / "missing" / "f.csv"
    result = forecast_cli("forecast", "series", history, "--train-end", "2026-01-25 23:00:00",
                          "--horizon-days", "1", "--output", out, "--model", "weekly_profile")
    assert result.exit_code == 1
    assert f"cannot write {out}: folder {out.parent} does not exist" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    out = tmp_path / "f.csv"
    out.write_text("previous\n")
    # more starts than values: the write fails after the header and some rows
    broken = Forecast("weekly_profile", 3600, [START, START + timedelta(hours=1)],
                      np.array([1.0]))
    with pytest.raises(ValueError):
        write_forecast_csv(broken, out)
    assert out.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]
    fresh = tmp_path / "g.csv"
    with pytest.raises(ValueError):
        write_forecast_csv(broken, fresh)
    assert not fresh.exists() and [p.name for p in tmp_path.iterdir()] == ["f.csv"]


@pytest.mark.parametrize(("train_end", "message"), [
    ("2026-01-10 23:00:00", "too little history"),
    ("2026-01-20 10:30:00", "not an interval start"),
    ("20.01.2026", "expected a local time"),
    ("2026-01-20 10:00:00+02:00", "naive local time"),
    ("2026-05-01 00:00:00", "more than a day after"),
])
def test_bad_train_end_is_a_one_line_error(tmp_path, forecast_cli, train_end, message):
    history = write_history(tmp_path / "h.csv", exact_history(3))
    result = forecast_cli("forecast", "series", history, "--train-end", train_end,
                          "--horizon-days", "1", "--output", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_backtest_with_too_little_history_is_a_one_line_error(tmp_path, forecast_cli):
    history = write_history(tmp_path / "h.csv", exact_history(3))
    result = forecast_cli("forecast", "backtest", history, "--horizon-days", "7", "--folds",
                          "2")
    assert result.exit_code == 1
    assert "too little history" in result.stderr


@pytest.fixture
def forecast_cli(cli):
    return cli
