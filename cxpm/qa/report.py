"""The quality report: the three critical-error accuracies and non-critical accuracy with
Wilson intervals, evaluations done against the sample each group needs, and a Pareto of the
items behind the critical errors. Every figure comes from the metric engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.metrics.engine import compute, to_records
from cxpm.metrics.params import resolve_params
from cxpm.qa.stats import sample_size, wilson_interval
from cxpm.schema import LOCAL_TIME_COLUMN
from cxpm.scorecard import month_end, parse_period

ACCURACY_METRICS = ("customer_critical_accuracy", "business_critical_accuracy",
                    "compliance_critical_accuracy", "noncritical_accuracy")
REPORT_METRICS = (*ACCURACY_METRICS, "qa_score")
# Friendly names accepted by --by, mapped to the dimension columns.
DIMENSION_ALIASES = {"agent": "agent_id", "evaluator": "evaluator_id", "form": "form_id"}
# Evaluation dimensions the metric engine takes from the roster (site and vendor only where
# the contact has none).
ROSTER_DIMENSIONS = ("team", "site", "vendor")
# Dimensions of answers, not of evaluations: the report's rows count evaluations.
ITEM_DIMENSIONS = ("item_id", "item", "section_id", "category")


class Accuracy(BaseModel):
    """An accuracy with its Wilson interval. numerator/denominator are transactions (or
    non-critical opportunities) free of the error / monitored."""

    value: float | None
    low: float | None
    high: float | None
    numerator: float
    denominator: float


class QaReportRow(BaseModel):
    dimensions: dict[str, Any]
    evaluations: int
    customer_critical_accuracy: Accuracy
    business_critical_accuracy: Accuracy
    compliance_critical_accuracy: Accuracy
    noncritical_accuracy: Accuracy
    qa_score: float | None
    # Sample adequacy: handled contacts, the sample they need, and whether it was reached.
    # None where the grouping has no contact population (e.g. by evaluator).
    population: int | None
    required: int | None
    adequate: bool | None


class ParetoRow(BaseModel):
    dimensions: dict[str, Any]
    item_id: str
    category: str
    errors: int
    share: float
    cumulative_share: float


class QaReport(BaseModel):
    period: str
    by: list[str]
    confidence: float
    margin: float
    expected_rate: float
    rows: list[QaReportRow]
    pareto: list[ParetoRow]


def canonical_dimension(name: str) -> str:
    return DIMENSION_ALIASES.get(name, name)


def latest_evaluation_month(evaluations: ir.Table, include_calibration: bool = False) -> date:
    """The month of the latest evaluation the quality metrics count (calibration
    evaluations only with `include_calibration`)."""
    if not include_calibration:
        evaluations = evaluations.filter(evaluations.calibration_session_id.isnull())
    latest = evaluations.aggregate(latest=evaluations[LOCAL_TIME_COLUMN].max()).to_pyarrow()
    value = latest.column("latest")[0].as_py()
    if value is None:
        raise CxpmError("no evaluations yet: import some with `cxpm qa evaluations import` "
                        "(or load them with `cxpm ingest evaluations`)")
    return value.date().replace(day=1)


def _key(record: Mapping[str, Any], by: Sequence[str]) -> tuple:
    return tuple(record.get(d) for d in by)


def _population(tables: Mapping[str, ir.Table], by: list[str], first: date, last: date,
                params: Mapping[str, Any],
                where: Mapping[str, Sequence[str]]) -> dict[tuple, int] | None:
    """Handled contacts per group: the population a group's sample is drawn from. Grouped
    and filtered the way the evaluations are: team through each contact's agent and the
    roster, site and vendor from the roster where the contact has none."""
    if any(d in ("evaluator_id", "form_id") for d in [*by, *where]):
        return None
    # Filters on roster dimensions are applied after the roster fills the gaps: a contact
    # without a vendor still counts for its agent's vendor, as its evaluation does.
    contact_where = {d: list(v) for d, v in where.items() if d not in ROSTER_DIMENSIONS}
    later = {d: {str(x) for x in v} for d, v in where.items() if d in ROSTER_DIMENSIONS}
    group = list(dict.fromkeys([*by, *later]))
    from_roster = [d for d in group if d in ROSTER_DIMENSIONS]
    if not from_roster:
        records = to_records(compute(tables, ["handled"], by=group, grain="all", start=first,
                                     end=last, where=contact_where or None, params=params))
        return {_key(r, by): int(r["value"] or 0) for r in records}
    contact_by = list(dict.fromkeys([*(d for d in group if d != "team"), "agent_id"]))
    records = to_records(compute(tables, ["handled"], by=contact_by, grain="all",
                                 start=first, end=last, where=contact_where or None,
                                 params=params))
    roster = tables["roster"].select("agent_id", *ROSTER_DIMENSIONS).to_pyarrow().to_pylist()
    roster_of = {r["agent_id"]: r for r in roster}
    totals: dict[tuple, int] = {}
    for r in records:
        person = roster_of.get(r.get("agent_id"), {})
        row = dict(r)
        for d in from_roster:
            if d == "team" or row.get(d) is None:
                row[d] = person.get(d)
        if any(row.get(d) is None or str(row[d]) not in values
               for d, values in later.items()):
            continue
        key = _key(row, by)
        totals[key] = totals.get(key, 0) + int(r["value"] or 0)
    return totals


def _accuracy(record: Mapping[str, Any] | None, confidence: float) -> Accuracy:
    if record is None:
        return Accuracy(value=None, low=None, high=None, numerator=0, denominator=0)
    numerator = float(record["numerator"] or 0)
    denominator = float(record["denominator"] or 0)
    low, high = wilson_interval(numerator, denominator, confidence)
    return Accuracy(value=record["value"], low=low, high=high, numerator=numerator,
                    denominator=denominator)


def build_qa_report(tables: Mapping[str, ir.Table], *, period: str | None = None,
                    by: Sequence[str] = (), params: Mapping[str, Any] | None = None,
                    top: int = 10,
                    where: Mapping[str, Sequence[str]] | None = None) -> QaReport:
    """The quality report of a month (default: the latest month with evaluations).
    `where` (dimension -> values) limits every figure — accuracies, samples, populations
    and the Pareto — to the evaluations and contacts with those values."""
    params = resolve_params(params or {})
    where = {canonical_dimension(d): list(v) for d, v in (where or {}).items()}
    for verb, dims in (("split", by), ("filtered", where)):
        items = [d for d in dims if d in ITEM_DIMENSIONS]
        if items:
            raise CxpmError(f"the quality report counts evaluations and cannot be {verb} by "
                            f"{', '.join(items)}; the items behind critical errors are in "
                            f"its Pareto (or use the item_error_rate metric)")
    by = list(dict.fromkeys(canonical_dimension(d) for d in by))
    first = parse_period(period) if period else latest_evaluation_month(
        tables["evaluations"], bool(params["qa.include_calibration"]))
    last = month_end(first)
    confidence = params["qa.sample.confidence"]
    margin = params["qa.sample.margin"]
    expected = params["qa.sample.expected_rate"]
    records = to_records(compute(tables, list(REPORT_METRICS), by=by, grain="all",
                                 start=first, end=last, where=where or None, params=params))
    cells: dict[tuple, dict[str, dict[str, Any]]] = {}
    for record in records:
        cells.setdefault(_key(record, by), {})[record["metric"]] = record
    population = _population(tables, by, first, last, params, where)
    rows = []
    for key in sorted(cells, key=lambda k: tuple(str(v) for v in k)):
        metrics = cells[key]
        done = int((metrics.get("customer_critical_accuracy") or {}).get("denominator") or 0)
        if done == 0:
            continue
        handled = population.get(key) if population is not None else None
        required = (sample_size(confidence, margin, population=handled,
                                expected_rate=expected) if handled else None)
        score = metrics.get("qa_score")
        rows.append(QaReportRow(
            dimensions=dict(zip(by, key, strict=True)), evaluations=done,
            **{m: _accuracy(metrics.get(m), confidence) for m in ACCURACY_METRICS},
            qa_score=score["value"] if score else None,
            population=handled, required=required,
            adequate=None if required is None else done >= required))
    return QaReport(period=first.isoformat()[:7], by=by, confidence=confidence, margin=margin,
                    expected_rate=expected, rows=rows,
                    pareto=critical_error_pareto(tables, by=by, start=first, end=last,
                                                 params=params, top=top, where=where))


def critical_error_pareto(tables: Mapping[str, ir.Table], *, by: Sequence[str],
                          start: date, end: date, params: Mapping[str, Any],
                          top: int = 10, where: Mapping[str, Sequence[str]] | None = None,
                          ) -> list[ParetoRow]:
    """Items ranked by the critical errors they caused, per group of `by`: each item's share
    of the group's critical errors and the running total, the `top` items of each group."""
    records = to_records(compute(tables, ["critical_errors"],
                                 by=[*by, "item_id", "category"], grain="all", start=start,
                                 end=end, where=where or None, params=params))
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for record in records:
        if record["value"]:
            groups.setdefault(_key(record, by), []).append(record)
    rows = []
    for key in sorted(groups, key=lambda k: tuple(str(v) for v in k)):
        items = sorted(groups[key], key=lambda r: (-r["value"], r["item_id"]))
        total = sum(r["value"] for r in items)
        running = 0.0
        for record in items[:top]:
            running += record["value"]
            rows.append(ParetoRow(dimensions=dict(zip(by, key, strict=True)),
                                  item_id=record["item_id"], category=record["category"],
                                  errors=int(record["value"]), share=record["value"] / total,
                                  cumulative_share=running / total))
    return rows
