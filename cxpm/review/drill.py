"""Drilling into a gap: how much each child group (queue, agent, reason, channel…) adds to
a metric's gap to target, and how its change since the previous period splits into a mix
effect (the child's share of volume moved) and a rate effect (the child's own value moved).

For a metric that is a weighted mean of its children — every ratio metric, weighted by its
denominator — with weights w_i = n_i / N and child values r_i:
  gap to target   R − T = Σ w_i (r_i − T)                      contribution_i = w_i (r_i − T)
  change          R₁ − R₀ = Σ (w₁ᵢ − w₀ᵢ)(r₀ᵢ − R₀) + Σ w₁ᵢ (r₁ᵢ − r₀ᵢ)
                                   mix_i                        rate_i
Both sums are exact. A child new this period takes r₀ = R₀ (no mix effect, its whole value
is rate); a child gone this period has no rate effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import Catalog
from cxpm.metrics.engine import compute, to_records
from cxpm.scorecard import month_end, parse_period, previous_month
from cxpm.targets.book import TargetBook
from cxpm.targets.model import TargetInfo


class ChildEffect(BaseModel):
    child: str | None
    volume: float  # the child's denominator this period (contacts, evaluations…)
    share: float | None
    value: float | None
    previous_value: float | None
    previous_share: float | None
    gap_contribution: float | None  # w_i (r_i − T); None without a target
    mix_effect: float | None
    rate_effect: float | None


class Drill(BaseModel):
    metric: str
    unit: str
    direction: str
    where: dict[str, list[str]]
    child: str
    period: str
    previous_period: str
    value: float | None
    previous_value: float | None
    target: float | None
    gap: float | None  # value − target
    change: float | None
    children: list[ChildEffect]


def _by_child(records: list[dict[str, Any]], child: str) -> dict[Any, dict[str, Any]]:
    return {r[child]: r for r in records}


def _total(tables: Mapping[str, ir.Table], metric: str, where: Mapping[str, Sequence[str]],
           start: date, params: Mapping[str, Any] | None,
           catalog: Catalog) -> dict[str, Any] | None:
    records = to_records(compute(tables, [metric], where=where, grain="all", start=start,
                                 end=month_end(start), params=params, catalog=catalog))
    return records[0] if records else None


def drill(tables: Mapping[str, ir.Table], catalog: Catalog, *, metric: str, child: str,
          period: str, where: Mapping[str, Sequence[str]] | None = None,
          params: Mapping[str, Any] | None = None,
          targets: Sequence[TargetInfo] = ()) -> Drill:
    """Each `child` group's part in the gap of `metric` (filtered by `where`) to its target
    in month `period`, and in its change since the previous month, split into mix and rate."""
    definition = catalog.get(metric)
    if not definition.is_ratio:
        raise CxpmError(f"metric {metric} is a count (aggregation sum): drill into ratio "
                        f"metrics, whose value is a volume-weighted mean of their children")
    where = {k: list(v) for k, v in (where or {}).items()}
    if child in where:
        raise CxpmError(f"--by {child} is also filtered by --where; choose another child "
                        f"dimension")
    current = parse_period(period)
    previous = previous_month(current)
    kwargs = {"by": [child], "where": where, "grain": "all", "params": params,
              "catalog": catalog}
    now = _by_child(to_records(compute(tables, [metric], start=current,
                                       end=month_end(current), **kwargs)), child)
    before = _by_child(to_records(compute(tables, [metric], start=previous,
                                          end=month_end(previous), **kwargs)), child)
    total_now = _total(tables, metric, where, current, params, catalog)
    total_before = _total(tables, metric, where, previous, params, catalog)
    value = total_now["value"] if total_now else None
    previous_value = total_before["value"] if total_before else None
    scope = {k: v[0] for k, v in where.items() if len(v) == 1}
    target_info = TargetBook(targets).find(metric, scope, current) if len(scope) == len(
        where) else None
    target = target_info.value if target_info else None
    volume_now = sum(float(r["denominator"] or 0) for r in now.values())
    volume_before = sum(float(r["denominator"] or 0) for r in before.values())
    children = []
    for key in sorted(set(now) | set(before), key=lambda k: (k is None, str(k))):
        cur, old = now.get(key), before.get(key)
        n1 = float(cur["denominator"] or 0) if cur else 0.0
        n0 = float(old["denominator"] or 0) if old else 0.0
        w1 = n1 / volume_now if volume_now else None
        w0 = n0 / volume_before if volume_before else None
        r1 = cur["value"] if cur and n1 else None
        r0 = old["value"] if old and n0 else None
        gap_part = w1 * (r1 - target) if (w1 is not None and r1 is not None
                                          and target is not None) else (
            0.0 if target is not None and not n1 else None)
        mix = rate = None
        if w1 is not None and w0 is not None and previous_value is not None:
            base = r0 if r0 is not None else previous_value
            mix = (w1 - w0) * (base - previous_value)
            rate = w1 * (r1 - base) if r1 is not None else 0.0
        children.append(ChildEffect(
            child=None if key is None else str(key), volume=n1, share=w1, value=r1,
            previous_value=r0, previous_share=w0, gap_contribution=gap_part,
            mix_effect=mix, rate_effect=rate))
    children.sort(key=lambda c: -(abs(c.gap_contribution) if c.gap_contribution is not None
                                  else abs((c.mix_effect or 0) + (c.rate_effect or 0))))
    return Drill(metric=metric, unit=definition.unit, direction=definition.direction,
                 where=where, child=child, period=current.isoformat()[:7],
                 previous_period=previous.isoformat()[:7], value=value,
                 previous_value=previous_value, target=target,
                 gap=None if value is None or target is None else value - target,
                 change=None if value is None or previous_value is None
                 else value - previous_value, children=children)
