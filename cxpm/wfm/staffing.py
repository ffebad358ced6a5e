"""Fewest agents meeting service targets, per interval, with Erlang C or Erlang A.

The search is vectorised over intervals: every step evaluates the queue formulas for all the
intervals still undecided at once (an exponential search for a passing count, then bisection),
so the Python loop runs O(log agents) times, never once per interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike

from cxpm.errors import CxpmError
from cxpm.wfm.erlang import Array, QueueMetrics, erlang_a, erlang_b, erlang_c


class Model(StrEnum):
    erlang_c = "erlang-c"
    erlang_a = "erlang-a"


@dataclass(frozen=True)
class Targets:
    """Service targets; any left as None does not constrain. Service level is the share of
    all arrivals answered within `sl_seconds`."""

    sl_target: float | None = None
    sl_seconds: float = 20.0
    asa_target: float | None = None
    max_occupancy: float | None = None
    max_abandon: float | None = None

    def is_empty(self) -> bool:
        return (self.sl_target is None and self.asa_target is None
                and self.max_occupancy is None and self.max_abandon is None)


@dataclass(frozen=True)
class Staffing:
    """Agents per interval and the queue figures evaluated at that number."""

    agents: Array
    scheduled_agents: Array
    metrics: QueueMetrics


def validate(targets: Targets, model: Model, patience: ArrayLike | None,
             shrinkage: float = 0.0, concurrency: int = 1) -> None:
    """One-line CxpmError for a target no staffing can meet or a missing model input."""
    def fraction(name: str, value: float | None, upper_inclusive: bool = False) -> None:
        if value is None:
            return
        ok = 0 < value <= 1 if upper_inclusive else 0 < value < 1
        if not (math.isfinite(value) and ok):
            bound = "(0, 1]" if upper_inclusive else "(0, 1)"
            raise CxpmError(f"{name} must be in {bound}, got {value}")

    fraction("sl-target", targets.sl_target)
    fraction("max-occupancy", targets.max_occupancy, upper_inclusive=True)
    fraction("max-abandon", targets.max_abandon)
    if not (math.isfinite(targets.sl_seconds) and targets.sl_seconds >= 0):
        raise CxpmError(f"sl-seconds must be zero or more, got {targets.sl_seconds}")
    if targets.asa_target is not None and not (
            math.isfinite(targets.asa_target) and targets.asa_target > 0):
        raise CxpmError(f"asa-target must be more than 0 seconds, got {targets.asa_target}")
    if not (0 <= shrinkage < 1):
        raise CxpmError(f"shrinkage must be in [0, 1), got {shrinkage}")
    if concurrency < 1:
        raise CxpmError(f"concurrency must be 1 or more, got {concurrency}")
    if model is Model.erlang_a:
        if patience is None:
            raise CxpmError("erlang-a needs the mean patience (--patience SECONDS, or a "
                            "patience_s column)")
        values = np.asarray(patience, dtype=float)
        if not np.all(np.isfinite(values) & (values > 0)):
            raise CxpmError("patience must be a positive number of seconds")
    elif targets.max_abandon is not None:
        raise CxpmError("max-abandon needs --model erlang-a (Erlang C has no abandonment)")


def evaluate(agents: ArrayLike, volume: ArrayLike, interval_s: ArrayLike, aht: ArrayLike, *,
             model: Model = Model.erlang_c, sl_seconds: float = 20.0,
             patience: ArrayLike | None = None, concurrency: int = 1) -> QueueMetrics:
    """Queue figures with `agents` agents, each taking up to `concurrency` contacts at once
    (so agents x concurrency servers). Occupancy is the busy share of those servers."""
    load = np.asarray(volume, dtype=float) * np.asarray(aht, dtype=float) / np.asarray(
        interval_s, dtype=float)
    servers = np.asarray(agents, dtype=float) * concurrency
    if model is Model.erlang_a:
        return erlang_a(servers, load, aht, patience, sl_seconds)
    return erlang_c(servers, load, aht, sl_seconds)


def _meets(metrics: QueueMetrics, targets: Targets) -> Array:
    ok = np.ones(np.shape(metrics.p_wait), dtype=bool)
    slack = 1e-12
    if targets.sl_target is not None:
        ok &= metrics.service_level >= targets.sl_target - slack
    if targets.asa_target is not None:
        ok &= metrics.asa <= targets.asa_target + slack
    if targets.max_occupancy is not None:
        ok &= metrics.occupancy <= targets.max_occupancy + slack
    if targets.max_abandon is not None:
        ok &= metrics.p_abandon <= targets.max_abandon + slack
    return ok


def required_agents(volume: ArrayLike, interval_s: ArrayLike, aht: ArrayLike,
                    targets: Targets, *, model: Model = Model.erlang_c,
                    patience: ArrayLike | None = None, concurrency: int = 1,
                    fractional: bool = False) -> Array:
    """Fewest agents meeting every target, per interval (0 where no contacts arrive).
    With `fractional`, the smallest real number of agents under the continuous extension
    of the formulas (useful for smooth plans; round up before rostering)."""
    validate(targets, model, patience, concurrency=concurrency)
    if targets.is_empty():
        raise CxpmError("give at least one target (service level, ASA, occupancy or "
                        "abandonment)")
    vol, length, handle = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                                for v in (volume, interval_s, aht)))
    shape = vol.shape
    vol, length, handle = (np.ravel(v) for v in (vol, length, handle))
    if np.any(~np.isfinite(vol) | (vol < 0)):
        raise CxpmError("volume must be a finite number of contacts, zero or more")
    if np.any(~np.isfinite(length) | (length <= 0)):
        raise CxpmError("interval length must be more than 0")
    if np.any(~np.isfinite(handle) | (handle <= 0)):
        raise CxpmError("aht must be more than 0 seconds")
    pat = None if patience is None else np.ravel(np.broadcast_to(
        np.asarray(patience, dtype=float), shape))
    load = vol * handle / length

    def passes(agents: Array, index: Array) -> Array:
        metrics = evaluate(agents, vol[index], length[index], handle[index], model=model,
                           sl_seconds=targets.sl_seconds,
                           patience=None if pat is None else pat[index],
                           concurrency=concurrency)
        return _meets(metrics, targets)

    # lo always fails, hi always passes.
    per_agent = load / concurrency
    lo = np.zeros(vol.shape)
    if model is Model.erlang_c:
        lo = np.floor(per_agent)  # Erlang C needs more servers than erlangs
    if targets.max_occupancy is not None and model is Model.erlang_c:
        lo = np.maximum(lo, np.ceil(per_agent / targets.max_occupancy - 1e-9) - 1)
    busy = vol > 0
    hi = lo + 1
    index = np.flatnonzero(busy)
    step = np.ones(index.shape)
    while index.size:
        ok = passes(hi[index], index)
        lo[index[~ok]] = hi[index[~ok]]
        step = step[~ok] * 2
        index = index[~ok]
        hi[index] = lo[index] + step
    index = np.flatnonzero(busy & (hi - lo > 1))
    while index.size:
        mid = np.floor((lo[index] + hi[index]) / 2)
        ok = passes(mid, index)
        hi[index[ok]] = mid[ok]
        lo[index[~ok]] = mid[~ok]
        index = index[hi[index] - lo[index] > 1]
    agents = np.where(busy, hi, 0.0)
    if fractional:
        index = np.flatnonzero(busy)
        low, high = np.maximum(agents[index] - 1, 0.0), agents[index].copy()
        for _ in range(48):
            mid = (low + high) / 2
            ok = passes(mid, index)
            high = np.where(ok, mid, high)
            low = np.where(ok, low, mid)
        agents[index] = high
    return agents.reshape(shape)


def scheduled_agents(agents: ArrayLike, shrinkage: float, *, fractional: bool = False
                     ) -> Array:
    """Agents to schedule so that `agents` remain on queue after shrinkage:
    ceil(agents / (1 - shrinkage)), or the unrounded ratio for fractional plans."""
    if not (0 <= shrinkage < 1):
        raise CxpmError(f"shrinkage must be in [0, 1), got {shrinkage}")
    raw = np.asarray(agents, dtype=float) / (1 - shrinkage)
    # 14 / 0.7 is 20.000000000000004 in floating point; that is 20 agents, not 21.
    # + 0.0 turns ceil(-1e-9) = -0.0 (no contacts) into 0, which prints as "0", not "-0".
    return raw if fractional else np.ceil(raw - 1e-9 * np.maximum(raw, 1.0)) + 0.0


def staff(volume: ArrayLike, interval_s: ArrayLike, aht: ArrayLike, targets: Targets, *,
          model: Model = Model.erlang_c, patience: ArrayLike | None = None,
          shrinkage: float = 0.0, concurrency: int = 1, agents: ArrayLike | None = None,
          fractional: bool = False) -> Staffing:
    """Required agents (or the given `agents`), scheduled agents and the figures at that
    number, per interval."""
    validate(targets, model, patience, shrinkage, concurrency)
    if agents is None:
        chosen = required_agents(volume, interval_s, aht, targets, model=model,
                                 patience=patience, concurrency=concurrency,
                                 fractional=fractional)
    else:
        chosen = np.broadcast_to(np.asarray(agents, dtype=float),
                                 np.broadcast(np.asarray(volume), np.asarray(aht)).shape)
        if np.any(~np.isfinite(chosen) | (chosen < 0)):
            raise CxpmError("agents must be zero or more")
    metrics = evaluate(chosen, volume, interval_s, aht, model=model,
                       sl_seconds=targets.sl_seconds, patience=patience,
                       concurrency=concurrency)
    return Staffing(agents=np.asarray(chosen, dtype=float),
                    scheduled_agents=scheduled_agents(chosen, shrinkage, fractional=fractional),
                    metrics=metrics)


def lines_for_blocking(load: ArrayLike, max_blocking: float) -> Array:
    """Fewest lines (trunks) whose Erlang B blocking is at most `max_blocking`."""
    if not (0 < max_blocking < 1):
        raise CxpmError(f"blocking target must be in (0, 1), got {max_blocking}")
    shape = np.shape(load)
    a = np.ravel(np.asarray(load, dtype=float))
    lo = np.full(a.shape, -1.0)  # -1 lines: a sentinel that always fails
    hi = np.zeros(a.shape)
    index = np.flatnonzero(erlang_b(hi, a) > max_blocking)
    step = np.ones(index.shape)
    while index.size:
        lo[index] = hi[index]
        hi[index] = hi[index] + step
        ok = erlang_b(hi[index], a[index]) <= max_blocking
        step = step[~ok] * 2
        index = index[~ok]
    index = np.flatnonzero(hi - lo > 1)
    while index.size:
        mid = np.floor((lo[index] + hi[index]) / 2)
        ok = erlang_b(mid, a[index]) <= max_blocking
        hi[index[ok]] = mid[ok]
        lo[index[~ok]] = mid[~ok]
        index = index[hi[index] - lo[index] > 1]
    return hi.reshape(shape)
