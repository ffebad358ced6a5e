"""The monthly scorecard: the standard metrics of each family, this period beside the last,
each judged against its target (status, trend, consistency) when targets are given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis.expr.types as ir
from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import Catalog, load_catalog
from cxpm.metrics.engine import compute, to_records
from cxpm.metrics.params import resolve_params
from cxpm.schema import LOCAL_TIME_COLUMN
from cxpm.targets.attainment import AchievingRow, Attainment, achieving_results, assess
from cxpm.targets.book import TargetBook
from cxpm.targets.model import TargetInfo

# The standard metrics shown per family, in display order.
SCORECARD_METRICS: tuple[str, ...] = (
    "offered", "handled", "abandonment_rate", "service_level", "asa",
    "aht", "occupancy", "utilization", "shrinkage", "schedule_adherence", "absenteeism",
    "customer_critical_accuracy", "business_critical_accuracy",
    "compliance_critical_accuracy", "noncritical_accuracy", "qa_score",
    "csat", "dsat", "nps", "ces",
    "first_contact_resolution", "repeat_contact_rate", "contacts_per_journey",
    "cost_per_contact", "cost_per_resolved_contact",
    "bot_containment_rate", "escalation_rate", "autonomous_handle_rate",
    "revenue_per_contact",
    "attrition_rate_annualized", "skills_verified_rate",
    "forecast_accuracy_volume", "forecast_bias_volume",
)


def metrics_with_targets(targets: Sequence[TargetInfo], catalog: Catalog,
                         standard: Sequence[str] = SCORECARD_METRICS) -> list[str]:
    """The standard metrics, then every other metric that has a target: a target is always
    judged, even on a metric outside the standard list."""
    known = set(catalog.ids())
    return list(dict.fromkeys([*standard, *(t.metric for t in targets if t.metric in known)]))


class ScorecardRow(BaseModel):
    family: str
    metric: str
    title: str
    unit: str
    direction: str
    dimensions: dict[str, Any]
    value: float | None
    previous: float | None
    change: float | None
    # True when the change moved the metric in its better direction; None when unknown.
    improved: bool | None
    period_start: str  # start of the period, local ISO date-time (as in metrics compute)
    # Values of the last M periods (scorecard.consistency_periods), oldest first.
    trend: list[float | None]
    target: float | None = None
    warning: float | None = None
    target_id: int | None = None
    status: str | None = None  # met | warning | missed | no data; None without a target
    periods_met: int | None = None
    periods_considered: int | None = None
    consistent: bool | None = None

    @model_serializer(mode="wrap")
    def _with_flat_dimensions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """JSON rows also carry each dimension as a key of its own (program, site...)."""
        data = handler(self)
        return {**self.dimensions, **data}


class Unavailable(BaseModel):
    metric: str
    reason: str


class Scorecard(BaseModel):
    period: str
    previous_period: str
    by: list[str]
    rows: list[ScorecardRow]
    unavailable: list[Unavailable]
    consistency_periods: int = 3
    consistency_required: int = 3
    # Share of metrics with a target that meet it consistently: overall ("all"), then by
    # family, experience and cost first. Empty without targets.
    achieving: list[AchievingRow] = []


def parse_period(text: str) -> date:
    """First day of a YYYY-MM month."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise CxpmError(f"period must be YYYY-MM, got {text!r}") from None


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def month_end(first: date) -> date:
    """Last day of the month starting at `first`."""
    return ((first + timedelta(days=32)).replace(day=1)) - timedelta(days=1)


def latest_period(contacts: ir.Table) -> date:
    """The latest month with contacts, in the reporting time zone."""
    latest = contacts.aggregate(latest=contacts[LOCAL_TIME_COLUMN].max()).to_pyarrow()
    value = latest.column("latest")[0].as_py()
    if value is None:
        raise CxpmError("no contacts loaded yet: load data with `cxpm ingest` or run `cxpm demo`")
    return value.date().replace(day=1)


