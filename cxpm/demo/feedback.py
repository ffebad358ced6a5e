"""Customer surveys, driven by what happened on the contact (quality evaluations: quality.py)."""

from __future__ import annotations

import numpy as np

LOW_COMMENTS = ("Waited far too long", "Still not fixed", "Had to explain twice",
                "Transferred around", "Nobody could help")
HIGH_COMMENTS = ("Quick and helpful", "Agent was great", "Solved on the first try",
                 "Very clear answers")


def _at_least_one(rng: np.random.Generator, picked: np.ndarray, n: int) -> np.ndarray:
    """Tiny runs still get a row, so every table has data to load."""
    return picked if len(picked) or n == 0 else rng.integers(0, n, 1)


def surveys(rng: np.random.Generator, leaf: np.ndarray, resolved: np.ndarray,
            wait_s: np.ndarray, bounced: np.ndarray, bot: np.ndarray, quality: np.ndarray,
            ended: np.ndarray) -> dict[str, np.ndarray]:
    """Survey responses for answered journeys (one row per respondent).

    All inputs are per candidate journey; leaf is the segment surveyed. Scores fall with
    unresolved needs, long waits and being bounced between queues or from a bot.
    """
    n = len(leaf)
    respond = rng.random(n) < np.where(bot, 0.05, 0.11)
    idx = _at_least_one(rng, np.flatnonzero(respond), n)
    k = len(idx)
    res = resolved[idx].astype(float)
    wait = np.minimum(wait_s[idx] / 180.0, 3.0)
    bump = bounced[idx].astype(float)
    mood = (3.7 + 1.1 * res - 0.45 * wait - 0.3 * bump - 0.12 * (quality[idx] - 1)
            + rng.normal(0, 0.8, k))
    csat = np.clip(np.round(mood), 1, 5).astype(np.int64)
    nps = np.clip(np.round(2.0 * mood - 0.2 + rng.normal(0, 1.1, k)), 0, 10).astype(np.int64)
    ces = np.clip(np.round(2.0 + 1.6 * (1 - res) + 0.5 * wait + 0.8 * bump
                           + rng.normal(0, 0.9, k)), 1, 7).astype(np.int64)
    reported = np.where(rng.random(k) < 0.88, res > 0, res == 0)
    comment = np.full(k, None, dtype=object)
    says = rng.random(k) < 0.25
    low, high = says & (csat <= 2), says & (csat >= 4)
    comment[low] = np.array(LOW_COMMENTS, dtype=object)[rng.integers(0, len(LOW_COMMENTS),
                                                                      int(low.sum()))]
    comment[high] = np.array(HIGH_COMMENTS, dtype=object)[rng.integers(0, len(HIGH_COMMENTS),
                                                                        int(high.sum()))]
    responded = ended[idx] + 600 + rng.exponential(6 * 3600, k).astype(np.int64)
    return {"row": idx, "responded": responded, "csat": csat, "nps": nps, "ces": ces,
            "resolved_reported": reported, "comment": comment}
