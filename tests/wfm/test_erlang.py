"""Erlang B, C and A against published figures and against plain-Python computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from cxpm.errors import CxpmError
from cxpm.wfm.erlang import erlang_a, erlang_b, erlang_c
from cxpm.wfm.staffing import (
    Model,
    Targets,
    lines_for_blocking,
    required_agents,
    scheduled_agents,
    staff,
)

SL_80_20 = Targets(sl_target=0.8, sl_seconds=20)


def erlang_b_recursion(n: int, a: float) -> float:
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c_sum(n: int, a: float) -> float:
    """The textbook closed form with explicit factorial sums."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


# Published: 100 contacts per 30 min, AHT 180 s, 80% in 20 s.
def test_erlang_c_published_example() -> None:
    result = staff(100, 1800, 180, SL_80_20, shrinkage=0.3)
    assert result.agents == 14
    assert result.metrics.service_level == pytest.approx(0.8884, abs=5e-5)
    assert result.metrics.asa == pytest.approx(7.84, abs=5e-3)
    assert result.metrics.occupancy == pytest.approx(0.7143, abs=5e-5)
    assert result.metrics.p_wait == pytest.approx(0.1741, abs=5e-5)
    assert result.scheduled_agents == 20
    at_13 = erlang_c(13, 10.0, 180, 20)
    assert at_13.service_level == pytest.approx(0.7956, abs=5e-5)


@pytest.mark.parametrize(("volume", "interval_s", "aht", "targets", "expected"), [
    (1000, 3600, 120, Targets(sl_target=0.8, max_occupancy=0.85), 40),
    (25, 600, 180, SL_80_20, 11),
    (100, 1800, 240, SL_80_20, 17),
])
def test_erlang_c_published_requirements(volume: float, interval_s: float, aht: float,
                                         targets: Targets, expected: int) -> None:
    assert required_agents(volume, interval_s, aht, targets) == expected


def test_occupancy_bound_is_what_binds() -> None:
    assert required_agents(1000, 3600, 120, SL_80_20) < 40
    assert erlang_c(39, 1000 * 120 / 3600, 120).occupancy > 0.85


def test_vectorised_answers_equal_one_at_a_time() -> None:
    volumes = np.array([100, 1000, 25, 100, 0, 3, 5000])
    lengths = np.array([1800, 3600, 600, 1800, 1800, 900, 1800])
    ahts = np.array([180, 120, 180, 240, 300, 400, 300])
    together = required_agents(volumes, lengths, ahts, SL_80_20)
    alone = [required_agents(v, s, h, SL_80_20) for v, s, h in zip(volumes, lengths, ahts,
                                                                      strict=True)]
    assert together.tolist() == [float(x) for x in alone]
    assert together[4] == 0


def test_required_agents_is_the_fewest_meeting_every_target() -> None:
    targets = Targets(sl_target=0.9, sl_seconds=15, asa_target=10, max_occupancy=0.9)
    volumes = np.array([10.0, 80.0, 400.0, 2500.0])
    agents = required_agents(volumes, 1800, 300, targets)
    for volume, n in zip(volumes, agents, strict=True):
        a = volume * 300 / 1800
        at_n, below = erlang_c(n, a, 300, 15), erlang_c(n - 1, a, 300, 15)
        assert at_n.service_level >= 0.9 and at_n.asa <= 10 and at_n.occupancy <= 0.9
        assert (below.service_level < 0.9 or below.asa > 10 or below.occupancy > 0.9)


def test_erlang_c_matches_the_textbook_sum() -> None:
    for n, a in [(3, 2.5), (14, 10.0), (30, 27.3), (60, 44.0)]:
        assert erlang_c(n, a, 180).p_wait == pytest.approx(erlang_c_sum(n, a), rel=1e-10)


def test_erlang_c_is_finite_for_large_traffic() -> None:
    # 20 000 erlangs: factorials overflow, the log-space form does not.
    a = 20_000.0
    n = required_agents(a * 1800 / 180, 1800, 180, SL_80_20)
    figures = erlang_c(n, a, 180)
    assert np.isfinite(figures.p_wait) and 0.8 <= figures.service_level < 0.9
    assert a < n < a * 1.02


def test_fractional_agents_lie_between_integer_counts() -> None:
    exact = required_agents(100, 1800, 180, SL_80_20, fractional=True)
    assert 13 < exact < 14
    assert erlang_c(exact, 10.0, 180).service_level == pytest.approx(0.8, abs=1e-9)


