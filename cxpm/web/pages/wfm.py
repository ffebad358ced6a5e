"""GET /wfm/intraday — one local day, interval by interval: forecast vs actual volume and
AHT, required vs scheduled vs logged-in agents, service level (`cxpm wfm intraday`).

Forecasts, schedules and agent states carry no vendor, site or program, so a scoped user
sees only the queues served by its scope alone (`cxpm.wfm.queue_scope`); with none, the page
answers 403."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

import altair as alt
from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from cxpm.errors import CxpmError
from cxpm.formatting import json_ready
from cxpm.reports.charts import INK
from cxpm.reports.render import script_json
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, page_require, render
from cxpm.web.scope import OutOfScopeError, scope_filter
from cxpm.wfm.intraday import intraday, intraday_queues
from cxpm.wfm.queue_scope import queues_within

router = APIRouter(include_in_schema=False)
NAV = ((20, "Intraday", "/wfm/intraday", "wfm:read"),)

# Table columns: (field, heading, unit for formatting).
COLUMNS = (("forecast_volume", "forecast volume", "count"),
           ("actual_volume", "actual volume", "count"),
           ("forecast_aht_s", "forecast AHT (s)", None),
           ("actual_aht_s", "actual AHT (s)", None),
           ("required_agents", "required agents", None),
           ("scheduled_agents", "scheduled agents", None),
           ("logged_in_agents", "logged-in agents", None),
           ("service_level", "service level", "ratio"))
_SERIES = {"volume": (("forecast_volume", "forecast"), ("actual_volume", "actual")),
           "agents": (("required_agents", "required"), ("scheduled_agents", "scheduled"),
                      ("logged_in_agents", "logged in"))}
_COLOURS = {"forecast": "#9aa5b1", "actual": "#1f5fa8", "required": "#c62828",
            "scheduled": "#2e7d32", "logged in": "#e08e0b"}


class IntradayQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    queue: str | None = Field(default=None, max_length=200)


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PageError(status.HTTP_400_BAD_REQUEST,
                        f"date must be a calendar day written YYYY-MM-DD, got {text!r}") from None


def _latest_day(state: WebState) -> date | None:
    """The latest local day with contacts."""
    with state.warehouse():
        contacts = state.workspace.warehouse.tables()["contacts"]
        last = contacts.aggregate(last=contacts.local_time.max()).to_pyarrow()
    value = last.column("last")[0].as_py()
    return value.date() if isinstance(value, datetime) else None


def scoped_queues(state: WebState, principal: Principal) -> list[str] | None:
    """The queues a scoped user may see (None: every queue)."""
    scope = scope_filter(principal)
    if scope is None:
        return None
    dimension, value = scope

    def compute() -> list[str]:
        return queues_within(state.workspace.warehouse.tables()["contacts"], dimension, value)

    own = state.cached(("wfm-queues", dimension, value), compute)
    if not own:
        raise OutOfScopeError(
            f"the intraday view cannot be limited to your scope ({principal.scope_kind}="
            f"{value}): forecasts and schedules belong to queues, and no queue is served by "
            f"{value} alone")
    return own


def intraday_chart(records: list[dict[str, Any]], *, width: int = 900,
                   height: int = 180) -> dict[str, Any]:
    """Forecast vs actual volume above, required vs scheduled vs logged-in agents below."""
    panels = []
    for title, series in (("contacts per interval", _SERIES["volume"]),
                          ("agents", _SERIES["agents"])):
        rows = [{"t": r["interval_start"].isoformat() + "Z", "series": name,
                 "value": r[field]}
                for r in records for field, name in series if r[field] is not None]
        panels.append(alt.Chart(alt.Data(values=rows)).mark_line(
            point=True, strokeWidth=1.6, interpolate="step-after"
            if title == "agents" else "linear").encode(
            x=alt.X("t:T", timeUnit="utchoursminutes", title=None,
                    axis=alt.Axis(format="%H:%M", labelAngle=0, grid=False, tickCount=12,
                                  labelOverlap=True)),
            y=alt.Y("value:Q", title=title),
            # One colour scale over both panels (vconcat shares it), one legend.
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="right"),
                            scale=alt.Scale(domain=list(_COLOURS),
                                            range=list(_COLOURS.values()))),
            tooltip=[alt.Tooltip("t:T", timeUnit="utchoursminutes", format="%H:%M",
                                 title="interval"),
                     alt.Tooltip("series:N", title="series"),
                     alt.Tooltip("value:Q", format=",.1f")],
        ).properties(width=width, height=height))
    return alt.vconcat(*panels, spacing=16).configure(
        view={"stroke": None}, font="Helvetica, Arial, sans-serif",
        axis={"labelColor": INK, "gridColor": "#e4e7eb", "labelFontSize": 10}).to_dict()


@router.get("/wfm/intraday", response_class=HTMLResponse)
def intraday_page(request: Request, query: Annotated[IntradayQuery, Query()],
                  principal: Annotated[Principal, Depends(page_require("wfm:read"))],
                  state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    ws = state.workspace
    try:
        allowed = scoped_queues(state, principal)
    except OutOfScopeError as exc:
        raise PageError(status.HTTP_403_FORBIDDEN, str(exc)) from None
    queue = query.queue or None
    if allowed is not None and queue is not None and queue not in allowed:
        raise PageError(status.HTTP_404_NOT_FOUND, f"No queue {queue!r} within your scope.")
    latest = _latest_day(state)
    day = _day(query.date) or latest
    context: dict[str, Any] = {"day": day, "latest": latest, "queue": queue, "queues": [],
                               "rows": [], "error": None, "chart_json": "",
                               "columns": COLUMNS, "limited_to": allowed}
    if day is None:
        context["error"] = "No contacts loaded yet: load data first (cxpm ingest)."
        return render(request, "wfm_intraday.html", principal, **context)
    params = ws.metric_params()
    key_params = json.dumps(params, sort_keys=True, default=str)

    def compute() -> tuple[list[str], list[dict[str, Any]]]:
        tables = ws.warehouse.tables()
        offered = intraday_queues(tables["forecasts"], day)
        if allowed is not None:
            offered = [q for q in offered if q in allowed]
        records = intraday(tables, day, queue=queue, params=params,
                           queues=allowed).to_pylist()
        return offered, records

    try:
        queues, records = state.cached(
            ("wfm-intraday", day.isoformat(), queue, tuple(allowed or ()), allowed is None,
             key_params), compute)
    except CxpmError as exc:
        context["error"] = str(exc)
        with state.warehouse():
            offered = intraday_queues(ws.warehouse.tables()["forecasts"], day)
        context["queues"] = [q for q in offered if allowed is None or q in allowed]
        return render(request, "wfm_intraday.html", principal, **context)
    context["queues"] = queues
    context["rows"] = records
    context["chart_json"] = script_json(json_ready({"intraday": intraday_chart(records)}))
    return render(request, "wfm_intraday.html", principal, **context)
