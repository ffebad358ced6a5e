"""Western Electric run rules and the trend rule, evaluated point by point.

Every rule is reported on the point that completes its pattern, and only when that point is
itself part of the pattern. A point exactly on a zone boundary (or on the centre line) is not
beyond it. Each point has its own sigma, so p-charts with varying denominators get per-point
zones. docs/spc.md states these conventions for users.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

RULE_IDS: tuple[str, ...] = ("we1", "we2", "we3", "we4", "trend")

RULE_DESCRIPTIONS: dict[str, str] = {
    "we1": "a point beyond 3 sigma",
    "we2": "2 of 3 consecutive points beyond 2 sigma, same side",
    "we3": "4 of 5 consecutive points beyond 1 sigma, same side",
    "we4": "8 points in a row on one side of the centre",
    "trend": "6 points in a row steadily rising or falling",
}

RUN_LENGTH = 8
TREND_LENGTH = 6


def _side_beyond(value: float, center: float, distance: float) -> int:
    """+1 above centre + distance, -1 below centre - distance, 0 inside or on the boundary."""
    if value > center + distance:
        return 1
    if value < center - distance:
        return -1
    return 0


def _m_of_k(sides: Sequence[int], index: int, m: int, k: int) -> bool:
    """At least m of the last k points (up to `index`) beyond on the side of point `index`.

    Near the start of a series the window is shorter: m points beyond among fewer than k
    consecutive points already satisfy "m of k"."""
    side = sides[index]
    if side == 0:
        return False
    window = sides[max(0, index - k + 1): index + 1]
    return sum(1 for s in window if s == side) >= m


def _run_lengths(flags: Sequence[int]) -> list[int]:
    """For each point, how many consecutive points ending there share its non-zero flag."""
    runs: list[int] = []
    for index, flag in enumerate(flags):
        if flag == 0:
            runs.append(0)
        elif index and flags[index - 1] == flag:
            runs.append(runs[-1] + 1)
        else:
            runs.append(1)
    return runs


def find_signals(values: Sequence[float], center: float,
                 sigmas: Sequence[float]) -> list[list[str]]:
    """The rule ids each point completes, in RULE_IDS order.

    `sigmas[i]` is the sigma of point i (constant for XmR, from its denominator for p)."""
    if len(values) != len(sigmas):
        raise ValueError("values and sigmas must have the same length")
    beyond3 = [_side_beyond(v, center, 3 * s) for v, s in zip(values, sigmas, strict=True)]
    beyond2 = [_side_beyond(v, center, 2 * s) for v, s in zip(values, sigmas, strict=True)]
    beyond1 = [_side_beyond(v, center, s) for v, s in zip(values, sigmas, strict=True)]
    side_runs = _run_lengths([_side_beyond(v, center, 0.0) for v in values])
    # a step's direction is stored on the point that ends it: +1 rose, -1 fell, 0 flat
    steps = [0] + [(b > a) - (b < a) for a, b in pairwise(values)]
    step_runs = _run_lengths(steps)

    signals: list[list[str]] = []
    for i in range(len(values)):
        fired = {
            "we1": beyond3[i] != 0,
            "we2": _m_of_k(beyond2, i, 2, 3),
            "we3": _m_of_k(beyond1, i, 4, 5),
            "we4": side_runs[i] >= RUN_LENGTH,
            # 6 points steadily rising or falling are 5 steps in the same direction
            "trend": step_runs[i] >= TREND_LENGTH - 1,
        }
        signals.append([rule for rule in RULE_IDS if fired[rule]])
    return signals
