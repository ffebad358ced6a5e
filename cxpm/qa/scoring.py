"""Scoring one evaluation against one form version: answers are normalised and checked
first (all problems reported together), then the score and the error counts are computed.
The rules are in docs/qa-forms.md."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

from cxpm.errors import CxpmError
from cxpm.qa.forms import NA_SPELLINGS, Form, Item

_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
# Plain decimal notation only: float() would also take "1_0", "nan" and "infinity".
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class AnswerError(CxpmError):
    """Answers that do not fit the form. `problems` holds one `item <id>: <reason>` each."""

    def __init__(self, problems: list[str], context: str | None = None) -> None:
        self.problems = list(problems)
        lead = f"{context}: " if context else ""
        super().__init__(lead + "; ".join(self.problems))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Answer(_Frozen):
    """A normalised answer. `text` is "yes", "no", "na", the scale value ("4", "3.5") or the
    option value as the form spells it; None when not answered."""

    kind: Literal["value", "na", "blank"]
    text: str | None = None
    number: float | None = None  # the scale value; None for other items

    @property
    def applicable(self) -> bool:
        return self.kind == "value"


BLANK = Answer(kind="blank")
NOT_APPLICABLE = Answer(kind="na", text="na")


class ItemResult(_Frozen):
    item_id: str
    section_id: str
    category: str
    answer: str | None
    applicable: bool  # False for na and for an optional item left blank
    points: float | None  # None when not applicable
    max_points: float | None
    error: bool
    opportunities: int  # non-critical: the item's opportunities; critical: 1; 0 when n/a
    errors: int


class SectionResult(_Frozen):
    section_id: str
    weight: float
    score: float | None  # 0-100, after a zero_section critical failure; None when all n/a
    critical_failure: bool  # a critical item in this section failed


class ScoredEvaluation(_Frozen):
    form_id: str
    form_version: int
    score: float | None  # 0-100, 2 decimals; None when no item is applicable
    customer_critical_error: bool
    business_critical_error: bool
    compliance_critical_error: bool
    noncritical_errors: int
    noncritical_opportunities: int
    items: list[ItemResult]
    sections: list[SectionResult]


def normalise_answer(item: Item, raw: object) -> Answer:
    """The answer `raw` (text from a CSV cell, or a JSON value) means for `item`.
    Blank (None, empty text) is returned as not answered; whether that is allowed is for
    `score_evaluation` to decide. Raises AnswerError with one problem when it does not fit."""
    if _is_blank(raw):
        return BLANK
    if isinstance(raw, str) and raw.strip().casefold() in NA_SPELLINGS:
        if not item.allow_na:
            raise AnswerError([f"item {item.id}: 'na' (not applicable) is not allowed"])
        return NOT_APPLICABLE
    if item.type == "yes_no":
        return _yes_no(item, raw)
    if item.type == "scale":
        return _scale(item, raw)
    return _choice(item, raw)


def _is_blank(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    # A missing cell read by a dataframe library arrives as NaN.
    return isinstance(raw, float) and math.isnan(raw)


def _yes_no(item: Item, raw: object) -> Answer:
    if isinstance(raw, bool):
        return Answer(kind="value", text="yes" if raw else "no")
    if isinstance(raw, int | float) and raw in (0, 1):
        return Answer(kind="value", text="yes" if raw == 1 else "no")
    if isinstance(raw, str):
        word = raw.strip().casefold()
        if word in _YES:
            return Answer(kind="value", text="yes")
        if word in _NO:
            return Answer(kind="value", text="no")
    allowed = "yes, no or na" if item.allow_na else "yes or no"
    raise AnswerError([f"item {item.id}: {raw!r} is not {allowed}"])


def _scale(item: Item, raw: object) -> Answer:
    low, high = item.min, item.max
    assert low is not None and high is not None
    number: float | None = None
    if isinstance(raw, float) or (isinstance(raw, int) and not isinstance(raw, bool)
                                  and abs(raw) < 2**63):
        number = float(raw)
    elif isinstance(raw, str) and _NUMBER_TEXT.fullmatch(raw.strip()):
        number = float(raw.strip())
    if number is None or not math.isfinite(number):
        raise AnswerError([f"item {item.id}: {raw!r} is not a number"])
    if not low <= number <= high:
        raise AnswerError(
            [f"item {item.id}: {_number_text(number)} is outside the scale {low} to {high}"])
    return Answer(kind="value", text=_number_text(number), number=number)


def _choice(item: Item, raw: object) -> Answer:
    options = item.options or []
    if isinstance(raw, str):
        given = raw.strip()
    elif isinstance(raw, int) and not isinstance(raw, bool):
        given = str(raw)
    elif isinstance(raw, float):
        given = _number_text(raw)
    else:
        given = None
    if given is not None:
        # Option values are unique ignoring case (the form checks it), so this is unambiguous.
        for option in options:
            if option.value.casefold() == given.casefold():
                return Answer(kind="value", text=option.value)
    values = ", ".join(option.value for option in options)
    raise AnswerError([f"item {item.id}: {raw!r} is not one of the options ({values})"])


def _number_text(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


def score_evaluation(form: Form, answers: Mapping[str, object]) -> ScoredEvaluation:
    """Score `answers` (item id → raw answer) against `form`. Every problem (unknown item,
    required item unanswered, value off the scale, unknown option, na not allowed) is
    collected first and raised together in one AnswerError; nothing is scored then."""
    normalised, problems = _normalise_all(form, answers)
    if problems:
        raise AnswerError(problems, f"answers do not fit form {form.label}")
    items = [_item_result(section.id, item, normalised[item.id])
             for section, item in form.iter_items()]
    return _summarise(form, items)


def _normalise_all(form: Form, answers: Mapping[str, object]) -> tuple[dict[str, Answer],
                                                                        list[str]]:
    problems: list[str] = []
    normalised: dict[str, Answer] = {}
    for _, item in form.iter_items():
        try:
            answer = normalise_answer(item, answers.get(item.id))
        except AnswerError as exc:
            problems += exc.problems
            continue
        if item.required and answer.kind == "blank":
            problems.append(f"item {item.id}: required but not answered")
        normalised[item.id] = answer
    known = {item.id for _, item in form.iter_items()}
    problems += [f"item {key}: not an item of form {form.label}"
                 for key in answers if key not in known]
    return normalised, problems


def _item_result(section_id: str, item: Item, answer: Answer) -> ItemResult:
    common = {"item_id": item.id, "section_id": section_id, "category": item.category,
              "answer": answer.text}
    if not answer.applicable:
        return ItemResult(**common, applicable=False, points=None, max_points=None,
                          error=False, opportunities=0, errors=0)
    points, error = _points_and_error(item, answer)
    opportunities = item.opportunities  # always 1 on critical items (the form checks it)
    return ItemResult(**common, applicable=True, points=points, max_points=item.max_points,
                      error=error, opportunities=opportunities,
                      errors=opportunities if error else 0)


def _points_and_error(item: Item, answer: Answer) -> tuple[float, bool]:
    if item.type == "yes_no":
        return (1.0, False) if answer.text == "yes" else (0.0, True)
    if item.type == "scale":
        assert answer.number is not None and item.min is not None
        assert item.error_below is not None
        return answer.number - item.min, answer.number < item.error_below
    option = next(o for o in item.options or [] if o.value == answer.text)
    return float(option.points), bool(option.error)


def _summarise(form: Form, items: list[ItemResult]) -> ScoredEvaluation:
    by_item = {result.item_id: result for result in items}
    failed_categories = {r.category for r in items if r.applicable and r.error}
    critical_failure = bool(failed_categories - {"non_critical"})
    sections: list[SectionResult] = []
    weighted: list[tuple[Fraction, Fraction]] = []
    for section in form.sections:
        results = [by_item[item.id] for item in section.items]
        section_failed = any(r.error and r.category != "non_critical" for r in results)
        fraction = _section_fraction(section.items, results)
        if fraction is not None and section_failed and form.critical_failure == "zero_section":
            fraction = Fraction(0)
        if fraction is not None:
            weighted.append((Fraction(section.weight), fraction))
        sections.append(SectionResult(
            section_id=section.id, weight=float(section.weight),
            score=None if fraction is None else _percent(fraction),
            critical_failure=section_failed))
    score: float | None = None
    if weighted:
        total = sum(weight for weight, _ in weighted)
        overall = sum(weight * fraction for weight, fraction in weighted) / total
        if critical_failure and form.critical_failure == "zero_score":
            overall = Fraction(0)
        score = _percent(overall)
    noncritical = [r for r in items if r.category == "non_critical"]
    return ScoredEvaluation(
        form_id=form.id, form_version=form.version, score=score,
        customer_critical_error="customer_critical" in failed_categories,
        business_critical_error="business_critical" in failed_categories,
        compliance_critical_error="compliance_critical" in failed_categories,
        noncritical_errors=sum(r.errors for r in noncritical),
        noncritical_opportunities=sum(r.opportunities for r in noncritical),
        items=items, sections=sections)


def _section_fraction(section_items: list[Item], results: list[ItemResult]) -> Fraction | None:
    """Weight-averaged share of points over the applicable items; None when none is."""
    pairs = [(Fraction(item.weight), Fraction(r.points) / Fraction(r.max_points))
             for item, r in zip(section_items, results, strict=True)
             if r.applicable and r.points is not None and r.max_points]
    if not pairs:
        return None
    return sum(w * f for w, f in pairs) / sum(w for w, _ in pairs)


def _percent(fraction: Fraction) -> float:
    """100 × fraction rounded half up to 2 decimals, computed exactly."""
    hundredths = math.floor(fraction * 10_000 + Fraction(1, 2))
    return float(Fraction(hundredths, 100))