@pytest.mark.parametrize(("target", "lines"), [(0.02, 17), (0.01, 18)])
def test_erlang_b_published(target: float, lines: int) -> None:
    assert lines_for_blocking(10.0, target) == lines
    assert erlang_b(lines, 10.0) <= target < erlang_b(lines - 1, 10.0)


def test_erlang_b_matches_the_recursion() -> None:
    for n, a in [(1, 0.5), (17, 10.0), (120, 100.0), (400, 390.0)]:
        assert erlang_b(n, a) == pytest.approx(erlang_b_recursion(n, a), rel=1e-10)


def test_shrinkage_rounds_up() -> None:
    assert scheduled_agents(np.array([14, 15, 0]), 0.3).tolist() == [20, 22, 0]
    assert scheduled_agents(10, 0.0) == 10
    with pytest.raises(CxpmError, match="shrinkage"):
        scheduled_agents(10, 1.0)


# Erlang A.
def test_erlang_a_published_example() -> None:
    figures = erlang_a(14, 10.0, 180, 300, 20)
    assert figures.p_wait == pytest.approx(0.14526, abs=5e-6)
    assert figures.p_abandon == pytest.approx(0.013984, abs=5e-7)
    assert figures.occupancy == pytest.approx(0.704297, abs=5e-7)


def birth_death(n: int, lam: float, mu: float, theta: float, size: int = 400) -> list[float]:
    """Stationary distribution of the truncated M/M/n+M chain, by detailed balance."""
    weights = [1.0]
    for k in range(1, size):
        weights.append(weights[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
    total = sum(weights)
    return [w / total for w in weights]


def answered_within(m: int, n: int, mu: float, theta: float, t: float) -> float:
    """P(served by t) for an arrival with m contacts queued ahead: a transient absorbing
    chain (ahead count m..0, then served / abandoned), solved by matrix exponential."""
    size = m + 3  # states m..0 at index m-i, then served, abandoned
    q = np.zeros((size, size))
    served, abandoned = m + 1, m + 2
    for i in range(m, -1, -1):
        row = m - i
        if i > 0:
            q[row, row + 1] = n * mu + i * theta
        else:
            q[row, served] = n * mu
        q[row, abandoned] = theta
        q[row, row] = -q[row].sum()
    return float(expm(q * t)[0, served])


@pytest.mark.parametrize(("n", "lam", "mu", "theta", "t"), [
    (14, 100 / 1800, 1 / 180, 1 / 300, 20.0),
    (5, 1.2, 0.2, 0.5, 3.0),
    (3, 1.0, 0.25, 0.05, 10.0),   # overloaded: only abandonment keeps it stable
])
def test_erlang_a_matches_the_birth_death_chain(n: int, lam: float, mu: float, theta: float,
                                                t: float) -> None:
    pi = birth_death(n, lam, mu, theta)
    queued = [pi[n + m] for m in range(len(pi) - n)]
    p_wait = sum(queued)
    mean_queue = sum(m * p for m, p in enumerate(queued))
    p_abandon = theta * mean_queue / lam
    beta = n * mu / theta
    wait_answered = sum(p * beta / (beta + m + 1) / theta
                        * sum(1 / (beta + i) for i in range(1, m + 2))
                        for m, p in enumerate(queued))
    sl = sum(pi[:n]) + sum(p * answered_within(m, n, mu, theta, t)
                           for m, p in enumerate(queued[:80]))
    figures = erlang_a(n, lam / mu, 1 / mu, 1 / theta, t)
    assert figures.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert figures.p_abandon == pytest.approx(p_abandon, rel=1e-7)
    assert figures.mean_wait == pytest.approx(mean_queue / lam, rel=1e-7)
    assert figures.asa == pytest.approx(wait_answered / (1 - p_abandon), rel=1e-6)
    assert figures.service_level == pytest.approx(sl, rel=1e-8)
    assert figures.occupancy == pytest.approx(lam * (1 - p_abandon) / (n * mu), rel=1e-9)


def test_erlang_a_tends_to_erlang_c_with_endless_patience() -> None:
    a_fig = erlang_a(14, 10.0, 180, 1e9, 20)
    c_fig = erlang_c(14, 10.0, 180, 20)
    assert a_fig.p_wait == pytest.approx(c_fig.p_wait, rel=1e-6)
    assert a_fig.service_level == pytest.approx(c_fig.service_level, rel=1e-6)
    assert a_fig.asa == pytest.approx(c_fig.asa, rel=1e-4)


def test_erlang_a_large_traffic_and_long_patience_stay_finite() -> None:
    # y = n mu / theta in the tens of thousands: the incomplete gamma underflows and the
    # queue sum is added term by term.
    figures = erlang_a(np.array([1010.0, 1100.0, 3000.0]), 1000.0, 30, 3600, 20)
    for field in ("p_wait", "p_abandon", "service_level", "asa", "occupancy"):
        values = getattr(figures, field)
        assert np.all(np.isfinite(values)), field
    assert np.all(np.diff(figures.p_wait) < 0)
    assert figures.p_wait[0] > 0.01


def test_erlang_a_required_agents() -> None:
    targets = Targets(sl_target=0.8, max_abandon=0.01)
    volumes = np.array([100.0, 400.0, 25.0])
    agents = required_agents(volumes, 1800, 180, targets, model=Model.erlang_a, patience=300)
    for volume, n in zip(volumes, agents, strict=True):
        a = volume * 180 / 1800
        at_n, below = erlang_a(n, a, 180, 300), erlang_a(n - 1, a, 180, 300)
        assert at_n.service_level >= 0.8 and at_n.p_abandon <= 0.01
        assert below.service_level < 0.8 or below.p_abandon > 0.01
    assert agents[0] == 15  # 14 agents abandon 1.4% > 1%


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"targets": Targets(sl_target=1.0)}, "sl-target"),
    ({"targets": Targets(sl_target=0.0)}, "sl-target"),
    ({"targets": Targets(max_occupancy=0.0)}, "max-occupancy"),
    ({"targets": Targets(asa_target=-1)}, "asa-target"),
    ({"targets": Targets(sl_target=0.8), "model": Model.erlang_a}, "patience"),
    ({"targets": Targets(max_abandon=0.05)}, "erlang-a"),
    ({"targets": Targets()}, "at least one target"),
])
def test_bad_targets_are_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(CxpmError, match=message) as info:
        required_agents(100, 1800, 180, **kwargs)
    assert "\n" not in str(info.value)


