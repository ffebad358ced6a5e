"""GET /journeys — the journey flows as a Sankey diagram (as `cxpm journeys map` draws them),
every flow (`cxpm journeys flows`) and the friction points (`cxpm journeys friction`).

A journey crosses vendors, sites and programs (a bot, then an in-house agent, then a vendor's
tier), so its flows and friction cannot be limited to one scope: scoped users get 403."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from cxpm.errors import CxpmError
from cxpm.journeys.flows import journey_flows, step_flows
from cxpm.journeys.friction import KIND_TITLES, friction_points
from cxpm.journeys.sankey import DEFAULT_TOP_FLOWS, largest_connected, sankey_figure_json
from cxpm.journeys.selection import JOURNEYS, STEPS, journey_months, journey_tables
from cxpm.reports.render import script_json
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import UNSCOPED_ONLY, PageError, page_require, render

router = APIRouter(include_in_schema=False)
NAV = ((50, "Journeys", "/journeys", "metrics:read", UNSCOPED_ONLY),)

TOP_FRICTION = 20  # as `cxpm journeys friction` shows by default
BY_CHOICES = ("program", "site", "vendor", "channel", "queue", "handled_by", "agent_id",
              "reason")


class JourneysQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(default=None, pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$")
    by: Literal["", "program", "site", "vendor", "channel", "queue", "handled_by",
                "agent_id", "reason"] = ""


def _refuse_scoped(principal: Principal) -> None:
    if principal.scope_kind != "all":
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            f"Journeys cannot be limited to your scope ({principal.scope_kind}="
            f"{principal.scope_value}): a journey crosses vendors, sites and programs, so "
            "its flows and friction would include others' contacts.")


def _built(state: WebState) -> bool:
    with state.warehouse():
        existing = set(state.workspace.warehouse.con.list_tables())
    return JOURNEYS in existing and STEPS in existing


@router.get("/journeys", response_class=HTMLResponse)
def journeys_page(request: Request, query: Annotated[JourneysQuery, Query()],
                  principal: Annotated[Principal, Depends(page_require("metrics:read"))],
                  state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    _refuse_scoped(principal)
    ws = state.workspace
    period = query.period or None
    by = [query.by] if query.by else []
    context: dict[str, Any] = {"built": False, "period": period, "by": query.by,
                               "by_choices": BY_CHOICES, "periods": [], "flows": [],
                               "points": [], "kinds": KIND_TITLES, "error": None,
                               "figure_json": "", "shown": 0, "step_flow_count": 0}
    if not _built(state):
        return render(request, "journeys.html", principal, **context)
    context["built"] = True
    params = ws.metric_params()
    key_params = json.dumps(params, sort_keys=True, default=str)

    def compute() -> dict[str, Any]:
        tables = journey_tables(ws.warehouse)
        months = journey_months(tables)
        if period is not None and period not in months:
            raise CxpmError(f"no journeys started in {period}; months with journeys: "
                            f"{', '.join(months) or 'none'}")
        steps = step_flows(tables, period)
        shown = largest_connected(steps, DEFAULT_TOP_FLOWS)
        return {"periods": months,
                "flows": [f.model_dump() for f in journey_flows(tables, period)],
                "points": [p.model_dump() for p in friction_points(
                    tables, period=period, by=by, params=params)[:TOP_FRICTION]],
                "figure": sankey_figure_json(shown) if shown else "",
                "shown": len(shown), "step_flow_count": len(steps)}

    try:
        result = state.cached(("journeys", period, tuple(by), key_params), compute)
    except CxpmError as exc:
        context["error"] = str(exc)
        with state.warehouse():
            context["periods"] = journey_months(journey_tables(ws.warehouse))
        return render(request, "journeys.html", principal, **context)
    context.update({k: v for k, v in result.items() if k != "figure"})
    if result["figure"]:
        context["figure_json"] = script_json(json.loads(result["figure"]))
    return render(request, "journeys.html", principal, **context)
