"""Rolling-origin backtest of the forecast models on one series, and model choice by it.

Fold k (k = K..1) trains on everything up to `last - k·horizon` and forecasts the following
`horizon` days. Errors are pooled over folds as WAPE = Σ|actual − forecast| / Σ actual, at
interval level and on daily totals; an interval without a forecast row counts as forecast 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.wfm.forecast import (
    BASELINE,
    DAY_S,
    MIN_HISTORY_DAYS,
    Series,
    candidate_models,
    forecast_series,
)


class ModelScore(BaseModel):
    model: str
    interval_wape: float
    day_wape: float


class BacktestResult(BaseModel):
    interval_s: int
    horizon_days: float
    folds: int
    train_ends: list[datetime]
    scores: list[ModelScore]
    baseline: str
    winner: str
    improvement_vs_baseline: float | None
    """1 − winner's interval WAPE / baseline's interval WAPE."""


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    total = float(np.sum(actual))
    return float(np.sum(np.abs(actual - forecast)) / total) if total > 0 else float("nan")


def fold_train_ends(series: Series, horizon_days: float, folds: int) -> list[datetime]:
    """Origins, oldest first: the last fold's window ends at the series' last interval."""
    if folds < 1:
        raise CxpmError("--folds must be at least 1")
    if horizon_days <= 0:
        raise CxpmError("--horizon-days must be positive")
    last = series.time_at(len(series.values) - 1)
    ends = [last - timedelta(days=horizon_days * k) for k in range(folds, 0, -1)]
    if (ends[0] - series.start).total_seconds() < MIN_HISTORY_DAYS * DAY_S - series.interval_s:
        raise CxpmError(f"too little history for {folds} folds of {horizon_days:g} days: the "
                        f"first fold needs {MIN_HISTORY_DAYS} days of history before it")
    return ends


def backtest(series: Series, horizon_days: float, folds: int,
             models: Sequence[str] | None = None,
             special_days: Sequence[date] = ()) -> BacktestResult:
    names = list(models or candidate_models(series.interval_s))
    if BASELINE not in names:
        names.insert(0, BASELINE)
    ends = fold_train_ends(series, horizon_days, folds)
    horizon = round(horizon_days * DAY_S) // series.interval_s
    actual_parts: list[np.ndarray] = []
    day_keys: list[np.ndarray] = []
    predicted: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for fold, end in enumerate(ends):
        first = series.position_of(end) + 1
        actual = series.values[first: first + horizon]
        actual_parts.append(actual)
        days = (first + np.arange(len(actual))) // series.per_day
        day_keys.append(days + fold * (10 ** 7))  # folds may overlap in days; keep them apart
        for name in names:
            result = forecast_series(series, end, horizon_days, model=name,
                                     special_days=special_days)
            dense = np.zeros(len(actual))
            steps = [int((s - end).total_seconds()) // series.interval_s - 1
                     for s in result.starts]
            dense[steps] = result.values
            predicted[name].append(dense)
    actual_all = np.concatenate(actual_parts)
    keys = np.concatenate(day_keys)
    _, day_index = np.unique(keys, return_inverse=True)
    actual_days = np.bincount(day_index, weights=actual_all)
    scores = []
    for name in names:
        forecast_all = np.concatenate(predicted[name])
        scores.append(ModelScore(
            model=name,
            interval_wape=wape(actual_all, forecast_all),
            day_wape=wape(actual_days, np.bincount(day_index, weights=forecast_all)),
        ))
    best = min(scores, key=lambda s: (np.nan_to_num(s.interval_wape, nan=np.inf), s.model))
    base = next(s for s in scores if s.model == BASELINE)
    improvement = (1 - best.interval_wape / base.interval_wape
                   if base.interval_wape and np.isfinite(base.interval_wape) else None)
    return BacktestResult(interval_s=series.interval_s, horizon_days=horizon_days, folds=folds,
                          train_ends=ends, scores=scores, baseline=BASELINE, winner=best.model,
                          improvement_vs_baseline=improvement)