def test_concurrency_serves_k_sessions_per_agent() -> None:
    targets = Targets(sl_target=0.8, sl_seconds=60)
    agents = required_agents(300, 1800, 600, targets, concurrency=3)
    servers_alone = required_agents(300, 1800, 600, targets)
    assert agents == math.ceil(servers_alone / 3)


def test_erlang_a_heavy_overload_with_patient_callers() -> None:
    # One agent, ten erlangs, patience ~11.6 days: the agent is never idle, so 1 in 10 is
    # served (P(abandon) = 1 - n/a) and Little's law gives the mean wait of all arrivals.
    figures = erlang_a(1, 10.0, 180, 1e6, 20)
    assert figures.p_abandon == pytest.approx(0.9, rel=1e-6)
    assert figures.mean_wait == pytest.approx(0.9e6, rel=1e-6)
    assert figures.occupancy == pytest.approx(1.0, rel=1e-6)
    assert np.isfinite(figures.asa) and figures.asa > figures.mean_wait


def test_erlang_a_figures_move_the_right_way_with_agents() -> None:
    agents = np.arange(1, 40)
    figures = erlang_a(agents, 20.0, 240, 120, 30)
    assert np.all(np.diff(figures.p_wait) < 0) and np.all(np.diff(figures.p_abandon) < 0)
    assert np.all(np.diff(figures.service_level) > 0) and np.all(np.diff(figures.asa) < 0)
    assert np.all((figures.p_abandon <= figures.p_wait) & (figures.p_wait <= 1))


def test_fractional_erlang_a_meets_the_target_exactly() -> None:
    targets = Targets(sl_target=0.8, sl_seconds=20)
    exact = required_agents(100, 1800, 180, targets, model=Model.erlang_a, patience=300,
                            fractional=True)
    whole = required_agents(100, 1800, 180, targets, model=Model.erlang_a, patience=300)
    assert whole - 1 < exact <= whole
    assert erlang_a(exact, 10.0, 180, 300, 20).service_level == pytest.approx(0.8, abs=1e-9)
