"""GET / — the scorecard of a month, by program, site or vendor, within the user's scope."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from cxpm.errors import CxpmError
from cxpm.scorecard import (
    Scorecard,
    build_scorecard,
    latest_period,
    metrics_with_targets,
    months_back,
)
from cxpm.targets.attainment import Attainment, achieving_results
from cxpm.targets.model import TargetInfo
from cxpm.targets.store import list_targets
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import page_require, render
from cxpm.web.pages.sparkline import sparkline_points
from cxpm.web.scope import OutOfScopeError, scope_filter

router = APIRouter(include_in_schema=False)
NAV = ((10, "Scorecard", "/", "metrics:read"),)

BY_CHOICES = ("program", "site", "vendor")
PERIOD_CHOICES = 12


class ScorecardQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")
    by: Literal["", "program", "site", "vendor"] = ""


def targets_key(targets: list[TargetInfo]) -> tuple[str, ...]:
    """What of the targets a cached scorecard depends on: they live in the app DB, so a
    changed target must not be answered from the cache."""
    return tuple(target.model_dump_json() for target in targets)


def scoped_scorecard(state: WebState, principal: Principal, period: str | None,
                     by: list[str]) -> Scorecard:
    """The scorecard limited to the user's scope: grouped by the scope's dimension as well,
    keeping only the user's own group — so no value or total includes other rows — and the
    achieving results recounted over those rows only. Metrics without that dimension come
    back unavailable (never computed unfiltered)."""
    ws = state.workspace
    scope = scope_filter(principal)
    grouping = list(by) if scope is None or scope[0] in by else [scope[0], *by]
    targets, catalog = list_targets(ws), ws.metric_catalog()
    key = ("scorecard", period, tuple(grouping), targets_key(targets))
    card = state.cached(key, lambda: build_scorecard(
        ws.warehouse.tables(), period=period, by=grouping, params=ws.metric_params(),
        catalog=catalog, metrics=metrics_with_targets(targets, catalog), targets=targets))
    if scope is None:
        return card
    dim, value = scope
    rows = [row for row in card.rows if row.dimensions.get(dim) == value]
    fields = set(Attainment.model_fields)
    achieving = achieving_results(
        [(row.family, Attainment(**row.model_dump(include=fields))) for row in rows])
    return card.model_copy(update={"rows": rows, "achieving": achieving})


@router.get("/", response_class=HTMLResponse)
def scorecard_page(request: Request, query: Annotated[ScorecardQuery, Query()],
                   principal: Annotated[Principal, Depends(page_require("metrics:read"))],
                   state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    by = [query.by] if query.by else []
    error = None
    card = None
    periods: list[str] = []
    try:
        latest = state.cached(("latest_period",), lambda: latest_period(
            state.workspace.warehouse.tables()["contacts"]))
        periods = [m.isoformat()[:7] for m in months_back(latest, PERIOD_CHOICES)][::-1]
        card = scoped_scorecard(state, principal, query.period, by)
    except (CxpmError, OutOfScopeError) as exc:
        error = str(exc)
    lines = {}
    if card is not None:
        lines = {i: sparkline_points(row.trend) for i, row in enumerate(card.rows)}
    return render(request, "scorecard.html", principal, card=card, error=error,
                  periods=periods, period=card.period if card else query.period,
                  by=query.by, by_choices=BY_CHOICES, sparklines=lines)
