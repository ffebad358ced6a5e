"""Compute metrics: definitions -> one Ibis aggregation per source -> a long Arrow table.

All metrics of one source share a single group-by query (identical sums are computed once).
A metric whose denominator comes from another source is joined after both sides are
aggregated to the requested dimensions and period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import ibis.common.exceptions as ibis_errors
import ibis.expr.types as ir
import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.metrics import formula
from cxpm.metrics.catalog import Catalog, MetricDefinition, load_catalog
from cxpm.metrics.params import resolve_params
from cxpm.metrics.sources import (
    GRAINS,
    PERIOD,
    PERIOD_KEY,
    BuildContext,
    build_rows,
    get_source,
)

__all__ = ["GRAINS", "INTERVAL_MINUTES", "MetricExplanation", "compute", "explain",
           "to_records"]

INTERVAL_MINUTES = (15, 30, 60)
RESULT_COLUMNS = ("metric", "value", "numerator", "denominator")


class MetricExplanation(BaseModel):
    """Everything a user needs to trust a metric's number."""

    id: str
    title: str
    family: str
    unit: str
    direction: str
    description: str
    formula: str
    parameters: dict[str, Any]
    sources: list[str]
    dimensions: list[str]
    sql: str


@dataclass
class _SourcePlan:
    """The sums one source query computes, keyed by (filter, formula)."""

    source: str
    prefix: str
    aliases: dict[tuple[str | None, str], str] = field(default_factory=dict)

    def add(self, filter_text: str | None, formula_text: str) -> str:
        key = (filter_text, formula_text)
        if key not in self.aliases:
            self.aliases[key] = f"{self.prefix}{len(self.aliases)}"
        return self.aliases[key]

    def columns(self) -> set[str]:
        names: set[str] = set()
        for filter_text, formula_text in self.aliases:
            names |= formula.columns(formula_text)
            if filter_text:
                names |= formula.columns(filter_text)
        return names


@dataclass
class _Plan:
    sources: dict[str, _SourcePlan] = field(default_factory=dict)
    # metric id -> (numerator (source, alias), denominator (source, alias) or None)
    metrics: dict[str, tuple[tuple[str, str], tuple[str, str] | None]] = field(
        default_factory=dict)

    def side(self, source: str, filter_text: str | None, formula_text: str) -> tuple[str, str]:
        if source not in self.sources:
            # Aliases are unique across sources so two aggregates can be joined as they are.
            self.sources[source] = _SourcePlan(source, f"s{len(self.sources)}_")
        plan = self.sources[source]
        return source, plan.add(filter_text, formula_text)


def _plan(definitions: Sequence[MetricDefinition]) -> _Plan:
    plan = _Plan()
    for d in definitions:
        numerator = plan.side(d.source, d.filter, d.numerator)
        denominator = None
        if d.is_ratio:
            same = d.denominator_table == d.source
            denominator = plan.side(d.denominator_table, d.filter if same else None,
                                    d.denominator or "1")
        plan.metrics[d.id] = (numerator, denominator)
    return plan


def _sum(rows: ir.Table, filter_text: str | None, formula_text: str,
         params: Mapping[str, Any]) -> ir.Scalar:
    """sum(formula) over the rows passing the filter; true/false count as 1/0."""
    value = formula.compile_formula(formula_text, rows, params)
    condition = (formula.compile_formula(filter_text, rows, params) if filter_text
                 else True)
    if isinstance(condition, bool) and not condition:
        return rows.count() * 0
    if not isinstance(value, ir.Expr):
        constant = int(value) if isinstance(value, bool) else value
        if condition is True:
            return rows.count() * constant
        return condition.ifelse(constant, 0).sum()
    if value.type().is_boolean():
        value = value if condition is True else condition & value
        return value.ifelse(1, 0).sum()
    if condition is not True:
        value = condition.ifelse(value, 0)
    return value.sum()


def _bounds(start: date | datetime | None,
            end: date | datetime | None) -> tuple[datetime | None, datetime | None]:
    """Local [start, end): a date end includes its whole day; a datetime end is exclusive."""
    def as_start(value: date | datetime | None) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value.replace(tzinfo=None) if value is not None else None
        return datetime(value.year, value.month, value.day)

    lower = as_start(start)
    upper = as_start(end)
    if upper is not None and not isinstance(end, datetime):
        upper += timedelta(days=1)
    if lower is not None and upper is not None and upper <= lower:
        raise CxpmError(f"empty time range: --from {start} is after --to {end}")
    return lower, upper


