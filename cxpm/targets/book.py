"""Which target applies to a value: the metric's target whose scope the value's group
matches, valid in the period; the most specific scope wins, then the latest start."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from cxpm.targets.model import TargetInfo


class TargetBook:
    def __init__(self, targets: Iterable[TargetInfo]) -> None:
        self._by_metric: dict[str, list[TargetInfo]] = {}
        for target in targets:
            self._by_metric.setdefault(target.metric, []).append(target)

    def metrics(self) -> list[str]:
        return list(self._by_metric)

    def find(self, metric: str, dimensions: Mapping[str, Any],
             period_start: date) -> TargetInfo | None:
        """The target of `metric` for a group (`dimensions`: its dimension values; a target
        scoped on a dimension the group is not split by does not apply) in the period
        starting `period_start`."""
        best: TargetInfo | None = None
        for target in self._by_metric.get(metric, ()):
            if target.valid_from > period_start:
                continue
            if target.valid_to is not None and target.valid_to < period_start:
                continue
            if any(dim not in dimensions or str(dimensions[dim]) != value
                   for dim, value in target.scope.items()):
                continue
            rank = (len(target.scope), target.valid_from, target.id)
            if best is None or rank > (len(best.scope), best.valid_from, best.id):
                best = target
        return best
