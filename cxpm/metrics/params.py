"""Metric parameters: their defaults, documentation, and how user values are checked.

Keys are flat and dotted (`service_level.threshold_s`). No key is both a value and the prefix
of another key, so every set of parameters can be written as nested TOML tables.
Every default here is a **product default** (a reasonable starting point), not a rule of any
standard.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cxpm.errors import CxpmError
from cxpm.schema.tables import CHANNELS, STATES

SERVICE_LEVEL_VARIANTS = (
    "answered_plus_late_abandons",
    "offered",
    "offered_minus_short_abandons",
    "answered",
)


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its default and what values it accepts."""

    key: str
    default: Any
    doc: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: bool = False
    # Upper bound; exclusive when exclusive_maximum (probabilities such as a confidence).
    maximum: float | None = None
    exclusive_maximum: bool = False
    # What a list parameter holds: agent states, or dates (YYYY-MM-DD).
    items: str = "state"


@dataclass(frozen=True)
class ParamFamily:
    """Open-ended keys `<prefix>.<value>`, e.g. a threshold per queue (queues are user data)."""

    prefix: str
    default: Any
    doc: str
    values: tuple[str, ...] | None = None  # allowed suffixes; None = any


_THRESHOLD = "service_level.threshold_s"
# The chart kinds of cxpm.review.spc for proportions (not imported: metrics stay independent
# of the review package).
PROPORTION_CHARTS = ("p", "laney-p")

