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


Children = Mapping[str | None, tuple[float, float | None]]


def decompose(current: Children, previous: Children,
              target: float | None) -> list[ChildEffect]:
    """The formulas above for children given as {child: (volume n, value r)} of this and
    the previous period (a child with no volume has no value). Shares and totals come from
    the children themselves, so both sums are exact up to rounding. Children in the order
    of the union, this period's first."""
    def total(children: Children) -> tuple[float, float | None]:
        volume = sum(n for n, _ in children.values())
        if not volume:
            return 0.0, None
        return volume, sum(n * r for n, r in children.values() if n and r is not None) / volume

    volume_now, _ = total(current)
    volume_before, previous_total = total(previous)
    effects = []
    for key in dict.fromkeys([*current, *previous]):
        n1, value1 = current.get(key, (0.0, None))
        n0, value0 = previous.get(key, (0.0, None))
        r1 = value1 if n1 else None
        r0 = value0 if n0 else None
        w1 = n1 / volume_now if volume_now else None
        w0 = n0 / volume_before if volume_before else None
        contribution = None
        if target is not None and w1 is not None:
            contribution = w1 * (r1 - target) if r1 is not None else 0.0
        mix = rate = None
        if w1 is not None and w0 is not None and previous_total is not None:
            base = r0 if r0 is not None else previous_total
            mix = (w1 - w0) * (base - previous_total)
            rate = w1 * (r1 - base) if r1 is not None else 0.0
        effects.append(ChildEffect(
            child=key, volume=n1, share=w1, value=r1, previous_value=r0, previous_share=w0,
            gap_contribution=contribution, mix_effect=mix, rate_effect=rate))
    return effects


def _children(records: list[dict[str, Any]], child: str) -> dict[str | None, tuple[float,
                                                                                float | None]]:
    return {None if r[child] is None else str(r[child]):
            (float(r["denominator"] or 0), r["value"]) for r in records}


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
    now = _children(to_records(compute(tables, [metric], start=current,
                                       end=month_end(current), **kwargs)), child)
    before = _children(to_records(compute(tables, [metric], start=previous,
                                          end=month_end(previous), **kwargs)), child)
    if not any(n for n, _ in [*now.values(), *before.values()]):
        filters = "; ".join(f"{k}={','.join(v)}" for k, v in where.items())
        raise CxpmError(f"no {metric} data in {current.isoformat()[:7]} or "
                        f"{previous.isoformat()[:7]}" + (f" for {filters}" if filters else ""))
    total_now = _total(tables, metric, where, current, params, catalog)
    total_before = _total(tables, metric, where, previous, params, catalog)
    value = total_now["value"] if total_now else None
    previous_value = total_before["value"] if total_before else None
    scope = {k: v[0] for k, v in where.items() if len(v) == 1}
    target_info = TargetBook(targets).find(metric, scope, current) if len(scope) == len(
        where) else None
    target = target_info.value if target_info else None
    children = sorted(decompose(now, before, target), key=lambda c: (c.child is None,
                                                                     str(c.child)))
    children.sort(key=lambda c: -(abs(c.gap_contribution) if c.gap_contribution is not None
                                  else abs((c.mix_effect or 0) + (c.rate_effect or 0))))
    return Drill(metric=metric, unit=definition.unit, direction=definition.direction,
                 where=where, child=child, period=current.isoformat()[:7],
                 previous_period=previous.isoformat()[:7], value=value,
                 previous_value=previous_value, target=target,
                 gap=None if value is None or target is None else value - target,
                 change=None if value is None or previous_value is None
                 else value - previous_value, children=children)
