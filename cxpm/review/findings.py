"""The monthly review: what missed its target and what changed for a special cause, ranked
by impact (volume × gap). Targets are judged by the month (as on the scorecard); special
causes come from a control chart of the metric at a finer grain (weeks by default) over
recent history, counting signals on points inside the month. Live technologies that need
attention (no current verification, overdue ethics review, no passed data-security review:
cxpm.technology.flags) follow the ranked findings, as findings of kind "technology"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import Catalog, MetricDefinition
from cxpm.metrics.engine import compute, to_records
from cxpm.metrics.formula import compile_formula
from cxpm.metrics.params import DEFAULT_PARAMS, resolve_params
from cxpm.metrics.sources import schema_table
from cxpm.review.spc import ControlChart, control_chart
from cxpm.schema import LOCAL_TIME_COLUMN
from cxpm.scorecard import (
    SCORECARD_METRICS,
    build_scorecard,
    compute_each,
    latest_period,
    month_end,
    parse_period,
)
from cxpm.targets.model import TargetInfo
from cxpm.technology.flags import flagged_technologies
from cxpm.technology.model import TechnologyInfo

GRAIN_DAYS = {"day": 1, "week": 7, "month": 31}


class Finding(BaseModel):
    kind: Literal["missed_target", "warning", "signal", "technology"]
    metric: str  # "technology" for a technology finding
    title: str
    family: str
    unit: str
    direction: str
    dimensions: dict[str, Any]
    period: str  # the month reviewed, or the signalling period for a signal
    value: float | None
    target: float | None  # target findings; the centre line for signals
    gap: float | None  # value − target (or − centre), in the metric's unit
    volume: float | None  # the metric's denominator (contacts, evaluations…); the value
    impact: float | None  # volume × |gap|; the ranking key
    signals: list[str]  # rule ids of a signal; the reasons of a technology finding
    chart: str | None  # p, laney-p (review.proportion_chart) or xmr for signals


class Review(BaseModel):
    period: str
    by: list[str]
    grain: str
    history: int
    findings: list[Finding]
    unavailable: list[str]


def _counts_events(formula: str, source: str) -> bool:
    """Whether a numerator or denominator counts rows (a condition, or the constant 1)
    rather than summing a quantity such as seconds or money."""
    table = schema_table(source)
    value = compile_formula(formula, table, DEFAULT_PARAMS)
    if isinstance(value, ir.Expr):
        return value.type().is_boolean()
    return value == 1 or value is True


def chart_kind(definition: MetricDefinition) -> str:
    """p-chart for a proportion of counted events (a ratio metric whose numerator and
    denominator both count rows: abandoned / offered, evaluations with an error /
    evaluations); XmR (individuals) for everything else, including ratios of seconds such
    as occupancy."""
    if definition.unit != "ratio" or not definition.is_ratio or definition.denominator is None:
        return "xmr"
    if _counts_events(definition.numerator, definition.source) and _counts_events(
            definition.denominator, definition.denominator_table):
        return "p"
    return "xmr"


def _impact(volume: float | None, gap: float | None, reference: float | None,
            definition: MetricDefinition) -> float | None:
    """The gap in contacts. For a proportion of counted contacts or evaluations (the metrics
    charted as p-charts: abandonment, service level, the accuracies…) it is the group's
    offered contacts × |gap|: the contacts abandoned beyond target, the contacts with an
    error. For everything else (seconds, currency, counts, ratios of time such as
    occupancy, annualised rates) the gap is taken relative to the reference, contacts ×
    |gap| / |reference|, so findings of every metric rank on one scale."""
    if volume is None or gap is None:
        return None
    if chart_kind(definition) == "p":
        return volume * abs(gap)
    if not reference:
        return None
    return volume * abs(gap) / abs(reference)


# Annualised rates from the roster explode over a week or a day (one leaver in a week is a
# huge annual rate), so they are charted by month only.
MONTHLY_ONLY_SOURCES = ("roster_periods",)


def _contact_volume(tables: Mapping[str, ir.Table], by: Sequence[str], grain: str,
                    start: date, end: date, params: Mapping[str, Any],
                    catalog: Catalog) -> dict[tuple, float]:
    """Offered contacts per group and period (empty when contacts lack a dimension, e.g.
    team: findings then fall back to the metric's own volume)."""
    try:
        records = to_records(compute(tables, ["offered"], by=list(by), grain=grain,
                                     start=start, end=end, params=params, catalog=catalog))
    except CxpmError:
        return {}
    return {(r.get("period_start"), tuple(r.get(d) for d in by)): r["value"] or 0.0
            for r in records}


def _target_findings(card, volumes: Mapping[tuple, float | None],
                     contacts: Mapping[tuple, float], by: Sequence[str],
                     catalog: Catalog) -> list[Finding]:
    findings = []
    for row in card.rows:
        if row.status not in ("missed", "warning"):
            continue
        dims = tuple(row.dimensions.get(d) for d in by)
        volume = contacts.get((None, dims), volumes.get((row.metric, dims)))
        gap = None if row.value is None or row.target is None else row.value - row.target
        findings.append(Finding(
            kind="missed_target" if row.status == "missed" else "warning", metric=row.metric,
            title=row.title, family=row.family, unit=row.unit, direction=row.direction,
            dimensions=row.dimensions, period=card.period, value=row.value,
            target=row.target, gap=gap, volume=volume,
            impact=_impact(volume, gap, row.target, catalog.get(row.metric)),
            signals=[], chart=None))
    return findings


def period_end(start: date, grain: str) -> date:
    """Last day of the period starting `start`."""
    if grain == "month":
        return month_end(start)
    return start + timedelta(days=GRAIN_DAYS[grain] - 1)


def chart_window(contacts: ir.Table, last: date, grain: str,
                 history: int) -> tuple[date, date, date]:
    """(history start, first day, last day) of what a review charts for the month ending
    `last`: `history` periods back, from the first day with contacts, up to the end of the
    month or the last day with contacts if earlier. Only periods wholly between the first
    and last day are charted (`is_complete`): a week cut by the start or the end of the
    data, or by the end of the month, would look like a drop in volume."""
    history_start = last - timedelta(days=GRAIN_DAYS[grain] * history)
    span = contacts.aggregate(first=contacts[LOCAL_TIME_COLUMN].min(),
                              latest=contacts[LOCAL_TIME_COLUMN].max()).to_pyarrow()
    first_local = span.column("first")[0].as_py()
    latest_local = span.column("latest")[0].as_py()
    first = max(history_start, first_local.date()) if first_local else history_start
    final = min(last, latest_local.date()) if latest_local else last
    return history_start, first, final


def is_complete(start: date, grain: str, first: date, last: date) -> bool:
    """Whether the period starting `start` lies wholly within the days first…last."""
    return start >= first and period_end(start, grain) <= last


def complete_series(records: Sequence[dict[str, Any]], by: Sequence[str], grain: str,
                    window: tuple[date, date, date]) -> dict[tuple, list[dict[str, Any]]]:
    """Metric records grouped by (metric, group values), keeping only complete periods
    (`chart_window`, `is_complete`) with a value, in time order."""
    _, data_from, complete_to = window
    series: dict[tuple, list[dict[str, Any]]] = {}
    for record in records:
        start = datetime.fromisoformat(record["period_start"]).date()
        if record["value"] is None or not is_complete(start, grain, data_from, complete_to):
            continue
        key = (record["metric"], tuple(record.get(d) for d in by))
        series.setdefault(key, []).append(record)
    for points in series.values():
        points.sort(key=lambda r: r["period_start"])
    return series


def series_chart(definition: MetricDefinition, points: Sequence[dict[str, Any]],
                 params: Mapping[str, Any] | None = None) -> ControlChart:
    """The control chart of one metric's series: p-chart or XmR (`chart_kind`), limits from
    all points. With the parameter review.proportion_chart = "laney-p" in `params`, the
    proportions get a Laney p′ chart instead of a p-chart."""
    kind = chart_kind(definition)
    if kind == "p":
        kind = (params or {}).get("review.proportion_chart", "p")
    return control_chart([r["period_start"] for r in points], [r["value"] for r in points],
                         chart=kind,
                         denominators=[r["denominator"] for r in points] if kind != "xmr"
                         else None)


def _signal_findings(records: list[dict[str, Any]], catalog: Catalog, by: Sequence[str],
                     month: date, grain: str, window: tuple[date, date, date],
                     contacts: Mapping[tuple, float],
                     params: Mapping[str, Any]) -> list[Finding]:
    """Signals on points of complete periods (`chart_window`) that start in `month`."""
    first, last = month, month_end(month)
    findings = []
    for (metric, dims), points in complete_series(records, by, grain, window).items():
        if len(points) < 3:
            continue
        definition = catalog.get(metric)
        chart = series_chart(definition, points, params)
        for record, point in zip(points, chart.points, strict=True):
            start = datetime.fromisoformat(record["period_start"]).date()
            if not point.signals or not first <= start <= last:
                continue
            gap = point.value - chart.center
            own = record["denominator"] if definition.is_ratio else record["value"]
            volume = contacts.get((record["period_start"], dims), own)
            findings.append(Finding(
                kind="signal", metric=metric, title=definition.title,
                family=definition.family, unit=definition.unit,
                direction=definition.direction, dimensions=dict(zip(by, dims, strict=True)),
                period=record["period_start"], value=point.value, target=chart.center,
                gap=gap, volume=volume,
                impact=_impact(volume, gap, chart.center, definition),
                signals=point.signals, chart=chart.chart))
    return findings


def technology_findings(technologies: Sequence[TechnologyInfo], period: str,
                        today: date) -> list[Finding]:
    """One finding per live technology flagged on `today`: no impact (it is not a gap in
    contacts), its reasons as the signals."""
    return [Finding(kind="technology", metric="technology", title=f.technology.name,
                    family="technology", unit="", direction="",
                    dimensions={"technology": f.technology.id, "kind": f.technology.kind},
                    period=period, value=None, target=None, gap=None, volume=None,
                    impact=None, signals=f.reasons, chart=None)
            for f in flagged_technologies(technologies, today)]


def build_review(tables: Mapping[str, ir.Table], catalog: Catalog, *,
                 period: str | None = None, by: Sequence[str] = (),
                 params: Mapping[str, Any] | None = None,
                 targets: Sequence[TargetInfo] = (), grain: str = "week",
                 history: int = 26,
                 metrics: Sequence[str] = SCORECARD_METRICS,
                 technologies: Sequence[TechnologyInfo] = (),
                 today: date | None = None) -> Review:
    """Missed targets (and warnings) of month `period` (default: the latest with contacts)
    and special-cause signals in it, most impact first; then the live `technologies`
    flagged on `today` (default: today), which have no impact to rank by."""
    if grain not in GRAIN_DAYS:
        raise CxpmError(f"--grain must be one of {', '.join(GRAIN_DAYS)}")
    if history < 3:
        raise CxpmError("--history must be at least 3 periods")
    params = resolve_params(params or {})
    current = parse_period(period) if period else latest_period(tables["contacts"])
    last = month_end(current)
    requested = list(dict.fromkeys([*metrics, *(t.metric for t in targets)]))
    monthly, cannot_split = compute_each(tables, requested, by=list(by), grain="month",
                                         start=current, end=last, params=params,
                                         catalog=catalog)
    # Metrics that cannot be split by `by` (contact metrics by team) are listed as
    # unavailable and left out, rather than failing the scorecard's check for contacts.
    unsplittable = {u.metric for u in cannot_split}
    metric_ids = [m for m in requested if m not in unsplittable]
    if not metric_ids:
        raise CxpmError(f"no review metric can be computed this way: "
                        f"{cannot_split[0].reason}")
    card = build_scorecard(tables, period=current.isoformat()[:7], by=by, params=params,
                           catalog=catalog, metrics=metric_ids, targets=targets)
    volumes = {(r["metric"], tuple(r.get(d) for d in by)):
               (r["denominator"] if catalog.get(r["metric"]).is_ratio else r["value"])
               for r in monthly}
    window = chart_window(tables["contacts"], last, grain, history)
    history_start = window[0]
    charted = [m for m in metric_ids if grain == "month"
               or catalog.get(m).source not in MONTHLY_ONLY_SOURCES]
    fine, unavailable = compute_each(tables, charted, by=list(by), grain=grain,
                                     start=history_start, end=last, params=params,
                                     catalog=catalog)
    monthly_contacts = _contact_volume(tables, by, "all", current, last, params, catalog)
    fine_contacts = _contact_volume(tables, by, grain, history_start, last, params, catalog)
    findings = _target_findings(card, volumes, monthly_contacts, by, catalog) + _signal_findings(
        fine, catalog, by, current, grain, window, fine_contacts, params)
    findings.sort(key=lambda f: (f.impact is None, -(f.impact or 0), f.metric))
    findings += technology_findings(technologies, current.isoformat()[:7],
                                    today or date.today())
    return Review(period=current.isoformat()[:7], by=list(by), grain=grain, history=history,
                  findings=findings,
                  unavailable=sorted(unsplittable | {u.metric for u in unavailable}
                                     | {u.metric for u in card.unavailable}))
