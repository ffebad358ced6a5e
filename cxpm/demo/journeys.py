"""Resolution and repeat contacts: who the customers are and which contacts come back."""

from __future__ import annotations

import bisect

import numpy as np

DAY = 86400
REPEAT_P_UNRESOLVED = 0.55
REPEAT_P_ABANDONED = 0.55
REPEAT_P_RESOLVED = 0.09
SAME_REASON_P = 0.8
UNKNOWN_CUSTOMER_P = 0.04


def roots_and_leaves(parent: np.ndarray, arrived: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root (customer-initiated segment) of every segment and the last segment of every root.

    Parents always have lower indexes than their children.
    """
    n = len(parent)
    root = np.arange(n)
    has_parent = parent >= 0
    root[has_parent] = parent[has_parent]
    for _ in range(4):  # chains are short (bot -> agent -> tier 2)
        root = np.where(parent[root] >= 0, parent[root], root)
    leaf = np.arange(n)
    children = np.flatnonzero(has_parent)
    children = children[np.argsort(arrived[children], kind="stable")]
    leaf[root[children]] = children
    return root, leaf


def assign_customers(rng: np.random.Generator, program: np.ndarray, reason: np.ndarray,
                     arrived: np.ndarray, root_idx: np.ndarray, bad: np.ndarray,
                     abandoned: np.ndarray) -> np.ndarray:
    """Customer number per root; a root whose need was not met often comes back (a later
    root of the same program, usually about the same reason, gets the same customer).

    bad/abandoned are per root. Returns -1 for unknown customers.
    """
    n = len(root_idx)
    order = np.lexsort((root_idx, arrived[root_idx]))
    times = arrived[root_idx][order]
    prog = program[root_idx][order]
    why = reason[root_idx][order]
    p_repeat = np.where(abandoned[order], REPEAT_P_ABANDONED,
                        np.where(bad[order], REPEAT_P_UNRESOLVED, REPEAT_P_RESOLVED))
    repeats = rng.random(n) < p_repeat
    delay = np.where(abandoned[order], rng.exponential(0.2 * DAY, n),
                     rng.exponential(1.3 * DAY, n)) + 300
    same_reason = rng.random(n) < SAME_REASON_P
    unknown = rng.random(n) < UNKNOWN_CUSTOMER_P

    groups: dict[tuple[int, int], list[int]] = {}
    for pos, key in enumerate(zip(prog.tolist(), why.tolist(), strict=True)):
        groups.setdefault(key, []).append(pos)
        groups.setdefault((key[0], -1), []).append(pos)
    group_times = {k: [int(times[p]) for p in v] for k, v in groups.items()}
    customer = np.full(n, -1, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)
    next_customer = 0
    times_l, prog_l, why_l = times.tolist(), prog.tolist(), why.tolist()
    delay_l = delay.tolist()
    for pos in range(n):
        if customer[pos] < 0:
            if unknown[pos]:
                continue
            customer[pos] = next_customer
            next_customer += 1
        if not repeats[pos]:
            continue
        key = (prog_l[pos], why_l[pos] if same_reason[pos] else -1)
        members, member_times = groups[key], group_times[key]
        j = bisect.bisect_left(member_times, times_l[pos] + delay_l[pos])
        while j < len(members) and (taken[members[j]] or members[j] <= pos):
            j += 1
        if j < len(members) and not unknown[members[j]]:
            target = members[j]
            taken[target] = True
            customer[target] = customer[pos]
    out = np.full(n, -1, dtype=np.int64)
    out[order] = customer
    return out
