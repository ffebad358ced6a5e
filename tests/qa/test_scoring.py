"""Scoring evaluations: answer normalisation, validation of answers, and scores worked out
by hand from the form's weights."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxpm.errors import CxpmError
from cxpm.qa.forms import Form, load_form, parse_form
from cxpm.qa.scoring import AnswerError, normalise_answer, score_evaluation

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "qa"


def make_form(critical_failure: str = "no_effect") -> Form:
    """Section opening (weight 1): verify (compliance, w1), greet (non-critical, w1, na ok),
    courtesy (scale 1-5, error below 4, w2, 3 opportunities).
    Section resolution (weight 3): answer (choice correct 4 / partial 3 not an error /
    poor 1 / wrong 0, customer-critical, w3, na ok), billing (business-critical, w1,
    optional, na ok), notes (non-critical, w1, 2 opportunities, na ok)."""
    return parse_form({
        "id": "t", "version": 1, "title": "Test", "critical_failure": critical_failure,
        "sections": [
            {"id": "opening", "title": "Opening", "weight": 1, "items": [
                {"id": "verify", "text": "v", "type": "yes_no",
                 "category": "compliance_critical"},
                {"id": "greet", "text": "g", "type": "yes_no", "category": "non_critical",
                 "allow_na": True},
                {"id": "courtesy", "text": "c", "type": "scale", "category": "non_critical",
                 "weight": 2, "min": 1, "max": 5, "error_below": 4, "opportunities": 3},
            ]},
            {"id": "resolution", "title": "Resolution", "weight": 3, "items": [
                {"id": "answer", "text": "a", "type": "choice",
                 "category": "customer_critical", "weight": 3, "allow_na": True,
                 "options": [{"value": "correct", "points": 4},
                             {"value": "partial", "points": 3, "error": False},
                             {"value": "poor", "points": 1},
                             {"value": "wrong", "points": 0}]},
                {"id": "billing", "text": "b", "type": "yes_no",
                 "category": "business_critical", "required": False, "allow_na": True},
                {"id": "notes", "text": "n", "type": "yes_no", "category": "non_critical",
                 "opportunities": 2, "allow_na": True},
            ]},
        ],
    }, "test form")


PERFECT = {"verify": "yes", "greet": "yes", "courtesy": 5, "answer": "correct",
           "billing": "yes", "notes": "yes"}
# No critical error: greet na, courtesy 4 (3/4, not an error), partial (3/4, not an error),
# billing left blank (optional), notes no.
MIXED = {"verify": "yes", "greet": "na", "courtesy": "4", "answer": "partial",
         "billing": "", "notes": "no"}


def test_perfect_evaluation() -> None:
    scored = score_evaluation(make_form(), PERFECT)
    assert scored.score == 100.0
    assert not (scored.customer_critical_error or scored.business_critical_error
                or scored.compliance_critical_error)
    # greet 1 + courtesy 3 + notes 2
    assert (scored.noncritical_errors, scored.noncritical_opportunities) == (0, 6)
    assert (scored.form_id, scored.form_version) == ("t", 1)


def test_weights_na_and_fractions() -> None:
    scored = score_evaluation(make_form(), MIXED)
    # opening: verify 1 (w1) and courtesy (4-1)/(5-1) = 0.75 (w2); greet is na
    opening = (1 * 1 + 2 * 0.75) / 3
    # resolution: answer 3/4 (w3), notes 0 (w1); billing blank
    resolution = (3 * 0.75 + 1 * 0) / 4
    expected = 100 * (1 * opening + 3 * resolution) / 4  # 63.0208...
    assert scored.score == round(expected, 2) == 63.02
    assert [s.score for s in scored.sections] == [83.33, 56.25]
    assert not (scored.customer_critical_error or scored.business_critical_error
                or scored.compliance_critical_error)
    # courtesy 3 opportunities, no error; notes 2 opportunities, failed; greet na
    assert (scored.noncritical_errors, scored.noncritical_opportunities) == (2, 5)


def test_item_results() -> None:
    scored = score_evaluation(make_form(), MIXED)
    by_id = {r.item_id: r for r in scored.items}
    assert [r.item_id for r in scored.items] == [
        "verify", "greet", "courtesy", "answer", "billing", "notes"]
    greet = by_id["greet"]
    assert (greet.answer, greet.applicable, greet.points, greet.max_points, greet.error,
            greet.opportunities, greet.errors) == ("na", False, None, None, False, 0, 0)
    billing = by_id["billing"]
    assert (billing.answer, billing.applicable, billing.opportunities) == (None, False, 0)
    courtesy = by_id["courtesy"]
    assert (courtesy.section_id, courtesy.category, courtesy.answer, courtesy.points,
            courtesy.max_points, courtesy.error, courtesy.opportunities, courtesy.errors) == (
        "opening", "non_critical", "4", 3.0, 4.0, False, 3, 0)
    answer = by_id["answer"]
    assert (answer.answer, answer.points, answer.max_points, answer.error,
            answer.opportunities, answer.errors) == ("partial", 3.0, 4.0, False, 1, 0)
    notes = by_id["notes"]
    assert (notes.answer, notes.points, notes.error, notes.opportunities, notes.errors) == (
        "no", 0.0, True, 2, 2)
    verify = by_id["verify"]
    assert (verify.answer, verify.points, verify.max_points, verify.opportunities) == (
        "yes", 1.0, 1.0, 1)


# MIXED, but identity not verified (a compliance-critical failure) and courtesy 2 (an error).
FAILED = {**MIXED, "verify": "no", "courtesy": 2}
# opening: verify 0 (w1), courtesy (2-1)/4 = 0.25 (w2) -> 0.5/3; resolution 2.25/4
OPENING_FAILED = (1 * 0 + 2 * 0.25) / 3
RESOLUTION = (3 * 0.75 + 1 * 0) / 4


def test_critical_failure_no_effect() -> None:
    scored = score_evaluation(make_form("no_effect"), FAILED)
    expected = 100 * (1 * OPENING_FAILED + 3 * RESOLUTION) / 4  # 46.354...
    assert scored.score == round(expected, 2) == 46.35
    assert scored.compliance_critical_error
    assert not scored.customer_critical_error and not scored.business_critical_error
    # courtesy 3 errors + notes 2 errors, over 3 + 2 opportunities
    assert (scored.noncritical_errors, scored.noncritical_opportunities) == (5, 5)
    assert [s.critical_failure for s in scored.sections] == [True, False]


def test_critical_failure_zero_section() -> None:
    scored = score_evaluation(make_form("zero_section"), FAILED)
    # the opening section counts as 0: 100 * (1*0 + 3*0.5625) / 4 = 42.1875, half up -> 42.19
    assert scored.score == 42.19
    assert [s.score for s in scored.sections] == [0.0, 56.25]
    assert scored.compliance_critical_error


def test_critical_failure_zero_score() -> None:
    scored = score_evaluation(make_form("zero_score"), FAILED)
    assert scored.score == 0.0
    assert scored.compliance_critical_error
    assert (scored.noncritical_errors, scored.noncritical_opportunities) == (5, 5)


def test_zero_section_only_zeroes_the_failed_section() -> None:
    answers = {**PERFECT, "billing": "no"}  # business-critical failure in resolution
    scored = score_evaluation(make_form("zero_section"), answers)
    assert scored.score == 100 * (1 * 1 + 3 * 0) / 4 == 25.0
    assert scored.business_critical_error and not scored.customer_critical_error
    unaffected = score_evaluation(make_form("no_effect"), answers)
    # resolution: (3*1 + 1*0 + 1*1) / 5 = 0.8; form (1 + 3*0.8) / 4 = 0.85
    assert unaffected.score == 85.0
    assert unaffected.business_critical_error


def test_non_critical_errors_never_trigger_critical_failure() -> None:
    answers = {**PERFECT, "greet": "no", "notes": "no"}
    scored = score_evaluation(make_form("zero_score"), answers)
    # opening (1 + 0 + 2*1)/4 = 0.75; resolution (3 + 1 + 0)/5 = 0.8
    assert scored.score == round(100 * (0.75 + 3 * 0.8) / 4, 2) == 78.75
    assert (scored.noncritical_errors, scored.noncritical_opportunities) == (3, 6)


def test_choice_fraction_and_default_error() -> None:
    scored = score_evaluation(make_form("no_effect"), {**PERFECT, "answer": "poor"})
    # resolution: (3 * 1/4 + 1 + 1) / 5 = 0.55; form (1 + 3*0.55) / 4 = 0.6625
    assert scored.score == 66.25
    assert scored.customer_critical_error  # "poor" scores below the best option
    answer = next(r for r in scored.items if r.item_id == "answer")
    assert (answer.points, answer.max_points, answer.error, answer.errors) == (1.0, 4.0, True, 1)


def test_section_with_nothing_applicable_is_left_out() -> None:
    answers = {"verify": "yes", "greet": "no", "courtesy": 3, "answer": "na", "notes": "NA"}
    scored = score_evaluation(make_form(), answers)
    # only opening counts: (1 + 0 + 2 * 2/4) / 4 = 0.5; resolution's weight 3 is dropped
    assert scored.score == 50.0
    assert [s.score for s in scored.sections] == [50.0, None]


def test_everything_not_applicable_gives_no_score() -> None:
    form = parse_form({
        "id": "n", "version": 1, "title": "N", "critical_failure": "zero_score",
        "sections": [{"id": "s", "title": "S", "weight": 1, "items": [
            {"id": "a", "text": "a", "type": "yes_no", "category": "customer_critical",
             "allow_na": True},
            {"id": "b", "text": "b", "type": "yes_no", "category": "non_critical",
             "required": False}]}]}, "n")
    scored = score_evaluation(form, {"a": "na"})
    assert scored.score is None
    assert scored.sections[0].score is None
    assert not scored.customer_critical_error
    assert (scored.noncritical_errors, scored.noncritical_opportunities) == (0, 0)


def test_rounding_is_half_up_on_exact_values() -> None:
    form = parse_form({
        "id": "r", "version": 1, "title": "R", "critical_failure": "no_effect",
        "sections": [{"id": "s", "title": "S", "weight": 1, "items": [
            {"id": "fine", "text": "f", "type": "scale", "category": "non_critical",
             "min": 0, "max": 800}]}]}, "r")
    # 100 * 1/800 = 0.125 exactly, a tie: half up gives 0.13 (round-half-even gives 0.12)
    assert score_evaluation(form, {"fine": 1}).score == 0.13
    assert round(100 * 1 / 800, 2) == 0.12
    # 100 * 3/800 = 0.375 -> 0.38
    assert score_evaluation(form, {"fine": 3}).score == 0.38


# --- answer normalisation -------------------------------------------------------------

@pytest.mark.parametrize("raw, text", [
    ("yes", "yes"), ("YES", "yes"), (" Yes ", "yes"), ("y", "yes"), ("Y", "yes"),
    ("true", "yes"), ("True", "yes"), ("1", "yes"), (True, "yes"), (1, "yes"), (1.0, "yes"),
    ("no", "no"), ("No", "no"), ("n", "no"), ("false", "no"), ("FALSE", "no"), ("0", "no"),
    (False, "no"), (0, "no"),
    ("na", "na"), ("NA", "na"), ("n/a", "na"), ("N/A", "na"),
])
def test_yes_no_answers(raw: object, text: str) -> None:
    answer = normalise_answer(make_form().item("greet"), raw)
    assert answer.text == text
    assert answer.kind == ("na" if text == "na" else "value")
    assert answer.applicable is (text != "na")


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
def test_blank_is_not_answered(raw: object) -> None:
    for item_id in ("greet", "courtesy", "answer"):
        answer = normalise_answer(make_form().item(item_id), raw)
        assert (answer.kind, answer.text, answer.applicable) == ("blank", None, False)


@pytest.mark.parametrize("raw", ["maybe", "yess", 2, 0.5, [1]])
def test_yes_no_rejects_other_values(raw: object) -> None:
    with pytest.raises(AnswerError) as caught:
        normalise_answer(make_form().item("greet"), raw)
    assert caught.value.problems == [f"item greet: {raw!r} is not yes, no or na"]


def test_na_only_when_allowed() -> None:
    form = make_form()
    for raw in ("na", "N/A"):
        with pytest.raises(AnswerError) as caught:
            normalise_answer(form.item("verify"), raw)
        assert caught.value.problems == ["item verify: 'na' (not applicable) is not allowed"]
    with pytest.raises(AnswerError, match=r"'maybe' is not yes or no$"):
        normalise_answer(form.item("verify"), "maybe")


@pytest.mark.parametrize("raw, text, number", [
    (1, "1", 1.0), (5, "5", 5.0), ("4", "4", 4.0), (" 3.5 ", "3.5", 3.5), (2.25, "2.25", 2.25),
    ("4.0", "4", 4.0), ("1e0", "1", 1.0), ("+2", "2", 2.0), (".5e1", "5", 5.0),
])
def test_scale_answers(raw: object, text: str, number: float) -> None:
    answer = normalise_answer(make_form().item("courtesy"), raw)
    assert (answer.kind, answer.text, answer.number) == ("value", text, number)


@pytest.mark.parametrize("raw, problem", [
    (0, "item courtesy: 0 is outside the scale 1 to 5"),
    ("6", "item courtesy: 6 is outside the scale 1 to 5"),
    (5.01, "item courtesy: 5.01 is outside the scale 1 to 5"),
    ("four", "item courtesy: 'four' is not a number"),
    (True, "item courtesy: True is not a number"),
    ("nan", "item courtesy: 'nan' is not a number"),
    ("inf", "item courtesy: 'inf' is not a number"),
    ("1_0", "item courtesy: '1_0' is not a number"),
    (10**400, f"item courtesy: {10**400!r} is not a number"),
    ("1e400", "item courtesy: '1e400' is not a number"),
    ("na", "item courtesy: 'na' (not applicable) is not allowed"),
])
def test_scale_rejects(raw: object, problem: str) -> None:
    with pytest.raises(AnswerError) as caught:
        normalise_answer(make_form().item("courtesy"), raw)
    assert caught.value.problems == [problem]


@pytest.mark.parametrize("raw, text", [
    ("correct", "correct"), ("Correct", "correct"), (" PARTIAL ", "partial"), ("na", "na"),
])
def test_choice_answers_ignore_case(raw: object, text: str) -> None:
    assert normalise_answer(make_form().item("answer"), raw).text == text


def test_choice_numbers_match_numeric_option_values() -> None:
    form = parse_form({
        "id": "c", "version": 1, "title": "C", "critical_failure": "no_effect",
        "sections": [{"id": "s", "title": "S", "weight": 1, "items": [
            {"id": "level", "text": "l", "type": "choice", "category": "non_critical",
             "options": [{"value": "1", "points": 1}, {"value": "2", "points": 2}]}]}]}, "c")
    assert normalise_answer(form.item("level"), 2).text == "2"
    assert normalise_answer(form.item("level"), 2.0).text == "2"
    with pytest.raises(AnswerError, match=r"item level: True is not one of the options \(1, 2\)"):
        normalise_answer(form.item("level"), True)


def test_choice_rejects_unknown_option() -> None:
    with pytest.raises(AnswerError) as caught:
        normalise_answer(make_form().item("answer"), "great")
    assert caught.value.problems == [
        "item answer: 'great' is not one of the options (correct, partial, poor, wrong)"]


# --- validation of a whole evaluation --------------------------------------------------

def test_answer_error_lists_every_problem() -> None:
    answers = {"verify": "na", "courtesy": 9, "answer": "great", "notes": "yes",
               "bogus": "yes", "other": 1}
    with pytest.raises(AnswerError) as caught:
        score_evaluation(make_form(), answers)
    error = caught.value
    assert isinstance(error, CxpmError)
    assert error.problems == [
        "item verify: 'na' (not applicable) is not allowed",
        "item greet: required but not answered",
        "item courtesy: 9 is outside the scale 1 to 5",
        "item answer: 'great' is not one of the options (correct, partial, poor, wrong)",
        "item bogus: not an item of form t v1",
        "item other: not an item of form t v1",
    ]
    message = str(error)
    assert message.startswith("answers do not fit form t v1: ")
    assert all(problem in message for problem in error.problems)
    assert "\n" not in message


def test_missing_keys_and_blank_values_are_unanswered() -> None:
    with pytest.raises(AnswerError) as caught:
        score_evaluation(make_form(), {"greet": None})
    assert caught.value.problems == [
        f"item {i}: required but not answered"
        for i in ("verify", "greet", "courtesy", "answer", "notes")]


def test_optional_item_may_be_left_out() -> None:
    answers = {k: v for k, v in PERFECT.items() if k != "billing"}
    assert score_evaluation(make_form(), answers).score == 100.0


# --- the example forms ---------------------------------------------------------------

def test_voice_example_scores() -> None:
    form = load_form(EXAMPLES / "voice-form.toml")
    perfect = {item.id: _best_answer(item) for _, item in form.iter_items()}
    assert score_evaluation(form, perfect).score == 100.0
    failed = {**perfect, "verify_identity": "no"}
    scored = score_evaluation(form, failed)
    assert form.critical_failure == "zero_score"
    assert scored.score == 0.0 and scored.compliance_critical_error


def test_bot_example_scores() -> None:
    form = load_form(EXAMPLES / "bot-form.toml")
    perfect = {item.id: _best_answer(item) for _, item in form.iter_items()}
    scored = score_evaluation(form, {**perfect, "correct_answer": "wrong"})
    assert form.critical_failure == "zero_section"
    weights = {s.id: s.weight for s in form.sections}
    # the answer section is zeroed, every other section is perfect
    expected = 100 * (sum(weights.values()) - weights["answer"]) / sum(weights.values())
    assert scored.score == round(expected, 2)
    assert scored.customer_critical_error and not scored.compliance_critical_error


def _best_answer(item: Any) -> object:
    if item.type == "yes_no":
        return "yes"
    if item.type == "scale":
        return item.max
    return max(item.options, key=lambda option: option.points).value


# --- properties on random forms and answers ---------------------------------------------

CATEGORIES = ["customer_critical", "business_critical", "compliance_critical", "non_critical"]
weights = st.one_of(st.integers(1, 10), st.floats(0.1, 10, allow_nan=False))


@st.composite
def item_and_answer(draw: st.DrawFn, item_id: str) -> tuple[dict, object, dict]:
    """A random item definition, a raw answer to it, and what that answer means
    (worked out here from the raw answer: applicable, fraction, failed)."""
    category = draw(st.sampled_from(CATEGORIES))
    kind = draw(st.sampled_from(["yes_no", "scale", "choice"]))
    definition: dict[str, Any] = {
        "id": item_id, "text": item_id, "type": kind, "category": category,
        "weight": draw(weights), "required": draw(st.booleans()),
        "allow_na": draw(st.booleans())}
    if category == "non_critical":
        definition["opportunities"] = draw(st.integers(1, 4))
    outcomes = ["value"] + (["na"] if definition["allow_na"] else []) + (
        [] if definition["required"] else ["blank"])
    outcome = draw(st.sampled_from(outcomes))
    if kind == "yes_no":
        yes = draw(st.booleans())
        raw = draw(st.sampled_from(["yes", "Y", "true", "1", True, 1] if yes
                                   else ["no", "N", "False", "0", False, 0]))
        fraction, failed = (1.0, False) if yes else (0.0, True)
    elif kind == "scale":
        low = draw(st.integers(-5, 5))
        high = low + draw(st.integers(1, 10))
        below = draw(st.integers(low, high))
        definition.update(min=low, max=high, error_below=below)
        value = draw(st.one_of(st.integers(low, high), st.floats(low, high)))
        raw = draw(st.sampled_from([value, str(value)]))
        fraction, failed = (value - low) / (high - low), value < below
    else:
        points = draw(st.lists(st.integers(0, 5), min_size=1, max_size=4).filter(
            lambda p: max(p) > 0))
        flags = draw(st.lists(st.sampled_from([None, True, False]), min_size=len(points),
                              max_size=len(points)))
        options = []
        for position, (value, flag) in enumerate(zip(points, flags, strict=True)):
            option: dict[str, Any] = {"value": f"opt{position}", "points": value}
            if flag is not None:
                option["error"] = flag
            options.append(option)
        definition["options"] = options
        chosen = draw(st.integers(0, len(points) - 1))
        raw = draw(st.sampled_from([f"opt{chosen}", f"OPT{chosen}"]))
        fraction = points[chosen] / max(points)
        flag = flags[chosen]
        failed = flag if flag is not None else points[chosen] < max(points)
    if outcome == "na":
        raw = draw(st.sampled_from(["na", "NA", "n/a"]))
    elif outcome == "blank":
        raw = draw(st.sampled_from([None, "", "  "]))
    meaning = {"applicable": outcome == "value", "fraction": fraction, "failed": failed,
               "category": category, "weight": definition["weight"],
               "opportunities": definition.get("opportunities", 1)}
    return definition, raw, meaning


@st.composite
def evaluations(draw: st.DrawFn) -> tuple[dict, dict, list[list[dict]], str]:
    sections, answers, meanings = [], {}, []
    mode = draw(st.sampled_from(["zero_score", "zero_section", "no_effect"]))
    for s in range(draw(st.integers(1, 3))):
        items, section_meanings = [], []
        for i in range(draw(st.integers(1, 4))):
            definition, raw, meaning = draw(item_and_answer(f"i{s}_{i}"))
            items.append(definition)
            answers[definition["id"]] = raw
            section_meanings.append(meaning)
        sections.append({"id": f"s{s}", "title": "S", "weight": draw(weights), "items": items})
        meanings.append(section_meanings)
    form = {"id": "random", "version": 1, "title": "Random", "critical_failure": mode,
            "sections": sections}
    return form, answers, meanings, mode


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evaluations())
def test_scores_and_flags_follow_the_answers(case: tuple) -> None:
    form_data, answers, meanings, mode = case
    form = parse_form(form_data, "random")
    scored = score_evaluation(form, answers)
    applied = [m for section in meanings for m in section if m["applicable"]]
    for category in CATEGORIES[:3]:
        expected = any(m["failed"] for m in applied if m["category"] == category)
        assert getattr(scored, f"{category}_error") is expected
    noncritical = [m for m in applied if m["category"] == "non_critical"]
    assert scored.noncritical_opportunities == sum(m["opportunities"] for m in noncritical)
    assert scored.noncritical_errors == sum(m["opportunities"] for m in noncritical
                                            if m["failed"])
    if not applied:
        assert scored.score is None
        return
    assert scored.score is not None and 0.0 <= scored.score <= 100.0
    critical_failed = any(m["failed"] and m["category"] != "non_critical" for m in applied)
    # the score worked out again in plain floats
    total = weighted = 0.0
    for section, section_meanings in zip(form_data["sections"], meanings, strict=True):
        used = [m for m in section_meanings if m["applicable"]]
        if not used:
            continue
        value = sum(m["weight"] * m["fraction"] for m in used) / sum(m["weight"] for m in used)
        if mode == "zero_section" and any(m["failed"] and m["category"] != "non_critical"
                                          for m in used):
            value = 0.0
        total += section["weight"]
        weighted += section["weight"] * value
    expected_score = 0.0 if mode == "zero_score" and critical_failed else 100 * weighted / total
    assert math.isclose(scored.score, expected_score, abs_tol=0.0051)
