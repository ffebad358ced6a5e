"""Item-level answers to the demo's evaluation forms: what really happened on a contact
(the truth, driven by its risk) and what an evaluator records of it.

Every form item has a base chance of failing at risk 1. A critical item's chance grows with
the contact's risk (site, agent, tenure, outcome), a non-critical item's with its square
root, so the critical accuracies differ by site and agent the way operations do. Evaluators
record the truth with a little noise on non-critical items; a lenient evaluator passes many
failed items, critical ones included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from cxpm.qa.forms import Form, Item, parse_form_toml

FORM_FILES = ("voice.toml", "digital.toml", "bot.toml")
LENIENT_MISS = 0.75  # chance a lenient evaluator passes an item that failed
LENIENT_BUMP = 0.3  # chance a lenient evaluator rates a scale one point higher
NOISE_FLIP = 0.02  # chance anyone misjudges a non-critical yes/no item
SCALE_NOISE = 0.15  # chance a scale rating is one point off


@dataclass(frozen=True)
class ItemProfile:
    """How an item behaves: its chance of failing at risk 1, of not applying (na) and of
    being left blank (optional items). `applies_when` names a contact fact (hold, cancel,
    escalated) that decides whether the item applies, instead of chance."""

    error: float
    na: float = 0.0
    blank: float = 0.0
    applies_when: str | None = None


PROFILES: dict[str, dict[str, ItemProfile]] = {
    "voice": {
        "greeting": ItemProfile(0.025),
        "verify_identity": ItemProfile(0.006),
        "recording_notice": ItemProfile(0.012, na=0.7),
        "need_identified": ItemProfile(0.007),
        "correct_answer": ItemProfile(0.013),
        "account_updated": ItemProfile(0.009, na=0.55),
        "retention_offer": ItemProfile(0.06, applies_when="cancel"),
        "courtesy": ItemProfile(0.025),
        "plain_language": ItemProfile(0.03),
        "hold_etiquette": ItemProfile(0.05, applies_when="hold"),
        "summary": ItemProfile(0.04),
        "notes_accurate": ItemProfile(0.007),
        "further_help": ItemProfile(0.025, blank=0.05),
    },
    "digital": {
        "greeting": ItemProfile(0.02),
        "verify_identity": ItemProfile(0.006),
        "need_identified": ItemProfile(0.006),
        "correct_answer": ItemProfile(0.012),
        "account_updated": ItemProfile(0.009, na=0.6),
        "retention_offer": ItemProfile(0.06, applies_when="cancel"),
        "tone": ItemProfile(0.02),
        "spelling_grammar": ItemProfile(0.04),
        "personalised": ItemProfile(0.05),
        "data_protection": ItemProfile(0.004),
        "notes_accurate": ItemProfile(0.007),
        "further_help": ItemProfile(0.025, blank=0.05),
    },
    "bot": {
        "intent_understood": ItemProfile(0.015),
        "clarification_loops": ItemProfile(0.07),
        "correct_answer": ItemProfile(0.012),
        "no_invented_policy": ItemProfile(0.012),
        "transaction_correct": ItemProfile(0.015, na=0.6),
        "data_protection": ItemProfile(0.003),
        "disclosed_automation": ItemProfile(0.006),
        "correct_handoff": ItemProfile(0.01),
        "context_passed": ItemProfile(0.06, applies_when="escalated"),
        "tone": ItemProfile(0.02),
        "concise": ItemProfile(0.05),
    },
}


@cache
def demo_forms() -> dict[str, Form]:
    """The demo's forms by id, read from the package."""
    folder = resources.files("cxpm.demo.forms")
    forms = [parse_form_toml(folder.joinpath(name).read_text("utf-8"), f"demo form {name}")
             for name in FORM_FILES]
    return {form.id: form for form in forms}


def _applicable(values: np.ndarray) -> np.ndarray:
    return np.array([v is not None and v != "na" for v in values], dtype=bool)


def _numbers(values: np.ndarray) -> np.ndarray:
    return np.array([float(v) if v is not None and v != "na" else np.nan for v in values])


def item_errors(item: Item, values: np.ndarray) -> np.ndarray:
    """Which answers count as an error of `item` (the form's scoring rule)."""
    if item.type == "yes_no":
        return values == "no"
    if item.type == "choice":
        failing = {o.value for o in item.options or [] if o.error}
        return np.array([v in failing for v in values], dtype=bool)
    with np.errstate(invalid="ignore"):
        return _numbers(values) < item.error_below