PARAM_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec(_THRESHOLD, 20, "Service-level threshold T in seconds for every contact whose "
              "queue and channel have no threshold of their own (so voice and chat by default)",
              minimum=0),
    ParamSpec(f"{_THRESHOLD}_by_channel.email", 86400, "T for email contacts (24 h)",
              minimum=0),
    ParamSpec("service_level.variant", "answered_plus_late_abandons",
              "Service-level formula variant (denominator): " + ", ".join(
                  SERVICE_LEVEL_VARIANTS), choices=SERVICE_LEVEL_VARIANTS),
    ParamSpec("short_abandon.threshold_s", 5, "An abandon within this many seconds of arrival "
              "is a short abandon", minimum=0),
    ParamSpec("repeat.window_days", 7, "Repeat-contact window in days, arrival to arrival",
              minimum=0, exclusive_minimum=True),
    ParamSpec("repeat.match_reason", True, "A repeat must have the same reason (null reasons "
              "match each other)"),
    ParamSpec("survey.csat_top_box_min", 4, "Lowest CSAT score (1-5) counted as satisfied",
              minimum=1),
    ParamSpec("survey.csat_bottom_box_max", 2, "Highest CSAT score (1-5) counted as "
              "dissatisfied", minimum=1),
    ParamSpec("survey.nps_promoter_min", 9, "Lowest likelihood-to-recommend (0-10) of a "
              "promoter", minimum=0),
    ParamSpec("survey.nps_detractor_max", 6, "Highest likelihood-to-recommend (0-10) of a "
              "detractor", minimum=0),
    ParamSpec("qa.include_calibration", False, "Count evaluations scored for calibration "
              "sessions in quality metrics"),
    ParamSpec("scorecard.consistency_periods", 3, "Scorecard: a target is met consistently "
              "when it is met in scorecard.consistency_required of the last this-many "
              "months", minimum=1),
    ParamSpec("scorecard.consistency_required", 3, "Scorecard: months (of the last "
              "scorecard.consistency_periods) in which the target must be met to count as "
              "consistent", minimum=1),
    ParamSpec("review.proportion_chart", "p", "Review: control chart of the proportion "
              "metrics (those charted as p-charts): p, or laney-p (Laney p′: the p-chart's "
              "limits widened by sigma_z for busy operations whose rates vary more than a "
              "binomial; docs/spc.md)", choices=PROPORTION_CHARTS),
    ParamSpec("actions.verify_periods", 3, "Corrective actions: complete months after the "
              "implementation date in which the metric must meet its target and stay in "
              "control before the fix counts as effective", minimum=1),
    ParamSpec("friction.min_surveys", 30, "Journey friction: the CSAT difference of a "
              "friction point is shown only when journeys with it and journeys without it "
              "each have at least this many surveys", minimum=1),
    ParamSpec("qa.sample.confidence", 0.95, "Quality sampling: confidence level of the "
              "sample size each agent, team or program needs per period", minimum=0,
              exclusive_minimum=True, maximum=1, exclusive_maximum=True),
    ParamSpec("qa.sample.margin", 0.05, "Quality sampling: margin of error (half-width of "
              "the interval) the sample size aims for", minimum=0, exclusive_minimum=True,
              maximum=1, exclusive_maximum=True),
    ParamSpec("qa.sample.expected_rate", 0.5, "Quality sampling: expected error rate used "
              "in the sample size (0.5 is the cautious choice: the largest sample)",
              minimum=0, maximum=1),
    ParamSpec("qa.calibration.score_tolerance", 5.0, "Calibration: an evaluator whose mean "
              "score differs from the reference (the expert, or the other evaluators' "
              "mean) by more than this many points is flagged", minimum=0),
    ParamSpec("qa.calibration.flag_agreement_min", 0.8, "Calibration: an evaluator whose "
              "critical-error flags agree with the reference's on fewer than this share of "
              "contacts is flagged", minimum=0, maximum=1),
    ParamSpec("qa.calibration.alpha_min", 0.667, "Calibration: items whose Krippendorff's "
              "alpha is below this are listed as low-agreement (0.667 is the usual lowest "
              "acceptable reliability for tentative conclusions)", maximum=1),
    ParamSpec("states.handling", ["on_contact", "wrap"], "Agent states that are handling "
              "time"),
    ParamSpec("states.available", ["available"], "Agent states that are available (idle, "
              "ready for contacts)"),
    ParamSpec("states.unpaid", ["offline"], "Agent states that are not paid (logged-out) "
              "time; every other state is paid time"),
    ParamSpec("forecast.special_days", [], "Holidays and special days (YYYY-MM-DD, local) "
              "left out of forecast training and forecast as closed", items="date"),
    ParamSpec("forecast.horizon", "", "Forecast accuracy compares only snapshots with this "
              "horizon label (e.g. week-ahead); empty = any label. Either way the latest "
              "snapshot created at or before the interval start is used"),
    ParamSpec("forecast.tolerance_interval", 0.10, "Forecast accuracy: an interval is within "
              "tolerance when |actual - forecast| <= this share of actual", minimum=0),
    ParamSpec("forecast.tolerance_day", 0.05, "Forecast accuracy: a day is within tolerance "
              "when its totals satisfy |actual - forecast| <= this share of actual",
              minimum=0),
    ParamSpec("schedule_fit.tolerance", 0.10, "Schedule fit: an interval is understaffed when "
              "scheduled agents < required x (1 - this), overstaffed when scheduled > "
              "required x (1 + this)", minimum=0),
    *(ParamSpec(f"awards.weight.{component}", 1.0, f"Awards: weight of the {component} "
                "component in the composite index (0 leaves it out; docs/awards.md)",
                minimum=0)
      for component in ("experience", "quality", "cost", "revenue")),
)

PARAM_FAMILIES: tuple[ParamFamily, ...] = (
    ParamFamily(f"{_THRESHOLD}_by_channel", 20, "T per channel", values=CHANNELS),
    ParamFamily(f"{_THRESHOLD}_by_queue", 20, "T per queue (wins over the channel's T)"),
)

SPECS_BY_KEY: dict[str, ParamSpec] = {spec.key: spec for spec in PARAM_SPECS}

DEFAULT_PARAMS: dict[str, Any] = {
    spec.key: list(spec.default) if isinstance(spec.default, list) else spec.default
    for spec in PARAM_SPECS
}

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def family_of(key: str) -> ParamFamily | None:
    """The open-ended family a key belongs to, if any."""
    for family in PARAM_FAMILIES:
        if key.startswith(family.prefix + ".") and len(key) > len(family.prefix) + 1:
            return family
    return None


