"""Erlang B, C and A queueing formulas, vectorised over intervals.

Every function takes numpy arrays (or scalars) that broadcast together and works for
fractional agent counts too: the Poisson terms are written with the incomplete gamma function,
`P(N <= n - 1) = Q(n, a)` and `P(N = n) = exp(n log a - a - lgamma(n + 1))`, which agree with the
integer sums and stay finite for large traffic. Time is in seconds throughout.

Notation: a = offered load in erlangs (arrival rate x handle time), n = agents (servers),
mu = 1 / AHT, theta = 1 / mean patience, T = service-level threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

Array = NDArray[np.float64]

# Below this, the regularised incomplete gamma loses all digits of its logarithm, so the
# hypergeometric sum A(x, y) is summed term by term instead.
_TINY = 1e-280


def _arr(value: ArrayLike) -> Array:
    return np.asarray(value, dtype=np.float64)


def _log_poisson_pmf(n: Array, a: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, special.xlogy(n, a) - a - special.gammaln(n + 1),
                        np.where(n == 0, 0.0, -np.inf))


def erlang_b(agents: ArrayLike, load: ArrayLike) -> Array:
    """Blocking probability of M/M/n/n (lost calls cleared) with `load` erlangs."""
    n, a = np.broadcast_arrays(_arr(agents), _arr(load))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # P(N = n) / P(N <= n) for N ~ Poisson(a); gammaincc(n + 1, a) = P(N <= n).
        log_b = _log_poisson_pmf(n, a) - np.log(special.gammaincc(n + 1, a))
        blocking = np.exp(log_b)
    blocking = np.where(a <= 0, np.where(n > 0, 0.0, 1.0), blocking)
    return np.clip(np.nan_to_num(blocking, nan=1.0), 0.0, 1.0)


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state figures per interval. `service_level` counts contacts answered within
    T over all arrivals; `asa` is the mean wait of answered contacts; `mean_wait` the mean
    wait of all arrivals (abandoned ones up to their abandonment); `p_abandon` is zero for
    Erlang C."""

    p_wait: Array
    service_level: Array
    asa: Array
    mean_wait: Array
    occupancy: Array
    p_abandon: Array


def erlang_c(agents: ArrayLike, load: ArrayLike, aht: ArrayLike,
             sl_seconds: ArrayLike = 20.0) -> QueueMetrics:
    """M/M/n (infinite patience). Where agents <= load the queue grows without bound: waiting
    is certain, service level 0, ASA infinite, occupancy 1."""
    n, a, s, t = np.broadcast_arrays(_arr(agents), _arr(load), _arr(aht), _arr(sl_seconds))
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b = erlang_b(n, a)
        rho = a / n
        p_wait = np.where(stable, b / (1 - rho * (1 - b)), 1.0)
        p_wait = np.where(a <= 0, 0.0, p_wait)
        spare_rate = (n - a) / s  # n mu - lambda
        sl = np.where(stable, 1 - p_wait * np.exp(-spare_rate * t), 0.0)
        asa = np.where(stable, p_wait / spare_rate, np.inf)
        occupancy = np.where(stable, rho, 1.0)
        occupancy = np.where(a <= 0, 0.0, occupancy)
    asa = np.where(a <= 0, 0.0, asa)
    sl = np.where(a <= 0, 1.0, sl)
    return QueueMetrics(p_wait=p_wait, service_level=sl, asa=asa, mean_wait=asa.copy(),
                        occupancy=occupancy, p_abandon=np.zeros_like(p_wait))


def _series_a(x: Array, y: Array) -> Array:
    """A(x, y) = sum_{m>=0} x^m / ((y+1)(y+2)...(y+m)), summed until the terms vanish."""
    total = np.ones_like(x)
    term = np.ones_like(x)
    m = 0
    while True:
        m += 1
        term = term * x / (y + m)
        total = total + term
        if m > 20 and np.all(term <= 1e-17 * total):
            return total
        if m > 200_000:  # only reached for loads no contact centre has
            return total


