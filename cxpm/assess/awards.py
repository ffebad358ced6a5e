"""Recognition (docs/awards.md): two rankings of programs, sites or vendors for a year by
the composite index of composite.py — "superior performance" (the year's index) and
"transformation" (the change of the index from the year before). Groups without an index
are listed after the ranked ones as "insufficient data", with what is missing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.assess.composite import (
    ATTAINMENT_CAP,
    COMPONENTS,
    INSUFFICIENT,
    ComponentScore,
    GroupIndex,
    component_weights,
    score_group,
)
from cxpm.errors import CxpmError
from cxpm.metrics.catalog import Catalog
from cxpm.metrics.engine import compute, to_records
from cxpm.metrics.params import resolve_params
from cxpm.scorecard import Unavailable
from cxpm.targets.book import TargetBook
from cxpm.targets.model import TargetInfo

GROUPINGS = ("program", "site", "vendor")


class SuperiorEntry(BaseModel):
    rank: int | None  # None: insufficient data
    group: str
    index: float | None
    status: str  # ranked | insufficient data
    missing: list[str]
    components: list[ComponentScore]


class MetricChange(BaseModel):
    metric: str
    value: float | None
    previous_value: float | None
    target: float | None
    previous_target: float | None
    attainment: float | None
    previous_attainment: float | None
    note: str | None  # why the metric does not count this year
    previous_note: str | None


class ComponentChange(BaseModel):
    component: str
    weight: float
    score: float | None
    previous_score: float | None
    change: float | None
    metrics: list[MetricChange]


class TransformationEntry(BaseModel):
    rank: int | None
    group: str
    change: float | None  # index of the year minus index of the year before
    index: float | None
    previous_index: float | None
    status: str
    # What keeps the group from a change: "2025: experience", "2026: no data"...
    missing: list[str]
    components: list[ComponentChange]


class Awards(BaseModel):
    year: int
    previous_year: int
    by: str
    weights: dict[str, float]
    attainment_cap: float
    components: dict[str, list[str]]  # component -> its metrics
    superior: list[SuperiorEntry]
    transformation: list[TransformationEntry]
    unavailable: list[Unavailable]


def _compute_year(tables: Mapping[str, ir.Table], metric_ids: Sequence[str], by: str,
                  year: int, params: Mapping[str, Any], catalog: Catalog,
                  ) -> tuple[dict[str, dict[str, float | None]], dict[str, str]]:
    """Each group's value of each metric over the calendar year (local time), and the
    metrics that cannot be computed this way with the reason. Rows without a value for `by`
    belong to no group."""
    kwargs: dict[str, Any] = {"by": [by], "grain": "all", "start": date(year, 1, 1),
                              "end": date(year, 12, 31), "params": params,
                              "catalog": catalog}
    unavailable: dict[str, str] = {}
    try:
        records = to_records(compute(tables, metric_ids, **kwargs))
    except CxpmError:
        records = []
        for metric_id in metric_ids:
            try:
                records += to_records(compute(tables, [metric_id], **kwargs))
            except CxpmError as exc:
                unavailable[metric_id] = str(exc)
    values: dict[str, dict[str, float | None]] = {}
    for record in records:
        if record[by] is None:
            continue
        values.setdefault(record[by], {})[record["metric"]] = record["value"]
    return values, unavailable


def _ranks(scores: Sequence[float]) -> list[int]:
    """Competition ranks of scores sorted best first: equal scores share a rank (1, 1, 3)."""
    ranks: list[int] = []
    for position, score in enumerate(scores):
        tied = position and round(score, 12) == round(scores[position - 1], 12)
        ranks.append(ranks[-1] if tied else position + 1)
    return ranks


def _superior(indices: Mapping[str, GroupIndex]) -> list[SuperiorEntry]:
    scored = sorted((g for g in indices if indices[g].index is not None),
                    key=lambda g: (-(indices[g].index or 0.0), g))
    ranks = _ranks([indices[g].index or 0.0 for g in scored])
    entries = [SuperiorEntry(rank=rank, group=g, index=indices[g].index, status="ranked",
                             missing=[], components=indices[g].components)
               for g, rank in zip(scored, ranks, strict=True)]
    entries += [SuperiorEntry(rank=None, group=g, index=None, status=INSUFFICIENT,
                              missing=indices[g].missing, components=indices[g].components)
                for g in sorted(indices) if indices[g].index is None]
    return entries


def _component_changes(current: GroupIndex, previous: GroupIndex) -> list[ComponentChange]:
    changes = []
    for now, before in zip(current.components, previous.components, strict=True):
        change = (now.score - before.score
                  if now.score is not None and before.score is not None else None)
        metrics = [MetricChange(metric=m.metric, value=m.value, previous_value=p.value,
                                target=m.target, previous_target=p.target,
                                attainment=m.attainment, previous_attainment=p.attainment,
                                note=m.note, previous_note=p.note)
                   for m, p in zip(now.metrics, before.metrics, strict=True)]
        changes.append(ComponentChange(component=now.component, weight=now.weight,
                                       score=now.score, previous_score=before.score,
                                       change=change, metrics=metrics))
    return changes


def _transformation(current: Mapping[str, GroupIndex],
                    previous: Mapping[str, GroupIndex]) -> list[TransformationEntry]:
    rows = []
    for group in sorted(current):
        now, before = current[group], previous[group]
        missing = [f"{index.year}: {what}" for index in (before, now)
                   for what in index.missing]
        change = (now.index - before.index
                  if now.index is not None and before.index is not None else None)
        rows.append(TransformationEntry(
            rank=None, group=group, change=change, index=now.index,
            previous_index=before.index,
            status="ranked" if change is not None else INSUFFICIENT, missing=missing,
            components=_component_changes(now, before)))
    ranked = sorted((r for r in rows if r.change is not None),
                    key=lambda r: (-(r.change or 0.0), r.group))
    for row, rank in zip(ranked, _ranks([r.change or 0.0 for r in ranked]), strict=True):
        row.rank = rank
    return ranked + [r for r in rows if r.change is None]


def build_awards(tables: Mapping[str, ir.Table], catalog: Catalog,
                 targets: Sequence[TargetInfo] | TargetBook, *, year: int,
                 by: str = "program", params: Mapping[str, Any] | None = None) -> Awards:
    """The superior-performance and transformation rankings of every `by` group (program,
    site or vendor) for `year`, each group's index explained by its components."""
    if by not in GROUPINGS:
        raise CxpmError(f"awards group by {', '.join(GROUPINGS)}, not {by!r}")
    if not 2 <= year <= 9999:
        raise CxpmError(f"year must be a four-digit year, got {year}")
    params = resolve_params(params or {})
    weights = component_weights(params)
    book = targets if isinstance(targets, TargetBook) else TargetBook(targets)
    metric_ids = [m for ids in COMPONENTS.values() for m in ids]
    indices: dict[int, dict[str, GroupIndex]] = {}
    unavailable: dict[str, str] = {}
    values_by_year = {}
    for one_year in (year - 1, year):
        values, missing = _compute_year(tables, metric_ids, by, one_year, params, catalog)
        values_by_year[one_year] = values
        unavailable = {**missing, **unavailable}
    if not values_by_year[year]:
        raise CxpmError(f"no {by} has data in {year}: nothing to rank (rows without a {by} "
                        "belong to no group)")
    groups = sorted(set(values_by_year[year]) | set(values_by_year[year - 1]))
    for one_year, values in values_by_year.items():
        year_end = date(one_year, 12, 1)
        indices[one_year] = {
            group: score_group(one_year, values.get(group),
                               lambda m, g=group, d=year_end: book.find(m, {by: g}, d),
                               catalog, weights, unavailable)
            for group in groups}
    superior = _superior({g: i for g, i in indices[year].items()
                          if g in values_by_year[year]})
    return Awards(year=year, previous_year=year - 1, by=by, weights=weights,
                  attainment_cap=ATTAINMENT_CAP,
                  components={name: list(ids) for name, ids in COMPONENTS.items()},
                  superior=superior,
                  transformation=_transformation(indices[year], indices[year - 1]),
                  unavailable=[Unavailable(metric=m, reason=r)
                               for m, r in sorted(unavailable.items())])
