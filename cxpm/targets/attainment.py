"""Judging a scorecard cell against its targets over recent periods: status this period,
whether the target was met consistently (N of the last M periods), and "achieving
results": the share of metrics with a target that meet it consistently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel

from cxpm.targets.book import TargetBook
from cxpm.targets.model import Status, judge

# Families shown first in "achieving results": the customer's experience and its cost.
LEADING_FAMILIES = ("experience", "cost")


class Attainment(BaseModel):
    target: float | None
    warning: float | None
    target_id: int | None
    status: Status | None  # None when no target applies
    periods_met: int | None
    periods_considered: int | None
    consistent: bool | None


class AchievingRow(BaseModel):
    family: str  # "all" for the overall line
    with_target: int
    consistent: int
    share: float | None


def assess(book: TargetBook, metric: str, direction: str, dimensions: Mapping[str, Any],
           months: Sequence[date], values: Mapping[date, float | None],
           required: int) -> Attainment:
    """`months` are the last M period starts, oldest first; the last one is the current."""
    current = months[-1]
    target = book.find(metric, dimensions, current)
    met = considered = 0
    for month in months:
        applies = book.find(metric, dimensions, month)
        value = values.get(month)
        if applies is None or value is None:
            continue
        considered += 1
        met += judge(value, applies.value, applies.warning, direction) == "met"
    if target is None:
        return Attainment(target=None, warning=None, target_id=None, status=None,
                          periods_met=met if considered else None,
                          periods_considered=considered if considered else None,
                          consistent=None)
    return Attainment(target=target.value, warning=target.warning, target_id=target.id,
                      status=judge(values.get(current), target.value, target.warning,
                                   direction),
                      periods_met=met, periods_considered=considered,
                      consistent=met >= required)


def achieving_results(rows: Sequence[tuple[str, Attainment]]) -> list[AchievingRow]:
    """Share of (metric, group) cells with a target that meet it consistently: overall,
    then by family with experience and cost first."""
    tally: dict[str, list[int]] = {}
    for family, attainment in rows:
        if attainment.consistent is None:
            continue
        for key in ("all", family):
            counts = tally.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += attainment.consistent
    families = sorted((f for f in tally if f != "all"),
                      key=lambda f: (LEADING_FAMILIES.index(f) if f in LEADING_FAMILIES
                                     else len(LEADING_FAMILIES), f))
    return [AchievingRow(family=f, with_target=tally[f][0], consistent=tally[f][1],
                         share=tally[f][1] / tally[f][0] if tally[f][0] else None)
            for f in (["all"] if "all" in tally else []) + families]