def log_hyper_a(x: ArrayLike, y: ArrayLike) -> Array:
    """log A(x, y) with A(x, y) = sum_m x^m / (y+1)_m = Gamma(y+1) e^x x^-y P(y, x), the
    queue-length sum of the Erlang A chain (x = lambda/theta, y = n mu/theta)."""
    x, y = np.broadcast_arrays(_arr(x), _arr(y))
    out = np.zeros(x.shape)
    positive = x > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = special.gammainc(np.where(y > 0, y, 1.0), x)
        closed = np.where(y > 0, special.gammaln(y + 1) + x - special.xlogy(y, x)
                          + np.log(lower), x)  # y = 0: A = e^x
    use_series = positive & (y > 0) & ~(lower > _TINY)
    out = np.where(positive, closed, 0.0)
    if np.any(use_series):
        out[use_series] = np.log(_series_a(x[use_series], y[use_series]))
    return out


def _log_g(x: Array, beta: Array) -> Array:
    """log of G(beta) = integral_0^1 u^beta e^{x(1-u)} du = A(x, beta+1) / (beta+1)."""
    return log_hyper_a(x, beta + 1) - np.log(beta + 1)


def erlang_a(agents: ArrayLike, load: ArrayLike, aht: ArrayLike, patience: ArrayLike,
             sl_seconds: ArrayLike = 20.0) -> QueueMetrics:
    """M/M/n+M solved exactly as a birth-death chain (exponential patience, mean `patience`).

    With U = exp(-theta V) for the virtual wait V of an arrival that finds m contacts queued,
    U ~ Beta(n mu/theta, m+1); summing over the stationary queue gives every figure in terms
    of A(x, y). `service_level` = P(answered within T) over all arrivals."""
    n, a, s, p, t = np.broadcast_arrays(_arr(agents), _arr(load), _arr(aht), _arr(patience),
                                        _arr(sl_seconds))
    theta = 1.0 / p
    lam = a / s
    x = lam / theta
    y = n / s / theta
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_q = np.log(special.gammaincc(np.where(n > 0, n, 1.0), a))  # P(N <= n-1)
        log_q = np.where(n > 0, log_q, -np.inf)
        log_pn = _log_poisson_pmf(n, a)
        log_s = log_hyper_a(x, y)
        # Normalise against the larger of the two parts so neither exponent overflows.
        log_tail = log_pn + log_s
        top = np.maximum(log_q, log_tail)
        z = np.exp(log_q - top) + np.exp(log_tail - top)
        p_no_wait = np.exp(log_q - top) / z
        # log P(exactly n in system); every tail figure is pi_n times a sum that can be
        # astronomically large on its own, so they are combined as logarithms.
        log_pi_n = log_pn - top - np.log(z)
        p_wait = 1 - p_no_wait
        log_ratio = np.log(y) - np.log(y + 1)
        served_after_wait = np.exp(log_pi_n + log_ratio + log_hyper_a(x, y + 1))
        u_t = np.exp(-theta * t)
        late = np.exp(log_pi_n + log_ratio + x * (1 - u_t) - (y + 1) * theta * t
                      + log_hyper_a(x * u_t, y + 1))
        p_abandon = np.clip(np.exp(log_pi_n + log_s) - served_after_wait, 0.0, 1.0)
        within = np.clip(served_after_wait - late, 0.0, 1.0)
        service_level = np.clip(p_no_wait + within, 0.0, 1.0)
        mean_wait = p_abandon / theta
        # E[W; answered] = pi_n * beta/theta * (-G'(beta)), G' by central difference.
        beta = y
        h = 1e-5 * np.maximum(beta, 1.0)
        d_log_g = (_log_g(x, beta + h) - _log_g(x, np.maximum(beta - h, 0.0))) / (
            beta + h - np.maximum(beta - h, 0.0))
        wait_answered = np.exp(log_pi_n + _log_g(x, beta)) * beta / theta * (-d_log_g)
        answered = 1 - p_abandon
        asa = np.where(answered > 0, wait_answered / answered, 0.0)
        occupancy = np.where(n > 0, a * answered / n, 1.0)
    idle = a <= 0
    return QueueMetrics(
        p_wait=np.where(idle, 0.0, p_wait),
        service_level=np.where(idle, 1.0, service_level),
        asa=np.where(idle, 0.0, np.maximum(asa, 0.0)),
        mean_wait=np.where(idle, 0.0, mean_wait),
        occupancy=np.where(idle, 0.0, np.clip(occupancy, 0.0, 1.0)),
        p_abandon=np.where(idle, 0.0, p_abandon),
    )
