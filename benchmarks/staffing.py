"""Benchmark: required agents for many intervals with Erlang C and Erlang A.

    python benchmarks/staffing.py                       # 100k intervals (default)
    python benchmarks/staffing.py --intervals 300       # smoke run

Synthetic 30-minute intervals (volume, AHT and mean patience drawn with a fixed seed).
Erlang C (80% in 20 s, occupancy at most 90%) is timed over all intervals and compared with
pyworkforce's ErlangC.required_positions on the same inputs. pyworkforce works one interval
at a time in pure Python, so it is timed on a random subsample (--baseline-sample) and its
time per interval is extrapolated to the full count; the output says so. Answers must be equal
on every subsampled interval.

pyworkforce (0.5) has no Erlang A, so Erlang A (80% in 20 s over all arrivals, at most 5%
abandoning) is timed alone; its answers are checked on a subsample against a plain-Python
reference that solves the truncated birth-death chain interval by interval.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from cxpm.wfm.staffing import Model, Targets, required_agents

INTERVAL_S = 1800.0
ERLANG_C_TARGETS = Targets(sl_target=0.8, sl_seconds=20, max_occupancy=0.9)
ERLANG_A_TARGETS = Targets(sl_target=0.8, sl_seconds=20, max_abandon=0.05)
GOAL_C_SPEEDUP = 10.0
GOAL_A_SECONDS_PER_100K = 5.0


def synthetic_intervals(count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    volume = np.round(np.exp(rng.uniform(np.log(2), np.log(3000), count)))
    aht = rng.uniform(90, 600, count)
    patience = rng.uniform(30, 600, count)
    return volume, aht, patience


def best_of(repeat: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def pyworkforce_agents(volume: np.ndarray, aht: np.ndarray) -> list[int]:
    from pyworkforce.queuing import ErlangC

    answers = []
    for v, h in zip(volume, aht, strict=True):
        # pyworkforce takes every time in one unit (minutes here); its "asa" is the
        # service-level threshold.
        erlang = ErlangC(transactions=float(v), aht=h / 60, asa=20 / 60,
                         interval=INTERVAL_S / 60)
        answers.append(erlang.required_positions(service_level=0.8,
                                                 max_occupancy=0.9)["raw_positions"])
    return answers


def reference_abandon_and_sl_pass(n: int, volume: float, aht: float, patience: float) -> bool:
    """Plain Python: the truncated birth-death chain at n agents meets the abandonment
    target, and the service level by summing, per queue length m, P(served within T)."""
    lam, mu, theta = volume / INTERVAL_S, 1 / aht, 1 / patience
    if n <= 0:
        return False
    log_weights, k = [0.0], 1
    while True:
        rate = min(k, n) * mu + max(k - n, 0) * theta
        log_weights.append(log_weights[-1] + math.log(lam / rate))
        if k > n and log_weights[-1] < max(log_weights) - 45:
            break
        k += 1
    top = max(log_weights)
    weights = [math.exp(w - top) for w in log_weights]
    total = sum(weights)
    pi = [w / total for w in weights]
    queued = pi[n:]
    p_abandon = theta * sum(m * p for m, p in enumerate(queued)) / lam
    t = ERLANG_A_TARGETS.sl_seconds
    beta = n * mu / theta
    u_t = np.exp(-theta * t)
    from scipy.special import betainc

    # e^{-theta V} ~ Beta(beta, m+1) for an arrival finding m queued (see docs/staffing.md);
    # P(served within T | m) = beta/(beta+m+1) * P(Beta(beta+1, m+1) >= e^{-theta T}).
    within = sum(p * beta / (beta + m + 1) * (1 - betainc(beta + 1, m + 1, u_t))
                 for m, p in enumerate(queued))
    service_level = sum(pi[:n]) + within
    return bool(p_abandon <= ERLANG_A_TARGETS.max_abandon + 1e-12
                and service_level >= ERLANG_A_TARGETS.sl_target - 1e-12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2000,
                        help="intervals on which pyworkforce is timed and compared")
    parser.add_argument("--reference-sample", type=int, default=200,
                        help="intervals on which Erlang A is checked in plain Python")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240304)
    args = parser.parse_args(argv)

    volume, aht, patience = synthetic_intervals(args.intervals, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    print(f"intervals: {args.intervals:,} of {INTERVAL_S / 60:.0f} min; volume "
          f"{volume.min():.0f}..{volume.max():.0f}, AHT {aht.min():.0f}..{aht.max():.0f} s, "
          f"patience {patience.min():.0f}..{patience.max():.0f} s")

    c_time, c_agents = best_of(args.repeat, lambda: required_agents(
        volume, INTERVAL_S, aht, ERLANG_C_TARGETS))
    sample = np.sort(rng.choice(args.intervals, min(args.baseline_sample, args.intervals),
                                replace=False))
    start = time.perf_counter()
    baseline = pyworkforce_agents(volume[sample], aht[sample])
    base_time = time.perf_counter() - start
    base_full = base_time / len(sample) * args.intervals
    mismatches = int(np.sum(np.asarray(baseline) != c_agents[sample]))
    speedup = base_full / c_time
    print(f"erlang-c cxpm: {c_time:.3f} s for {args.intervals:,} intervals "
          f"({c_time / args.intervals * 1e6:.2f} us per interval)")
    print(f"erlang-c pyworkforce: {base_time:.3f} s for a sample of {len(sample):,} intervals, "
          f"extrapolated to {base_full:.1f} s for {args.intervals:,}")
    print(f"erlang-c answers equal on the sample: {mismatches == 0} "
          f"({mismatches} of {len(sample)} differ)")
    print(f"erlang-c speed-up vs pyworkforce: {speedup:.0f}x "
          f"(goal >= {GOAL_C_SPEEDUP:.0f}x: {'PASS' if speedup >= GOAL_C_SPEEDUP else 'FAIL'})")

    a_time, a_agents = best_of(args.repeat, lambda: required_agents(
        volume, INTERVAL_S, aht, ERLANG_A_TARGETS, model=Model.erlang_a, patience=patience))
    a_per_100k = a_time / args.intervals * 100_000
    check = np.sort(rng.choice(args.intervals, min(args.reference_sample, args.intervals),
                               replace=False))
    wrong = 0
    for i in check:
        n = int(a_agents[i])
        fewest = (reference_abandon_and_sl_pass(n, volume[i], aht[i], patience[i])
                  and not reference_abandon_and_sl_pass(n - 1, volume[i], aht[i], patience[i]))
        wrong += not fewest
    print(f"erlang-a cxpm: {a_time:.3f} s for {args.intervals:,} intervals "
          f"({a_per_100k:.2f} s per 100k; goal < {GOAL_A_SECONDS_PER_100K:.0f} s: "
          f"{'PASS' if a_per_100k < GOAL_A_SECONDS_PER_100K else 'FAIL'})")
    print(f"erlang-a answers equal to the plain-Python birth-death reference: {wrong == 0} "
          f"({wrong} of {len(check)} differ; pyworkforce has no Erlang A)")
    print(f"erlang-a needs {np.sum(c_agents) - np.sum(a_agents):,.0f} fewer agent-intervals "
          f"than erlang-c over the run (abandonment shortens queues; occupancy cap differs)")
    return 0 if mismatches == 0 and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
