"""Demand: expected arrivals with intraday and weekly seasonality, the imperfect forecast, and
Erlang C staffing requirements."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxpm.demo.operation import (
    CHANNELS,
    EMAIL_FROM,
    EMAIL_TO,
    INTERVAL_S,
    INTERVALS_PER_DAY,
    OPEN_FROM,
    OPEN_TO,
    WEEKDAY_FACTOR,
    Program,
)

SERVICE_GOAL = 0.75  # staffed for 75% answered within the threshold: a lean plan
_HOURS = (np.arange(INTERVALS_PER_DAY) + 0.5) / 2


def intraday_profile(channel: str) -> np.ndarray:
    """Share of a day's arrivals per half-hour interval (sums to 1)."""
    peaks = (np.exp(-((_HOURS - 10.5) ** 2) / 5.0) + 0.85 * np.exp(-((_HOURS - 14.5) ** 2) / 8.0)
             + 0.45 * np.exp(-((_HOURS - 19.5) ** 2) / 6.0))
    if channel == "voice":
        shape = np.where((np.arange(INTERVALS_PER_DAY) >= OPEN_FROM)
                         & (np.arange(INTERVALS_PER_DAY) < OPEN_TO), peaks + 0.12, 0.0)
    elif channel in ("chat", "messaging", "self_service"):
        # Digital channels reach the bot around the clock, later in the evening than voice.
        shape = peaks + 0.35 * np.exp(-((_HOURS - 21.0) ** 2) / 4.0) + 0.03
    else:
        shape = peaks + 0.08
    return shape / shape.sum()


def expected_arrivals(program: Program, channel: str, weekdays: np.ndarray,
                      scale: float) -> np.ndarray:
    """Expected customer-initiated arrivals, shape (days, intervals)."""
    daily = program.daily_volume * program.channel_mix[channel] * scale
    factors = np.asarray(WEEKDAY_FACTOR)[weekdays]
    return daily * factors[:, None] * intraday_profile(channel)[None, :]


def draw_arrival_times(rng: np.random.Generator, rate: np.ndarray,
                       day_base: np.ndarray) -> np.ndarray:
    """Poisson arrivals per interval placed uniformly inside it; sorted UTC seconds."""
    counts = rng.poisson(rate)
    flat = counts.ravel()
    starts = (day_base[:, None] + np.arange(INTERVALS_PER_DAY)[None, :] * INTERVAL_S).ravel()
    times = np.repeat(starts, flat) + rng.integers(0, INTERVAL_S, flat.sum())
    return np.sort(times)


def erlang_c_agents(volume: np.ndarray, aht_s: np.ndarray, threshold_s: float,
                    target: float = 0.8, max_agents: int = 400) -> np.ndarray:
    """Fewest agents per interval meeting `target` answered within `threshold_s` (Erlang C)."""
    load = volume * aht_s / INTERVAL_S
    result = np.zeros(load.shape)
    pending = load > 0
    if not pending.any():
        return result
    # Erlang B by recursion, then Erlang C and the service level for n agents.
    erlang_b = np.ones(load.shape)
    for n in range(1, max_agents + 1):
        erlang_b = load * erlang_b / (n + load * erlang_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            wait_p = n * erlang_b / (n - load * (1 - erlang_b))
            service = 1 - wait_p * np.exp(-(n - load) * threshold_s / np.maximum(aht_s, 1))
        ok = pending & (n > load) & (service >= target)
        result[ok] = n
        pending &= ~ok
        if not pending.any():
            break
    result[pending] = np.ceil(load[pending]) + 1
    return result


@dataclass
class QueueForecast:
    queue: str
    channel: str
    volume: np.ndarray  # (days, intervals) forecast volume
    aht_s: float
    required: np.ndarray  # (days, intervals) agents needed on the queue


def forecast_queue(rng: np.random.Generator, queue: str, channel: str,
                   expected: np.ndarray, bias: float, weekdays: np.ndarray) -> QueueForecast:
    """A deliberately imperfect week-ahead forecast of one live queue."""
    days = expected.shape[0]
    weeks = np.cumsum(np.r_[0, (weekdays[1:] == 0)])
    week_error = rng.normal(0.0, 0.05, weeks.max() + 1)[weeks]
    noise = rng.normal(0.0, 0.07, expected.shape)
    volume = np.maximum(expected * (1 + bias + week_error[:, None] + noise), 0.0)
    model = CHANNELS[channel]
    aht = (model.talk_s + model.hold_share * model.hold_s + model.wrap_s) * 0.97
    required = staffing_requirement(volume, aht, channel)
    assert required.shape == (days, INTERVALS_PER_DAY)
    return QueueForecast(queue, channel, volume, aht, required)


def staffing_requirement(volume: np.ndarray, aht_s: float, channel: str) -> np.ndarray:
    if channel == "email":
        # Email is worked from a backlog during desk hours: spread each day's workload evenly.
        desk = np.zeros(INTERVALS_PER_DAY)
        desk[EMAIL_FROM:EMAIL_TO] = 1.0
        workload = volume.sum(axis=1) * aht_s / INTERVAL_S / 0.85
        return workload[:, None] * desk[None, :] / desk.sum()
    model = CHANNELS[channel]
    sessions = erlang_c_agents(volume, np.full(volume.shape, aht_s), model.sl_threshold_s,
                               target=SERVICE_GOAL)
    required = np.ceil(sessions / model.concurrency)
    open_mask = np.zeros(INTERVALS_PER_DAY, dtype=bool)
    open_mask[OPEN_FROM:OPEN_TO] = True
    return np.where(open_mask[None, :], np.maximum(required, 1.0), 0.0)
