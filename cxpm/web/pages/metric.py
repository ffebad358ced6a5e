"""GET /metrics/{id} — a metric's trend, its control chart and a drill-down by one
dimension, within the user's scope."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from cxpm.errors import CxpmError
from cxpm.metrics.engine import to_records
from cxpm.metrics.query import compute_query
from cxpm.reports.charts import control_chart_spec
from cxpm.reports.monthly import MetricChart
from cxpm.reports.render import script_json
from cxpm.review.findings import chart_window, complete_series, series_chart
from cxpm.web.api_metrics import Filter, Name, json_ready, parse_filters
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.charts import trend_spec
from cxpm.web.pages.common import PageError, page_require, render
from cxpm.web.scope import OutOfScopeError, scoped_where
from cxpm.workspace import Workspace

router = APIRouter(include_in_schema=False)

# Dimensions offered for drilling down, when the metric has them.
DRILL_DIMENSIONS = ("queue", "channel", "site", "vendor", "program", "reason", "team",
                    "agent_id")
HISTORY_PERIODS = {"day": 90, "week": 26, "month": 12}
TREND_GROUPS = 8


class MetricQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grain: Literal["day", "week", "month"] = "week"
    by: Name | None = None
    where: list[Filter] = Field(default=[], max_length=20)


def _link(metric_id: str, grain: str, by: str | None, where: list[str]) -> str:
    from urllib.parse import urlencode

    params: list[tuple[str, str]] = [("grain", grain)]
    if by:
        params.append(("by", by))
    params += [("where", w) for w in where]
    return f"/metrics/{metric_id}?{urlencode(params)}"


@router.get("/metrics/{metric_id}", response_class=HTMLResponse)
def metric_page(request: Request, metric_id: str, query: Annotated[MetricQuery, Query()],
                principal: Annotated[Principal, Depends(page_require("metrics:read"))],
                state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    ws = state.workspace
    catalog = ws.metric_catalog()
    if metric_id not in catalog:
        raise PageError(status.HTTP_404_NOT_FOUND, f"No metric {metric_id!r}.")
    definition = catalog.get(metric_id)
    drill = [d for d in DRILL_DIMENSIONS if d in definition.dimensions]
    if query.by and query.by not in drill:
        raise PageError(status.HTTP_404_NOT_FOUND,
                        f"{definition.title} cannot be split by {query.by}.")
    context = {"definition": definition, "grain": query.grain, "by": query.by,
               "drill": drill, "where": query.where, "error": None, "charts": {},
               "breakdown": [], "window": None,
               "link": lambda by=query.by, where=query.where, grain=query.grain:
                   _link(metric_id, grain, by, where),
               "chart_json": ""}
    try:
        where = scoped_where(principal, [definition], parse_filters(query.where))
        if where is None:
            context["error"] = "No data within your scope for these filters."
            return render(request, "metric.html", principal, **context)
        scoped = tuple((dim, tuple(values)) for dim, values in sorted(where.items()))
        window, total, groups, split = state.cached(
            ("metric_page", metric_id, query.grain, query.by, scoped),
            lambda: _metric_results(ws, metric_id, query.grain, query.by, where))
        start, end = window[1], window[2]
        context["window"] = (start, end)
        context["breakdown"] = [
            {**g, "href": _link(metric_id, query.grain, None,
                                [*query.where, f"{query.by}:{g[query.by]}"])}
            for g in sorted(groups, key=lambda g: str(g[query.by]))
            if g[query.by] is not None]
        # Only whole periods: a week cut by the start or end of the data would look like
        # a change in the metric.
        series = complete_series(total, [], query.grain, window).get((metric_id, ()), [])
        trend = ([point for points in complete_series(split, [query.by], query.grain,
                                                      window).values() for point in points]
                 if split else series)
        charts = {"trend": trend_spec(trend, definition.unit, query.by if split else None)}
        try:
            chart = series_chart(definition, series, ws.metric_params())
            charts["control"] = control_chart_spec(MetricChart(
                metric=metric_id, title=definition.title, family=definition.family,
                unit=definition.unit, direction=definition.direction, dimensions={},
                reason="signal", grain=query.grain, chart=chart.chart,
                center=chart.center, target=None, points=chart.points), width=900)
            context["control"] = chart
        except CxpmError as exc:
            context["control_error"] = str(exc)
        context["charts"] = charts
        context["chart_json"] = script_json(json_ready(charts))
    except OutOfScopeError as exc:
        raise PageError(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except CxpmError as exc:
        context["error"] = str(exc)
    return render(request, "metric.html", principal, **context)


def _metric_results(ws: Workspace, metric_id: str, grain: str, by: str | None,
                    where: dict[str, list[str]]) -> tuple:
    """The window charted, the metric by period, its values by `by` over the window and the
    largest groups by period (what the page shows; computed once per data version)."""
    contacts = ws.warehouse.tables()["contacts"]
    latest = contacts.aggregate(last=contacts.local_time.max()).to_pyarrow()
    last_local = latest.column("last")[0].as_py()
    if last_local is None:
        raise CxpmError("no contacts loaded yet")
    window = chart_window(contacts, last_local.date(), grain, HISTORY_PERIODS[grain])
    start, end = window[1], window[2]
    total = to_records(compute_query(ws, [metric_id], grain=grain, start=start, end=end,
                                     where=where))
    groups = (to_records(compute_query(ws, [metric_id], by=[by], grain="all", start=start,
                                       end=end, where=where)) if by else [])
    top = [g[by] for g in sorted(groups, key=lambda g: -(g["denominator"] or g["numerator"] or 0))
           if g["value"] is not None][:TREND_GROUPS]
    split = (to_records(compute_query(ws, [metric_id], by=[by], grain=grain, start=start,
                                      end=end, where={**where, by: [str(t) for t in top]}))
             if by and top else [])
    return window, total, groups, split
