"""Target suggestions: from the operation's own distribution (the best quartile of its
groups over recent months) and from an external benchmark file (percentiles per segment),
each with every group's gap to it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import numpy as np
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.files import read_user_text
from cxpm.metrics.catalog import Catalog
from cxpm.metrics.engine import compute, to_records
from cxpm.scorecard import latest_period, month_end

_PERCENTILE = re.compile(r"p(\d{1,2})$")


class Benchmark(BaseModel):
    metric: str
    segment: str  # a dimension value, or "" / "all" for every group
    percentiles: dict[int, float]


class GroupSuggestion(BaseModel):
    group: str
    value: float | None  # the group's value over the window
    internal: float | None
    internal_gap: float | None  # suggestion minus value, in the metric's unit
    external: float | None
    external_gap: float | None


class Suggestions(BaseModel):
    metric: str
    by: str
    direction: str
    window_start: str
    window_end: str
    statistic: str  # how the internal suggestion was taken
    internal: float | None
    groups: int
    benchmark_statistic: str | None
    rows: list[GroupSuggestion]


def read_benchmarks(path: Path) -> list[Benchmark]:
    """CSV with columns metric, segment and percentile columns p10, p25, p50, p75, p90 (any
    pNN); blank cells are missing."""
    text = read_user_text(path)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "metric" not in header:
        raise CxpmError(f"{path.name}: needs a metric column (and segment, p25, p50, p75…)")
    levels = {h: int(m.group(1)) for h in header if (m := _PERCENTILE.match(h))}
    if not levels:
        raise CxpmError(f"{path.name}: no percentile columns (p25, p50, p75…)")
    reader.fieldnames = header
    out = []
    for line, row in enumerate(reader, start=2):
        values = {}
        for column, level in levels.items():
            cell = (row.get(column) or "").strip()
            if cell:
                try:
                    values[level] = float(cell)
                except ValueError:
                    raise CxpmError(f"{path.name} line {line}: {column} {cell!r} is not a "
                                    f"number") from None
        out.append(Benchmark(metric=(row.get("metric") or "").strip(),
                             segment=(row.get("segment") or "").strip(), percentiles=values))
    return out


def _months_back(first: date, months: int) -> date:
    start = first
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def suggest_targets(tables: Mapping[str, ir.Table], catalog: Catalog, *, metric: str,
                    by: str, months: int = 6, end: str | None = None,
                    params: Mapping[str, Any] | None = None,
                    benchmarks: list[Benchmark] | None = None) -> Suggestions:
    """Suggest a target for `metric` from its groups by `by` over the last `months` months
    (ending with `end`, YYYY-MM, default the latest month with contacts): the best quartile
    of the groups' values (the 75th percentile when higher is better, the 25th when lower
    is), plus the matching external benchmark's top-quartile value when given."""
    definition = catalog.get(metric)
    if definition.direction not in ("higher", "lower"):
        raise CxpmError(f"metric {metric} has no better direction; nothing to suggest")
    if months < 1:
        raise CxpmError("--months must be at least 1")
    from cxpm.scorecard import parse_period

    last = parse_period(end) if end else latest_period(tables["contacts"])
    first = _months_back(last, months)
    records = to_records(compute(tables, [metric], by=[by], grain="all", start=first,
                                 end=month_end(last), params=params, catalog=catalog))
    values = {str(r[by]): r["value"] for r in records if r[by] is not None}
    measured = [v for v in values.values() if v is not None]
    level = 75 if definition.direction == "higher" else 25
    internal = float(np.percentile(measured, level)) if measured else None
    external, statistic = None, None
    matching = [b for b in benchmarks or [] if b.metric == metric]
    if benchmarks is not None and not matching:
        raise CxpmError(f"the benchmark file has no rows for metric {metric}")
    rows = []
    for group in sorted(values):
        value = values[group]
        bench = next((b for b in matching if b.segment == group), None) or next(
            (b for b in matching if b.segment in ("", "all")), None)
        external = bench.percentiles.get(level) if bench else None
        statistic = f"p{level} (top quartile)" if matching else None
        rows.append(GroupSuggestion(
            group=group, value=value, internal=internal,
            internal_gap=None if value is None or internal is None else internal - value,
            external=external,
            external_gap=None if value is None or external is None else external - value))
    return Suggestions(metric=metric, by=by, direction=definition.direction,
                       window_start=first.isoformat()[:7], window_end=last.isoformat()[:7],
                       statistic=f"p{level} of the {len(measured)} groups' values over the "
                                 f"window (best quartile)",
                       internal=internal, groups=len(measured),
                       benchmark_statistic=statistic, rows=rows)