def _check_dimensions(definitions: Sequence[MetricDefinition], dims: Sequence[str]) -> None:
    for d in definitions:
        for source_name in d.sources:
            source = get_source(source_name)
            missing = [dim for dim in dims if dim not in source.dimensions]
            if missing:
                side = ("" if len(d.sources) == 1 else
                        " numerator" if source_name == d.source else " denominator")
                raise CxpmError(
                    f"metric {d.id} cannot be split or filtered by {', '.join(missing)}: its"
                    f"{side} source {source_name} has no such dimension; {d.id} supports "
                    f"{', '.join(d.dimensions) or 'no dimensions'}")


def _aggregations(plan: _Plan, tables: Mapping[str, ir.Table], ctx: BuildContext,
                  by: Sequence[str], where: Mapping[str, Sequence[str]]) -> dict[str, ir.Table]:
    """One aggregation expression per source."""
    queries = {}
    for name, source_plan in plan.sources.items():
        needed = set(by) | set(where) | source_plan.columns()
        rows = build_rows(name, tables, ctx, needed)
        for dim, values in where.items():
            rows = rows.filter(rows[dim].isin(list(values)))
        sums = {alias: _sum(rows, filter_text, formula_text, ctx.params)
                for (filter_text, formula_text), alias in source_plan.aliases.items()}
        keys = [*by, *([PERIOD_KEY] if ctx.grain != "all" else [])]
        queries[name] = (rows.group_by(keys).aggregate(**sums) if keys
                         else rows.aggregate(**sums))
    return queries


def _execute(query: ir.Table, source: str, metric_ids: Sequence[str]) -> pl.DataFrame:
    try:
        return pl.from_arrow(query.to_pyarrow())
    except (ibis_errors.OperationNotDefinedError, ibis_errors.UnsupportedOperationError) as exc:
        raise CxpmError(f"the warehouse backend cannot compute {', '.join(metric_ids)} "
                        f"(source {source}): {exc}") from None


def _prepare(metric_ids: Sequence[str], catalog: Catalog | None, grain: str,
             interval_minutes: int) -> list[MetricDefinition]:
    if grain not in GRAINS:
        raise CxpmError(f"unknown grain {grain!r}; grains are {', '.join(GRAINS)}")
    if interval_minutes not in INTERVAL_MINUTES:
        raise CxpmError(f"interval minutes must be 15, 30 or 60, got {interval_minutes}")
    ids = list(dict.fromkeys(metric_ids))
    if not ids:
        raise CxpmError("no metric requested")
    catalog = catalog or load_catalog()
    return [catalog.get(i) for i in ids]


def compute(
    tables: Mapping[str, ir.Table],
    metric_ids: Sequence[str],
    *,
    by: Sequence[str] = (),
    grain: str = "all",
    interval_minutes: int = 30,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
    params: Mapping[str, Any] | None = None,
    catalog: Catalog | None = None,
) -> pa.Table:
    """Metrics as a long table: one row per group (`by` dimensions), period and metric, with
    columns *by, period_start (not for grain "all"), metric, value, numerator, denominator."""
    definitions = _prepare(metric_ids, catalog, grain, interval_minutes)
    by = list(dict.fromkeys(by))
    where = {dim: list(values) for dim, values in (where or {}).items()}
    for dim, values in where.items():
        if not values:
            raise CxpmError(f"filter on {dim} has no values")
    _check_dimensions(definitions, [*by, *where])
    lower, upper = _bounds(start, end)
    ctx = BuildContext(grain, interval_minutes, lower, upper, resolve_params(params))
    plan = _plan(definitions)
    frames = {}
    for name, query in _aggregations(plan, tables, ctx, by, where).items():
        ids = [d.id for d in definitions if name in d.sources]
        frames[name] = _execute(query, name, ids)
    keys = [*by, *([PERIOD_KEY] if grain != "all" else [])]
    parts = [_metric_frame(d, plan, frames, keys, order)
             for order, d in enumerate(definitions)]
    result = pl.concat(parts, how="vertical")
    result = result.sort([*keys, "__order"], nulls_last=True).drop("__order")
    return _to_arrow(result, by, grain != "all")


