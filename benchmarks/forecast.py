"""Forecast benchmark: N queues × one year of 30-minute history, two-week horizon.

Each queue gets a synthetic Poisson arrival series (weekly and intraday pattern, closed
nights and Saturdays, a level that drifts, a few holidays) plus handle times; the benchmark
then runs what `cxpm forecast` runs per queue — model choice by rolling-origin backtest,
volume forecast, AHT forecast — and prints wall time and peak memory.

    python benchmarks/forecast.py [--queues 200] [--weeks 52] [--horizon-days 14]

Goal (issue 3): 200 queues in under 120 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

import numpy as np
from peak_memory import peak_rss_mb

from cxpm.wfm.forecast import Series
from cxpm.wfm.forecast_workspace import forecast_queue

INTERVAL_S = 1800
PER_DAY = 86_400 // INTERVAL_S
START = datetime(2025, 1, 6)  # a Monday


def synthetic_queue(rng: np.random.Generator, weeks: int) -> tuple[Series, np.ndarray,
                                                                     np.ndarray]:
    positions = np.arange(weeks * 7 * PER_DAY)
    day, slot = positions // PER_DAY, positions % PER_DAY
    weekday = day % 7
    hour = slot / 2
    open_now = (hour >= 8) & (hour < 20) & (weekday != 5)
    shape = np.exp(-((hour - 11) / 3) ** 2) + 0.7 * np.exp(-((hour - 15) / 3) ** 2)
    level = rng.uniform(2, 40) * (1 + 0.2 * np.sin(2 * np.pi * day / 365))
    rate = np.where(open_now, level * shape * (1 - 0.1 * weekday / 6), 0.0)
    calls = rng.poisson(rate).astype(float)
    holidays = rng.choice(weeks * 7, size=4, replace=False)
    calls[np.isin(day, holidays)] = 0.0
    handled = np.floor(calls * 0.95)
    handle_s = handled * rng.uniform(180, 420)
    return Series(START, INTERVAL_S, calls), handled, handle_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--horizon-days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    queues = [synthetic_queue(rng, args.weeks) for _ in range(args.queues)]
    train_end = queues[0][0].time_at(len(queues[0][0].values) - 1)
    # statsforecast compiles its models with numba on first use: warm up outside the clock
    forecast_queue("warm-up", *queues[0], train_end, args.horizon_days, [])

    started = time.perf_counter()
    rows = 0
    models: dict[str, int] = {}
    gains = []
    for number, (series, handled, handle_s) in enumerate(queues):
        summary, result, aht = forecast_queue(f"q{number}", series, handled, handle_s,
                                              train_end, args.horizon_days, [])
        rows += len(result.starts)
        models[summary.model] = models.get(summary.model, 0) + 1
        if summary.backtest_wape is not None and summary.baseline_wape:
            gains.append(1 - summary.backtest_wape / summary.baseline_wape)
        assert len(aht) == len(result.starts)
    elapsed = time.perf_counter() - started

    print(f"queues: {args.queues}, history: {args.weeks} weeks of 30-minute intervals, "
          f"horizon: {args.horizon_days} days")
    print(f"forecast rows: {rows:,}")
    print(f"models chosen: {', '.join(f'{m} {n}' for m, n in sorted(models.items()))}")
    if gains:
        print(f"median backtest interval-WAPE gain vs seasonal naive: "
              f"{np.median(gains) * 100:.1f}%")
    print(f"wall time: {elapsed:.1f} s ({elapsed / args.queues * 1000:.0f} ms per queue)")
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
