"""A target and the rule that judges a value against it (docs/targets.md)."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import Catalog, MetricDefinition

Status = Literal["met", "warning", "missed", "no data"]


class TargetSpec(BaseModel):
    """A target as entered: metric, scope (dimension values; empty = everywhere), validity
    period, value, optional warning threshold, benchmark reference, owner, rationale."""

    metric: str
    scope: dict[str, str] = Field(default_factory=dict)
    valid_from: date
    valid_to: date | None = None
    value: float
    warning: float | None = None
    benchmark_source: str | None = None
    benchmark_date: date | None = None
    benchmark_statistic: str | None = None
    benchmark_value: float | None = None
    owner: str | None = None
    rationale: str | None = None


class TargetInfo(TargetSpec):
    id: int
    direction: str


def scope_key(scope: dict[str, str]) -> str:
    """Canonical text of a scope: `dim=value;dim=value`, dimensions sorted."""
    return ";".join(f"{k}={scope[k]}" for k in sorted(scope))


def applies_within(scope: dict[str, str], dimension: str, value: str) -> bool:
    """Whether a target with `scope` applies to rows where `dimension` is `value`: it names
    that value, or no value of the dimension at all (an organisation-wide target, or one
    limited by other dimensions only, applies there too)."""
    return scope.get(dimension, value) == value


def limited_to(scope: dict[str, str], dimension: str, value: str) -> bool:
    """Whether a target with `scope` applies only to rows where `dimension` is `value`
    (changing it changes no one else's goal)."""
    return scope.get(dimension) == value


# A `;` or `,` separates two scope entries only where a `DIM=` follows, so that values
# such as "Cards, Loans" survive an export and import.
_SCOPE_SEPARATOR = re.compile(r"[;,](?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")


def parse_scope(text: str | None) -> dict[str, str]:
    """`program=billing;channel=voice` (also comma-separated) into a dict."""
    scope: dict[str, str] = {}
    for part in _SCOPE_SEPARATOR.split(text or ""):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise CxpmError(f"scope expects DIM=VALUE, got {part.strip()!r}")
        if key.strip() in scope:
            raise CxpmError(f"scope names {key.strip()} twice")
        scope[key.strip()] = value.strip()
    return scope


def parse_month_or_date(text: str, what: str) -> date:
    """YYYY-MM (the first of the month) or YYYY-MM-DD."""
    text = text.strip()
    try:
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        return date.fromisoformat(text)
    except ValueError:
        raise CxpmError(f"{what} expects YYYY-MM or YYYY-MM-DD, got {text!r}") from None


def checked_definition(spec: TargetSpec, catalog: Catalog) -> MetricDefinition:
    """The metric of a target, after checking the target makes sense for it."""
    definition = catalog.get(spec.metric)
    for name in ("value", "warning", "benchmark_value"):
        number = getattr(spec, name)
        if number is not None and not math.isfinite(number):
            raise CxpmError(f"target for {spec.metric}: {name} must be a finite number, "
                            f"got {number}")
    if definition.direction not in ("higher", "lower"):
        raise CxpmError(f"metric {spec.metric} has no better direction ({definition.direction}); "
                        f"targets need a metric where higher or lower is better")
    if len(scope_key(spec.scope)) > 400:  # stored in a 400-character column
        raise CxpmError(f"target for {spec.metric}: the scope is longer than 400 characters")
    unknown = [d for d in spec.scope if d not in definition.dimensions]
    if unknown:
        raise CxpmError(f"metric {spec.metric} cannot be scoped by {', '.join(unknown)}; its "
                        f"dimensions are {', '.join(definition.dimensions) or 'none'}")
    if spec.valid_to is not None and spec.valid_to < spec.valid_from:
        raise CxpmError(f"target for {spec.metric}: valid_to {spec.valid_to} is before "
                        f"valid_from {spec.valid_from}")
    if spec.warning is not None:
        worse = (spec.warning < spec.value if definition.direction == "higher"
                 else spec.warning > spec.value)
        if not worse:
            side = "below" if definition.direction == "higher" else "above"
            raise CxpmError(f"target for {spec.metric}: the warning threshold must be {side} "
                            f"the target ({definition.direction} is better)")
    return definition


def judge(value: float | None, target: float, warning: float | None,
          direction: str) -> Status:
    """met: at or better than the target; warning: worse than the target but at or better
    than the warning threshold; missed: worse than both; no data: no value. A value equal to
    a threshold up to floating-point rounding (0.1 + 0.2 against 0.3) counts as equal."""
    if value is None:
        return "no data"

    def at_or_better(threshold: float) -> bool:
        if math.isclose(value, threshold, rel_tol=1e-9, abs_tol=1e-12):
            return True
        return value >= threshold if direction == "higher" else value <= threshold

    if at_or_better(target):
        return "met"
    if warning is not None and at_or_better(warning):
        return "warning"
    return "missed"
