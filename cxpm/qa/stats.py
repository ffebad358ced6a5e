"""Confidence intervals and sample sizes for quality proportions (accuracies, error rates).

The formulas are written out in docs/qa-statistics.md; the interval arithmetic itself comes from
statsmodels (`proportion_confint`) and scipy (normal quantiles).
"""

from __future__ import annotations

import math
import numbers
from typing import Literal

import numpy as np
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from cxpm.errors import CxpmError

SampleSizeMethod = Literal["normal", "exact"]

# Guards the ceiling against float noise: 384.0000000001 is 384, not 385.
_CEIL_TOLERANCE = 1e-9
# Beyond this the exact search would take unreasonably long; no QA plan needs it.
_MAX_EXACT_N = 10**9


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0 < confidence < 1):
        raise CxpmError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")


def z_value(confidence: float) -> float:
    """The two-sided standard-normal quantile for `confidence` (0.95 -> 1.959964...)."""
    _check_confidence(confidence)
    return float(norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(
    successes: float, trials: float, confidence: float = 0.95
) -> tuple[float | None, float | None]:
    """Wilson score interval for `successes` out of `trials`; (None, None) when trials == 0."""
    _check_confidence(confidence)
    if trials < 0 or successes < 0:
        raise CxpmError(f"successes and trials must not be negative, got {successes}/{trials}")
    if successes > trials:
        raise CxpmError(f"successes ({successes}) cannot exceed trials ({trials})")
    if trials == 0:
        return None, None
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    # The closed form misses the exact 0 or 1 bound by a rounding error at 0 or all successes.
    low = 0.0 if successes == 0 else max(0.0, float(low))
    high = 1.0 if successes == trials else min(1.0, float(high))
    return low, high


def clopper_pearson_half_width(
    trials: np.ndarray | float, rate: float, confidence: float
) -> np.ndarray:
    """Largest distance from `rate` to either bound of the Clopper-Pearson interval.

    The interval is taken at the fractional success count x = rate * trials: the beta quantiles
    are defined for non-integer x, which interpolates smoothly between the integer counts instead
    of jumping as round(rate * trials) would.
    """
    n = np.asarray(trials, dtype=np.float64)
    low, high = proportion_confint(rate * n, n, alpha=1 - confidence, method="beta")
    return np.maximum(rate - np.asarray(low), np.asarray(high) - rate)


def _finite_population(n0: float, population: int | None) -> float:
    if population is None:
        return n0
    return n0 / (1 + (n0 - 1) / population)


def _ceil(value: float) -> int:
    return math.ceil(value - _CEIL_TOLERANCE)


def _exact_n0(confidence: float, margin: float, rate: float) -> int:
    """Smallest n whose Clopper-Pearson half-width is <= margin (exponential + binary search)."""

    def fits(n: int) -> bool:
        return bool(clopper_pearson_half_width(n, rate, confidence) <= margin)

    high = 1
    while not fits(high):
        high *= 2
        if high > _MAX_EXACT_N:
            raise CxpmError(f"margin {margin} needs more than {_MAX_EXACT_N} observations")
    low = high // 2  # fits(low) is False unless high == 1
    if high == 1:
        return 1
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    return high


def sample_size(
    confidence: float,
    margin: float,
    *,
    population: int | None = None,
    expected_rate: float = 0.5,
    method: SampleSizeMethod = "normal",
) -> int:
    """Evaluations needed to estimate a proportion within ±`margin` at `confidence`.

    normal: n0 = z² p(1-p) / e². exact: the smallest n0 whose Clopper-Pearson interval at
    x = p·n0 lies within ±e of p. With a `population` N both apply the finite-population
    correction n = n0 / (1 + (n0 - 1) / N). The result is rounded up and never exceeds N.
    An expected rate of exactly 0 or 1 makes the normal formula give 0, so it is rejected
    there in favour of method="exact".
    """
    _check_confidence(confidence)
    if not (isinstance(margin, int | float) and 0 < margin < 1):
        raise CxpmError(f"margin must be between 0 and 1 (exclusive), got {margin!r}")
    if not (isinstance(expected_rate, int | float) and 0 <= expected_rate <= 1):
        raise CxpmError(f"expected rate must be between 0 and 1, got {expected_rate!r}")
    if population is not None and (
        isinstance(population, bool)
        or not isinstance(population, numbers.Integral)
        or population < 1
    ):
        raise CxpmError(f"population must be a whole number of at least 1, got {population!r}")
    if method == "normal":
        if expected_rate in (0, 1):
            raise CxpmError(
                "expected rate 0 or 1 gives a zero normal-approximation sample size; "
                "use the exact method"
            )
        z = z_value(confidence)
        n0 = z * z * expected_rate * (1 - expected_rate) / (margin * margin)
    elif method == "exact":
        n0 = float(_exact_n0(confidence, margin, float(expected_rate)))
    else:
        raise CxpmError(f"unknown sample-size method {method!r}: use 'normal' or 'exact'")
    n = max(1, _ceil(_finite_population(n0, population)))
    return n if population is None else min(n, int(population))
