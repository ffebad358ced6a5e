"""The composite index behind the awards (docs/awards.md): each metric scored against its
target, metrics averaged into components, components weighted into one index. Pure
arithmetic on values already computed; nothing is guessed when data is missing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import Catalog
from cxpm.targets.model import TargetInfo

# The metrics of each component, in display order. A fixed list keeps the index comparable
# across workspaces and years; a metric counts only where it has both a value and a target.
COMPONENTS: dict[str, tuple[str, ...]] = {
    "experience": ("csat", "nps", "first_contact_resolution"),
    "quality": ("customer_critical_accuracy", "business_critical_accuracy",
                "compliance_critical_accuracy"),
    "cost": ("cost_per_contact", "cost_per_resolved_contact"),
    "revenue": ("revenue_per_contact",),
}

# Beating a target by more than half counts as beating it by half, so one outstanding metric
# cannot hide a missed one.
ATTAINMENT_CAP = 1.5

INSUFFICIENT = "insufficient data"


class MetricAttainment(BaseModel):
    metric: str
    title: str
    unit: str
    direction: str
    value: float | None
    target: float | None
    target_id: int | None
    attainment: float | None
    # Why the metric does not count (no value, no target, unavailable...); None when it does.
    note: str | None = None


class ComponentScore(BaseModel):
    component: str
    weight: float
    score: float | None  # mean attainment of the metrics that count
    status: Literal["scored", "insufficient data"]
    metrics: list[MetricAttainment]


class GroupIndex(BaseModel):
    """A group's composite index for one year."""

    year: int
    index: float | None
    status: Literal["scored", "insufficient data"]
    # Weighted components without a score ("experience"), or "no data" for a group with no
    # data that year.
    missing: list[str]
    components: list[ComponentScore]


def component_weights(params: Mapping[str, object]) -> dict[str, float]:
    """Weight of each component from the awards.weight.* parameters; at least one > 0."""
    weights = {name: float(params[f"awards.weight.{name}"]) for name in COMPONENTS}
    if not any(weights.values()):
        raise CxpmError("every awards.weight.* parameter is 0: give at least one component "
                        "a weight above 0")
    return weights


def attainment(value: float, target: float, direction: str) -> tuple[float | None, str | None]:
    """value / target when higher is better, target / value when lower is better, clipped to
    [0, ATTAINMENT_CAP]; (None, why) when the ratio means nothing."""
    if direction not in ("higher", "lower"):
        return None, f"no better direction ({direction})"
    if target <= 0:
        return None, f"target {target:g} is not above 0: a ratio to it means nothing"
    if direction == "higher":
        ratio = value / target
    else:
        ratio = ATTAINMENT_CAP if value <= 0 else target / value
    return min(max(ratio, 0.0), ATTAINMENT_CAP), None


def score_metric(metric_id: str, value: float | None, target: TargetInfo | None,
                 catalog: Catalog, unavailable: str | None = None) -> MetricAttainment:
    definition = catalog.get(metric_id)
    result = MetricAttainment(metric=metric_id, title=definition.title, unit=definition.unit,
                              direction=definition.direction, value=value,
                              target=target.value if target else None,
                              target_id=target.id if target else None, attainment=None)
    if unavailable is not None:
        result.note = f"unavailable: {unavailable}"
    elif value is None and target is None:
        result.note = "no value and no target"
    elif value is None:
        result.note = "no value"
    elif target is None:
        result.note = "no target"
    else:
        result.attainment, result.note = attainment(value, target.value,
                                                    definition.direction)
    return result


def score_group(year: int, values: Mapping[str, float | None] | None,
                find_target: Callable[[str], TargetInfo | None], catalog: Catalog,
                weights: Mapping[str, float],
                unavailable: Mapping[str, str]) -> GroupIndex:
    """The index of one group for one year. `values` is None when the group has no data at
    all that year; `unavailable` maps metric ids that cannot be computed to the reason."""
    components = []
    for name, metric_ids in COMPONENTS.items():
        metrics = [score_metric(m, (values or {}).get(m), find_target(m), catalog,
                                unavailable.get(m)) for m in metric_ids]
        counted = [m.attainment for m in metrics if m.attainment is not None]
        score = sum(counted) / len(counted) if counted else None
        components.append(ComponentScore(
            component=name, weight=weights[name], score=score,
            status="scored" if score is not None else INSUFFICIENT, metrics=metrics))
    weighted = [c for c in components if c.weight > 0]
    missing = (["no data"] if values is None
               else [c.component for c in weighted if c.score is None])
    if missing:
        return GroupIndex(year=year, index=None, status=INSUFFICIENT, missing=missing,
                          components=components)
    index = (sum(c.weight * c.score for c in weighted if c.score is not None)
             / sum(c.weight for c in weighted))
    return GroupIndex(year=year, index=index, status="scored", missing=[],
                      components=components)