def compute_each(tables: Mapping[str, ir.Table], metric_ids: Sequence[str],
                  **kwargs: Any) -> tuple[list[dict[str, Any]], list[Unavailable]]:
    """Compute all metrics in one go; when some cannot be split as asked, compute the rest
    one by one and report why the others are unavailable."""
    try:
        return to_records(compute(tables, metric_ids, **kwargs)), []
    except CxpmError:
        records: list[dict[str, Any]] = []
        unavailable: list[Unavailable] = []
        for metric_id in metric_ids:
            try:
                records += to_records(compute(tables, [metric_id], **kwargs))
            except CxpmError as exc:
                unavailable.append(Unavailable(metric=metric_id, reason=str(exc)))
        return records, unavailable


def months_back(first: date, count: int) -> list[date]:
    """The `count` month starts ending with `first`, oldest first."""
    months = [first]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


def build_scorecard(tables: Mapping[str, ir.Table], *, period: str | None = None,
                    by: Sequence[str] = (), params: Mapping[str, Any] | None = None,
                    catalog: Catalog | None = None,
                    metrics: Sequence[str] = SCORECARD_METRICS,
                    targets: Sequence[TargetInfo] = ()) -> Scorecard:
    """The scorecard for a month (default: the latest month with contacts), with each
    value judged against the target that applies to it (docs/targets.md)."""
    catalog = catalog or load_catalog()
    params = resolve_params(params or {})
    periods = int(params["scorecard.consistency_periods"])
    required = int(params["scorecard.consistency_required"])
    if required > periods:
        raise CxpmError(f"scorecard.consistency_required ({required}) cannot exceed "
                        f"scorecard.consistency_periods ({periods})")
    current = parse_period(period) if period else latest_period(tables["contacts"])
    previous = previous_month(current)
    window = months_back(current, max(periods, 2))
    records, unavailable = compute_each(
        tables, list(metrics), by=list(by), grain="month", start=window[0],
        end=month_end(current), params=params, catalog=catalog)
    if len(unavailable) == len(metrics):
        raise CxpmError(f"no scorecard metric can be computed this way: {unavailable[0].reason}")
    cells: dict[tuple, dict[date, float | None]] = {}
    for rec in records:
        dims = tuple(rec.get(d) for d in by)
        month = date.fromisoformat(rec["period_start"][:10])
        cells.setdefault((rec["metric"], dims), {})[month] = rec["value"]
    book = TargetBook(targets)
    families = list(dict.fromkeys(catalog.get(m).family for m in metrics))
    order = {m: (families.index(catalog.get(m).family), i) for i, m in enumerate(metrics)}
    rows = []
    judged: list[tuple[str, Attainment]] = []
    recent = window[-periods:]
    for (metric_id, dims), by_month in sorted(
            cells.items(), key=lambda kv: (order[kv[0][0]], tuple(str(d) for d in kv[0][1]))):
        definition = catalog.get(metric_id)
        value, before = by_month.get(current), by_month.get(previous)
        if value is None and before is None:
            continue  # nothing measured (e.g. bot metrics in an operation without bots)
        change = value - before if value is not None and before is not None else None
        improved = None
        if change and definition.direction in ("higher", "lower"):
            improved = (change > 0) == (definition.direction == "higher")
        dimensions = dict(zip(by, dims, strict=True))
        attainment = assess(book, metric_id, definition.direction, dimensions, recent,
                            by_month, required)
        judged.append((definition.family, attainment))
        rows.append(ScorecardRow(
            family=definition.family, metric=metric_id, title=definition.title,
            unit=definition.unit, direction=definition.direction,
            dimensions=dimensions, value=value, previous=before,
            change=change, improved=improved,
            period_start=datetime.combine(current, time()).isoformat(),
            trend=[by_month.get(m) for m in recent],
            **attainment.model_dump()))
    current_key, previous_key = current.isoformat()[:7], previous.isoformat()[:7]
    offered_computed = "offered" in metrics and not any(u.metric == "offered"
                                                        for u in unavailable)
    if not rows or (offered_computed and not any(r.metric == "offered" for r in rows)):
        raise CxpmError(f"no data for {current_key} or {previous_key}: no contacts in either "
                        "month")
    return Scorecard(period=current_key, previous_period=previous_key, by=list(by), rows=rows,
                     unavailable=unavailable, consistency_periods=periods,
                     consistency_required=required, achieving=achieving_results(judged))
