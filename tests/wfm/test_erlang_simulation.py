"""Erlang A against discrete-event simulation of M/M/n+M with Ciw.

Each case runs independent replications with fixed seeds; every exact figure must lie within
the replications' 99.9% confidence interval (t distribution), widened by a small absolute slack
for figures whose sample spread is near zero."""

from __future__ import annotations

import math

import ciw
import numpy as np
import pytest
from scipy import stats

from cxpm.wfm.erlang import erlang_a

REPLICATIONS = 6
CUSTOMERS = 9000


def simulate(lam: float, mu: float, theta: float, n: int, t: float, seed: int
             ) -> dict[str, float]:
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Exponential(mu)],
        number_of_servers=[n],
        reneging_time_distributions=[ciw.dists.Exponential(theta)],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    warm = 300 / lam  # about 300 arrivals to reach steady state
    end = warm + CUSTOMERS / lam
    sim.simulate_until_max_time(end + 10 * max(1 / mu, 1 / theta))
    records = [r for r in sim.get_all_records() if warm <= r.arrival_date < end]
    served = [r for r in records if r.record_type == "service"]
    busy = sum(max(0.0, min(r.service_end_date, end) - max(r.service_start_date, warm))
               for r in served)
    waits = np.array([r.waiting_time for r in served])
    return {
        "p_wait": (sum(w > 1e-12 for w in waits) + len(records) - len(served)) / len(records),
        "p_abandon": 1 - len(served) / len(records),
        "service_level": float(np.sum(waits <= t)) / len(records),
        "asa": float(waits.mean()),
        "occupancy": busy / (n * (end - warm)),
    }


@pytest.mark.parametrize(("lam", "mu", "theta", "n", "t"), [
    (100 / 1800, 1 / 180, 1 / 300, 14, 20.0),  # the published example, seconds
    (12.0, 1.0, 0.5, 10, 0.2),                 # overloaded: abandonment keeps it stable
    (2.0, 1.0, 2.0, 2, 0.1),                   # few agents, impatient callers
    (40.0, 1.0, 0.1, 42, 0.05),                # large, patient, near critical load
])
def test_erlang_a_agrees_with_simulation(lam: float, mu: float, theta: float, n: int,
                                         t: float) -> None:
    runs = [simulate(lam, mu, theta, n, t, seed=1000 + k) for k in range(REPLICATIONS)]
    exact = erlang_a(n, lam / mu, 1 / mu, 1 / theta, t)
    quantile = stats.t.ppf(0.9995, REPLICATIONS - 1)
    for field in ("p_wait", "p_abandon", "service_level", "asa", "occupancy"):
        sample = np.array([run[field] for run in runs])
        half_width = quantile * sample.std(ddof=1) / math.sqrt(REPLICATIONS)
        slack = 1e-3 * (1 / mu if field == "asa" else 1)
        value = float(getattr(exact, field))
        assert abs(value - sample.mean()) <= half_width + slack, (
            f"{field}: exact {value:.5f}, simulated {sample.mean():.5f} ± {half_width:.5f}")