def _metric_frame(d: MetricDefinition, plan: _Plan, frames: Mapping[str, pl.DataFrame],
                  keys: list[str], order: int) -> pl.DataFrame:
    (num_source, num_alias), denominator = plan.metrics[d.id]
    numerator = frames[num_source].select(*keys, pl.col(num_alias).alias("__num"))
    if denominator is None:
        frame = numerator.with_columns(pl.lit(None, pl.Float64).alias("__den"))
    else:
        den_source, den_alias = denominator
        den = frames[den_source].select(*keys, pl.col(den_alias).alias("__den"))
        if den_source == num_source:
            frame = numerator.with_columns(den["__den"])
        elif keys:
            frame = numerator.join(den, on=keys, how="full", coalesce=True, nulls_equal=True)
        else:
            frame = numerator.join(den, how="cross")
    num = pl.col("__num").cast(pl.Float64)
    if denominator is None or d.missing_numerator == "zero":
        num = num.fill_null(0.0)
    elif denominator[0] == num_source:
        # Same rows on both sides: no rows at all is a numerator of 0; rows whose numerator
        # is missing on every one (no revenue recorded) keep it null: no data, not 0.
        has_rows = pl.col("__den").cast(pl.Float64).fill_null(0.0) != 0
        num = pl.when(num.is_null() & has_rows).then(None).otherwise(num.fill_null(0.0))
    # Across sources, a group without numerator rows (e.g. no cost rows) keeps a null
    # numerator and value rather than pretending the cost was 0.
    if d.is_ratio:
        den_expr = pl.col("__den").cast(pl.Float64).fill_null(0.0)
        ratio = num / den_expr
        if d.is_one_minus_ratio:
            ratio = 1.0 - ratio
        columns = [pl.when(den_expr != 0).then(ratio).otherwise(None).alias("value"),
                   num.alias("numerator"), den_expr.alias("denominator")]
    else:
        columns = [num.alias("value"), pl.lit(None, pl.Float64).alias("numerator"),
                   pl.lit(None, pl.Float64).alias("denominator")]
    return frame.select(*keys, pl.lit(d.id).alias("metric"), *columns,
                        pl.lit(order).alias("__order"))


def _to_arrow(frame: pl.DataFrame, by: Sequence[str], periodic: bool) -> pa.Table:
    fields = [pa.field(dim, pa.string()) for dim in by]
    if periodic:
        fields.append(pa.field(PERIOD, pa.timestamp("us")))
    fields += [pa.field("metric", pa.string()), pa.field("value", pa.float64()),
               pa.field("numerator", pa.float64()), pa.field("denominator", pa.float64())]
    schema = pa.schema(fields)
    frame = frame.with_columns(
        *(pl.col(dim).cast(pl.String) for dim in by),
        *([pl.col(PERIOD_KEY).cast(pl.Datetime("us")).alias(PERIOD)] if periodic else []))
    return frame.to_arrow().select(schema.names).cast(schema)


def to_records(result: pa.Table) -> list[dict[str, Any]]:
    """JSON-ready rows: period_start as local ISO 8601 text, numbers as floats or None."""
    records = result.to_pylist()
    for record in records:
        period = record.get(PERIOD)
        if isinstance(period, datetime):
            record[PERIOD] = period.isoformat()
    return records


def _effective_parameters(d: MetricDefinition, params: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in d.parameters:
        if key.endswith(".*"):
            prefix = key[:-1]
            values.update({k: v for k, v in sorted(params.items()) if k.startswith(prefix)})
        else:
            values[key] = params[key]
    return values


def explain(metric_id: str, tables: Mapping[str, ir.Table], *,
            params: Mapping[str, Any] | None = None,
            catalog: Catalog | None = None) -> MetricExplanation:
    """A metric's definition, effective parameters, dimensions and the SQL it compiles to
    (grain all, no dimensions)."""
    (d,) = _prepare([metric_id], catalog, "all", 30)
    resolved = resolve_params(params)
    ctx = BuildContext("all", 30, None, None, resolved)
    plan = _plan([d])
    queries = _aggregations(plan, tables, ctx, (), {})
    (num_source, num_alias), denominator = plan.metrics[d.id]
    query = queries[num_source]
    if denominator is not None and denominator[0] != num_source:
        query = query.select(num_alias).cross_join(queries[denominator[0]].select(
            denominator[1]))
    num = query[num_alias].cast("float64")
    if denominator is None:
        query = query.select(value=num)
    else:
        den = query[denominator[1]].cast("float64")
        ratio = 1.0 - num / den if d.is_one_minus_ratio else num / den
        query = query.select(value=ibis.ifelse(den != 0, ratio, ibis.null("float64")),
                             numerator=num, denominator=den)
    return MetricExplanation(
        id=d.id, title=d.title, family=d.family, unit=d.unit, direction=d.direction,
        description=d.description, formula=d.formula_text,
        parameters=_effective_parameters(d, resolved), sources=d.sources,
        dimensions=d.dimensions, sql=_sql(query))


def _sql(query: ir.Table) -> str:
    try:
        return str(ibis.to_sql(query))
    except Exception:  # backends without a SQL dialect (e.g. polars): show DuckDB's
        return str(ibis.to_sql(query, dialect="duckdb"))
