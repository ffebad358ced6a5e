"""Customer surveys and quality evaluations, both driven by what happened on the contact."""

from __future__ import annotations

import numpy as np

EVALUATORS = tuple(f"QA-{i:02d}" for i in range(1, 7))
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


def evaluations(rng: np.random.Generator, risk: np.ndarray, digital: np.ndarray,
                bot: np.ndarray, ended: np.ndarray) -> dict[str, np.ndarray]:
    """QA evaluations of sampled segments. risk multiplies the base critical-error rates
    (site, agent, tenure and outcome combined); per candidate segment."""
    n = len(risk)
    sampled = _at_least_one(rng, np.flatnonzero(rng.random(n) < np.where(bot, 0.004, 0.03)), n)
    k = len(sampled)
    r = risk[sampled]
    customer = rng.random(k) < np.minimum(0.028 * r, 0.9)
    business = rng.random(k) < np.minimum(0.02 * r, 0.9)
    compliance = rng.random(k) < np.minimum(0.014 * r, 0.9)
    opportunities = np.where(digital[sampled], 18, 24)
    errors = rng.binomial(opportunities, np.minimum(0.035 * np.sqrt(r), 0.8))
    score = np.clip(100 - 80 * errors / opportunities - 30 * customer - 25 * business
                    - 35 * compliance, 0, 100).round(1)
    form = np.where(bot[sampled], "bot-v1", np.where(digital[sampled], "digital-v2", "voice-v3"))
    evaluated = ended[sampled] + rng.integers(6 * 3600, 5 * 86400, k)
    evaluator = np.array(EVALUATORS, dtype=object)[rng.integers(0, len(EVALUATORS), k)]
    return {"row": sampled, "evaluated": evaluated, "customer": customer, "business": business,
            "compliance": compliance, "errors": errors, "opportunities": opportunities,
            "score": score, "form": form.astype(object), "evaluator": evaluator,
            "calibration": np.full(k, None, dtype=object)}


def add_calibration(rng: np.random.Generator, evals: dict[str, np.ndarray],
                    month_of: np.ndarray) -> dict[str, np.ndarray]:
    """Monthly calibration: a few evaluated contacts re-scored by three other evaluators."""
    extra: list[int] = []
    sessions: list[str] = []
    evaluators: list[str] = []
    for month in np.unique(month_of):
        candidates = np.flatnonzero((month_of == month) & (evals["form"] != "bot-v1"))
        for pick in rng.choice(candidates, min(5, len(candidates)), replace=False):
            others = [e for e in EVALUATORS if e != evals["evaluator"][pick]]
            for who in rng.choice(others, 3, replace=False):
                extra.append(int(pick))
                sessions.append(f"CAL-{month}")
                evaluators.append(str(who))
    idx = np.array(extra, dtype=np.int64)
    k = len(idx)
    flip = lambda col: evals[col][idx] ^ (rng.random(k) < 0.08)  # noqa: E731
    out = {key: np.concatenate([val, val[idx]]) for key, val in evals.items()}
    for col in ("customer", "business", "compliance"):
        out[col][-k:] = flip(col) if k else out[col][-k:]
    if k:
        errors = np.clip(evals["errors"][idx] + rng.integers(-1, 2, k), 0,
                         evals["opportunities"][idx])
        out["errors"][-k:] = errors
        out["score"][-k:] = np.clip(
            100 - 80 * errors / evals["opportunities"][idx] - 30 * out["customer"][-k:]
            - 25 * out["business"][-k:] - 35 * out["compliance"][-k:], 0, 100).round(1)
        out["evaluated"][-k:] = evals["evaluated"][idx] + 86400
        out["evaluator"][-k:] = np.array(evaluators, dtype=object)
        out["calibration"][-k:] = np.array(sessions, dtype=object)
        # The original evaluation joins the session too.
        out["calibration"][idx] = np.array(sessions, dtype=object)
    return out
