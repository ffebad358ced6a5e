"""Sample sizes and Wilson intervals, checked against the formulas written out by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from cxpm.errors import CxpmError
from cxpm.qa.stats import sample_size, wilson_interval, z_value


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _normal_n(confidence: float, margin: float, p: float, population: int | None) -> float:
    n0 = _z(confidence) ** 2 * p * (1 - p) / margin**2
    return n0 if population is None else n0 / (1 + (n0 - 1) / population)


def _clopper_pearson_fits(n: int, p: float, confidence: float, margin: float) -> bool:
    tail = (1 - confidence) / 2
    x = p * n
    low = 0.0 if x == 0 else beta.ppf(tail, x, n - x + 1)
    high = 1.0 if x == n else beta.ppf(1 - tail, x + 1, n - x)
    return max(p - low, high - p) <= margin


@pytest.mark.parametrize(
    ("margin", "population", "expected"),
    [(0.05, None, 385), (0.05, 1000, 278), (0.03, None, 1068)],
)
def test_published_sample_sizes(margin: float, population: int | None, expected: int) -> None:
    assert sample_size(0.95, margin, population=population) == expected
    # the same figure from the formula with the standard library's normal quantile
    assert math.ceil(_normal_n(0.95, margin, 0.5, population)) == expected


def test_z_value_matches_standard_normal() -> None:
    assert z_value(0.95) == pytest.approx(_z(0.95), abs=1e-12)
    assert z_value(0.99) == pytest.approx(2.5758293035489, abs=1e-9)


def test_float_noise_does_not_round_up() -> None:
    # margin z/20 makes n0 = z^2 * 0.25 * 400 / z^2 = 100 exactly, up to rounding error
    assert sample_size(0.95, _z(0.95) / 20) == 100


@settings(max_examples=150, deadline=None)
@given(
    confidence=st.floats(0.5, 0.999),
    margin=st.floats(0.005, 0.5),
    p=st.floats(0.01, 0.99),
    population=st.one_of(st.none(), st.integers(1, 100_000)),
)
def test_normal_sample_size_property(
    confidence: float, margin: float, p: float, population: int | None
) -> None:
    n = sample_size(confidence, margin, population=population, expected_rate=p)
    exact_value = _normal_n(confidence, margin, p, population)
    assert n >= 1
    assert n >= exact_value - 1e-6
    assert n - 1 < max(exact_value, 1) + 1e-6 or n == 1
    if population is not None:
        assert n <= population


@pytest.mark.parametrize(
    ("p", "margin", "confidence"),
    [(0.5, 0.05, 0.95), (0.9, 0.05, 0.95), (0.97, 0.02, 0.95), (0.3, 0.1, 0.9), (0.5, 0.03, 0.99)],
)
def test_exact_sample_size_is_the_smallest_that_fits(
    p: float, margin: float, confidence: float
) -> None:
    n = sample_size(confidence, margin, expected_rate=p, method="exact")
    assert _clopper_pearson_fits(n, p, confidence, margin)
    assert not _clopper_pearson_fits(n - 1, p, confidence, margin)
    # the exact interval is wider than the normal one, so it never needs fewer contacts
    assert n >= sample_size(confidence, margin, expected_rate=p)


def test_exact_sample_size_at_zero_rate_has_closed_form() -> None:
    # at x = 0 the upper bound is 1 - (alpha/2)^(1/n): n = ln(alpha/2) / ln(1 - e)
    n = sample_size(0.95, 0.05, expected_rate=0.0, method="exact")
    assert n == math.ceil(math.log(0.025) / math.log(0.95)) == 72
    assert sample_size(0.95, 0.05, expected_rate=1.0, method="exact") == 72


def test_exact_sample_size_with_population_applies_the_correction() -> None:
    n0 = sample_size(0.95, 0.05, method="exact")
    for population in (50, 400, 1000, 10_000):
        expected = min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))
        assert sample_size(0.95, 0.05, population=population, method="exact") == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"confidence": 1.0, "margin": 0.05},
        {"confidence": 0.0, "margin": 0.05},
        {"confidence": 0.95, "margin": 0.0},
        {"confidence": 0.95, "margin": 1.5},
        {"confidence": 0.95, "margin": 0.05, "expected_rate": 1.2},
        {"confidence": 0.95, "margin": 0.05, "expected_rate": -0.1},
        {"confidence": 0.95, "margin": 0.05, "population": 0},
        {"confidence": 0.95, "margin": 0.05, "expected_rate": 0.0},
        {"confidence": 0.95, "margin": 0.05, "method": "bayes"},
    ],
)
def test_invalid_sample_size_input(kwargs: dict) -> None:
    confidence = kwargs.pop("confidence")
    margin = kwargs.pop("margin")
    with pytest.raises(CxpmError) as error:
        sample_size(confidence, margin, **kwargs)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("successes", "trials"), [(0, 10), (7, 10), (10, 10), (45, 50), (1, 3)])
def test_wilson_interval_matches_closed_form(successes: int, trials: int) -> None:
    z = _z(0.95)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials**2)) / (1 + z * z / trials)
    low, high = wilson_interval(successes, trials)
    assert low == pytest.approx(max(0.0, centre - half), abs=1e-12)
    assert high == pytest.approx(min(1.0, centre + half), abs=1e-12)
    assert 0.0 <= low <= p <= high <= 1.0


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) == (None, None)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(CxpmError):
        wilson_interval(11, 10)
    with pytest.raises(CxpmError):
        wilson_interval(-1, 10)
    with pytest.raises(CxpmError):
        wilson_interval(1, 10, confidence=1.5)