def _scale_values(rng: np.random.Generator, item: Item, error: np.ndarray) -> np.ndarray:
    low = int(item.min)
    passing_from = math.ceil(item.error_below)
    failing = np.arange(low, passing_from)
    passing = np.arange(passing_from, int(item.max) + 1)
    # Good ratings lean to the top of the scale.
    weights = np.arange(1, len(passing) + 1, dtype=float)
    good = rng.choice(passing, len(error), p=weights / weights.sum())
    bad = (rng.choice(failing, len(error)) if len(failing) else good)
    return np.where(error, bad, good).astype(object)


def _choice_values(rng: np.random.Generator, item: Item, error: np.ndarray) -> np.ndarray:
    options = item.options or []
    best = max(options, key=lambda o: o.points).value
    failing = [o.value for o in options if o.error]
    if not failing:
        return np.full(len(error), best, dtype=object)
    # Incomplete answers are more common than plainly wrong ones.
    weights = np.array([3.0] + [1.0] * (len(failing) - 1))
    picked = rng.choice(np.array(failing, dtype=object), len(error), p=weights / weights.sum())
    return np.where(error, picked, best).astype(object)


def true_answers(rng: np.random.Generator, form: Form, risk: np.ndarray,
                 context: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What happened on each contact, as the answers a perfect evaluator would give: per item
    id, one answer per contact ("na" where it does not apply, None when left blank)."""
    n = len(risk)
    profiles = PROFILES[form.id]
    out: dict[str, np.ndarray] = {}
    for _, item in form.iter_items():
        profile = profiles[item.id]
        growth = np.sqrt(risk) if item.category == "non_critical" else risk
        error = rng.random(n) < np.minimum(profile.error * growth, 0.9)
        if item.type == "yes_no":
            values = np.where(error, "no", "yes").astype(object)
        elif item.type == "choice":
            values = _choice_values(rng, item, error)
        else:
            values = _scale_values(rng, item, error)
        if profile.applies_when:
            values[~context[profile.applies_when]] = "na"
        elif profile.na:
            values[rng.random(n) < profile.na] = "na"
        if profile.blank:
            values[rng.random(n) < profile.blank] = None
        out[item.id] = values
    return out


def recorded_answers(rng: np.random.Generator, form: Form, truth: dict[str, np.ndarray],
                     lenient: np.ndarray) -> dict[str, np.ndarray]:
    """What evaluators write down: the truth with small noise on non-critical items; where
    `lenient`, failed items (critical or not) are often passed and scales rated higher."""
    n = len(lenient)
    out: dict[str, np.ndarray] = {}
    for _, item in form.iter_items():
        values = truth[item.id].copy()
        applicable = _applicable(values)
        failed = item_errors(item, values) & applicable
        forgiven = lenient & failed & (rng.random(n) < LENIENT_MISS)
        if item.type == "yes_no":
            values[forgiven] = "yes"
            if item.category == "non_critical":
                flip = ~lenient & applicable & (rng.random(n) < NOISE_FLIP)
                values[flip] = np.where(values[flip] == "yes", "no", "yes")
        elif item.type == "choice":
            values[forgiven] = max(item.options or [], key=lambda o: o.points).value
        else:
            numbers = _numbers(values)
            passing_from = math.ceil(item.error_below)
            numbers[forgiven] = passing_from
            bump = lenient & applicable & ~failed & (rng.random(n) < LENIENT_BUMP)
            numbers[bump] += 1
            off = ~lenient & applicable & (rng.random(n) < SCALE_NOISE)
            numbers[off] += rng.choice([-1.0, 1.0], int(off.sum()))
            numbers = np.clip(numbers, item.min, item.max)
            values[applicable] = [int(v) for v in numbers[applicable]]
        out[item.id] = values
    return out


def critical_failure(form: Form, answers: dict[str, np.ndarray]) -> np.ndarray:
    """Whether each evaluation has any critical error."""
    n = len(next(iter(answers.values())))
    out = np.zeros(n, dtype=bool)
    for _, item in form.iter_items():
        if item.category != "non_critical":
            out |= item_errors(item, answers[item.id])
    return out
