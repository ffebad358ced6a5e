"""GET /api/metrics: the JSON of `cxpm metrics compute --format json`, within the caller's
scope."""

from __future__ import annotations

from typing import Annotated, Literal

import pyarrow as pa
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cxpm.formatting import json_ready
from cxpm.metrics.engine import to_records
from cxpm.metrics.query import DEFAULT_COMPUTE_METRICS, compute_query, parse_when
from cxpm.metrics.sources import GRAINS
from cxpm.web.deps import Principal, WebState, require, web_state
from cxpm.web.scope import OutOfScopeError, scope_filter, scoped_where

router = APIRouter(prefix="/api", tags=["metrics"])

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
# Control characters never occur in dimension values; a NUL would also end DuckDB's literal.
Filter = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*:[^\x00-\x1f\x7f]*$",
                                          max_length=265)]
When = Annotated[str, StringConstraints(pattern=r"^[0-9T:.\-+Z ]+$", max_length=32)]


class MetricQuery(BaseModel):
    """Query parameters, as the CLI options of `cxpm metrics compute`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    metric: list[Name] = Field(
        default=[], max_length=50,
        description="Metric id (repeatable). Default: " + ", ".join(DEFAULT_COMPUTE_METRICS))
    by: list[Name] = Field(default=[], max_length=10,
                           description="Dimension to group by (repeatable).")
    grain: Literal[GRAINS] = Field(default="all", description="Period grain.")  # type: ignore[valid-type]
    interval_minutes: int = Field(default=30, ge=1, le=1440,
                                  description="Interval length for grain interval: 15, 30 "
                                  "or 60.")
    from_: When | None = Field(default=None, alias="from",
                               description="First local date or date-time, inclusive.")
    to: When | None = Field(default=None, description="Last local date, inclusive; a local "
                            "date-time is an exclusive end.")
    where: list[Filter] = Field(default=[], max_length=50,
                                description="Filter dim:value (repeatable; values of one "
                                "dimension are OR-ed).")


def parse_filters(items: list[str]) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for item in items:
        dim, _, value = item.partition(":")
        parsed.setdefault(dim, []).append(value)
    return parsed


@router.get("/metrics", responses={
    400: {"description": "Unknown metric, dimension or grain; bad dates or filters"},
    401: {"description": "Not authenticated"},
    403: {"description": "Role lacks metrics:read, or a metric cannot be limited to the "
                         "caller's scope"}})
def metrics(query: Annotated[MetricQuery, Query()],
            principal: Annotated[Principal, Depends(require("metrics:read"))],
            state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """Metrics by dimensions and period: a list of {dims…, period_start, metric, value,
    numerator, denominator}, exactly as `cxpm metrics compute --format json`."""
    return JSONResponse(json_ready(to_records(scoped_result(query, principal, state))))


def scoped_result(query: MetricQuery, principal: Principal, state: WebState) -> pa.Table:
    """The engine's table for `query`, limited to the caller's scope."""
    ws = state.workspace
    ids = list(query.metric or DEFAULT_COMPUTE_METRICS)
    try:
        start, end = parse_when(query.from_, "from"), parse_when(query.to, "to")
        catalog = ws.metric_catalog()
        definitions = [catalog.get(i) for i in ids]
        where = scoped_where(principal, definitions, parse_filters(query.where))
        nothing = where is None
        if nothing:
            # Only out-of-scope values were asked for: the file keeps its columns, no rows.
            dim, value = scope_filter(principal)  # type: ignore[misc]
            where = {dim: [value]}
        key = ("metrics", tuple(ids), tuple(query.by), query.grain, query.interval_minutes,
               start, end, tuple((dim, tuple(values)) for dim, values in sorted(where.items())))
        result = state.cached(key, lambda: compute_query(
            ws, ids, by=query.by, grain=query.grain, interval_minutes=query.interval_minutes,
            start=start, end=end, where=where))
    except OutOfScopeError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
    return result.slice(0, 0) if nothing else result
