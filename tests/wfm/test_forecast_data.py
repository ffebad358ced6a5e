"""Forecasting on the real Anonymous Bank arrivals (6-minute intervals, all of 1999)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cxpm.wfm.forecast import forecast_series
from cxpm.wfm.forecast_backtest import backtest
from cxpm.wfm.forecast_io import read_series_csv

DATA = Path(__file__).parents[1] / "data" / "anonymous-bank" / "arrivals-1999-6min.csv"


@pytest.fixture(scope="module")
def raw() -> dict[datetime, float]:
    with DATA.open(newline="") as handle:
        return {datetime.fromisoformat(r["interval_start"]): float(r["calls"])
                for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def series():
    return read_series_csv(DATA)


def test_file_is_the_full_year(raw):
    assert len(raw) == 87_600
    assert min(raw) == datetime(1999, 1, 1) and max(raw) == datetime(1999, 12, 31, 23, 54)


def test_calendar_matches_recent_activity_and_closes_saturday(series, raw):
    train_end = datetime(1999, 6, 5, 23, 54)  # a Saturday night
    result = forecast_series(series, train_end, 7)
    # by hand: a weekday-interval is open when it had calls in at least 2 of the last 8 weeks
    expected = []
    for step in range(1, 7 * 240 + 1):
        moment = train_end + timedelta(minutes=6 * step)
        busy = sum(raw[moment - timedelta(weeks=w)] > 0 for w in range(1, 9))
        if busy >= 2:
            expected.append(moment)
    assert result.starts == expected
    saturday_day = [t for t in result.starts if t.weekday() == 5 and 13 <= t.hour < 17]
    assert saturday_day == []


def test_weekly_profile_beats_seasonal_naive_by_15_percent(series, raw):
    report = backtest(series, 7, 4, models=["seasonal_naive", "weekly_profile"])
    scores = {s.model: s for s in report.scores}
    # seasonal naive by hand over the last four weeks: last week's calls at intervals open in
    # the fold's calendar (calls in at least 2 of the 8 weeks before the fold), else 0
    error = actual = 0.0
    for fold in range(4):
        origin = datetime(1999, 12, 31, 23, 54) - timedelta(weeks=4 - fold)
        for step in range(1, 1681):
            t = origin + timedelta(minutes=6 * step)
            busy = sum(raw[t - timedelta(weeks=w + 1)] > 0 for w in range(8))
            predicted = raw[t - timedelta(weeks=1)] if busy >= 2 else 0.0
            error += abs(raw[t] - predicted)
            actual += raw[t]
    assert scores["seasonal_naive"].interval_wape == pytest.approx(error / actual)
    assert scores["weekly_profile"].interval_wape <= 0.85 * scores["seasonal_naive"].interval_wape