def _spec_for(key: str) -> ParamSpec:
    spec = SPECS_BY_KEY.get(key)
    if spec is not None:
        return spec
    family = family_of(key)
    if family is None:
        close = difflib.get_close_matches(key, [*SPECS_BY_KEY, *(
            f.prefix + ".<value>" for f in PARAM_FAMILIES)], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else (
            "; see `cxpm metrics explain ID` or docs/metrics.md for the parameters")
        raise CxpmError(f"unknown metric parameter {key!r}{hint}")
    suffix = key[len(family.prefix) + 1:]
    if family.values is not None and suffix not in family.values:
        raise CxpmError(f"parameter {key!r}: {suffix!r} is not one of "
                        f"{', '.join(family.values)}")
    return ParamSpec(key, family.default, family.doc, minimum=0)


def _coerce(spec: ParamSpec, value: Any) -> Any:
    key, default = spec.key, spec.default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise CxpmError(f"parameter {key!r} expects true or false, got {value!r}")
    if isinstance(default, int | float):
        number = _number(key, value)
        if spec.minimum is not None and (number < spec.minimum or (
                spec.exclusive_minimum and number == spec.minimum)):
            relation = ">" if spec.exclusive_minimum else ">="
            raise CxpmError(f"parameter {key!r} must be {relation} {spec.minimum:g}, "
                            f"got {value!r}")
        if spec.maximum is not None and (number > spec.maximum or (
                spec.exclusive_maximum and number == spec.maximum)):
            relation = "<" if spec.exclusive_maximum else "<="
            raise CxpmError(f"parameter {key!r} must be {relation} {spec.maximum:g}, "
                            f"got {value!r}")
        return number
    if isinstance(default, list):
        items = value.split(",") if isinstance(value, str) else value
        what = "dates (YYYY-MM-DD)" if spec.items == "date" else "agent states"
        if not isinstance(items, list | tuple) or not all(
                isinstance(i, str | date) for i in items):
            raise CxpmError(f"parameter {key!r} expects a list of {what}, got {value!r}")
        items = [str(i).strip() for i in items if str(i).strip()]
        if spec.items == "date":
            return [_iso_date(key, i) for i in items]
        unknown = [i for i in items if i not in STATES]
        if unknown:
            raise CxpmError(f"parameter {key!r}: unknown state(s) {', '.join(unknown)}; "
                            f"states are {', '.join(STATES)}")
        return items
    if not isinstance(value, str):
        raise CxpmError(f"parameter {key!r} expects text, got {value!r}")
    if spec.choices is not None and value not in spec.choices:
        raise CxpmError(f"parameter {key!r} must be one of {', '.join(spec.choices)}, "
                        f"got {value!r}")
    return value


def _iso_date(key: str, text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise CxpmError(f"parameter {key!r}: {text!r} is not a date (YYYY-MM-DD)") from None


def _number(key: str, value: Any) -> int | float:
    if isinstance(value, bool):
        raise CxpmError(f"parameter {key!r} expects a number, got {value!r}")
    if isinstance(value, int | float):
        number: float = value
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise CxpmError(f"parameter {key!r} expects a number, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise CxpmError(f"parameter {key!r} expects a finite number, got {value!r}")
    return int(number) if float(number).is_integer() else float(number)


def _pairs(overrides: Sequence[str] | Mapping[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    if isinstance(overrides, str):
        overrides = [overrides]
    pairs = []
    for text in overrides:
        key, sep, value = str(text).partition("=")
        if not sep or not key.strip():
            raise CxpmError(f"parameter override {text!r} must look like KEY=VALUE, e.g. "
                            "service_level.threshold_s=30")
        pairs.append((key.strip(), value.strip()))
    return pairs


def resolve_params(
    workspace_params: Mapping[str, Any] | None = None,
    overrides: Sequence[str] | Mapping[str, Any] = (),
) -> dict[str, Any]:
    """Effective parameters: defaults, then the workspace's [params], then per-call overrides
    ("KEY=VALUE" strings or a mapping). Values are checked and coerced to the default's type;
    unknown keys and bad values raise CxpmError naming the key."""
    params = {k: list(v) if isinstance(v, list) else v for k, v in DEFAULT_PARAMS.items()}
    for key, value in [*(workspace_params or {}).items(), *_pairs(overrides)]:
        params[key] = _coerce(_spec_for(key), value)
    return params


def param_doc(key: str) -> str:
    """The documentation line of a parameter key (including open-ended family keys)."""
    return _spec_for(key).doc
