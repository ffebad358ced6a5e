"""GET /qa — the quality report of a month (`cxpm qa report`): the critical-error accuracies
and non-critical accuracy with Wilson intervals, evaluations done against the sample each
group needs, and the items behind the critical errors; a scoped user's figures count only
the evaluations and contacts within its scope (an agent: its own)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from cxpm.errors import CxpmError
from cxpm.qa.report import QaReport, build_qa_report, latest_evaluation_month
from cxpm.scorecard import months_back
from cxpm.users.permissions import has_permission
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, page_require, render
from cxpm.web.scope import OutOfScopeError, scope_filter

router = APIRouter(include_in_schema=False)
NAV = ((30, "QA", "/qa", "qa:read"),)

# The report's dimensions (`cxpm qa report --by`), by their column names.
BY_CHOICES = ("agent_id", "team", "program", "site", "vendor", "channel", "handled_by",
              "queue", "reason", "evaluator_id", "form_id")
PERIOD_CHOICES = 12
ACCURACIES = (("customer_critical_accuracy", "customer-critical"),
              ("business_critical_accuracy", "business-critical"),
              ("compliance_critical_accuracy", "compliance-critical"),
              ("noncritical_accuracy", "non-critical"))


class QaReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")
    by: Literal["", "agent_id", "team", "program", "site", "vendor", "channel", "handled_by",
                "queue", "reason", "evaluator_id", "form_id"] = ""
    top: int = Field(default=10, ge=1, le=50)


def scoped_qa_report(state: WebState, principal: Principal, period: str | None,
                     by: list[str], top: int) -> QaReport:
    """`cxpm qa report` limited to the user's scope: every figure (accuracies, populations,
    samples, Pareto) counts only evaluations and contacts with the scope's value."""
    ws = state.workspace
    scope = scope_filter(principal)
    where = {scope[0]: [scope[1]]} if scope else None
    params = ws.metric_params()
    key = ("qa-report", period, tuple(by), top, scope,
           json.dumps(params, sort_keys=True, default=str))
    return state.cached(key, lambda: build_qa_report(
        ws.warehouse.tables(), period=period, by=by, params=params, top=top, where=where))


def _periods(state: WebState) -> list[str]:
    """The latest month with evaluations and the months before it."""
    include = bool(state.workspace.metric_params()["qa.include_calibration"])

    def compute() -> str:
        evaluations = state.workspace.warehouse.tables()["evaluations"]
        return latest_evaluation_month(evaluations, include).isoformat()

    latest = state.cached(("qa-latest-month", include), compute)
    return [m.isoformat()[:7] for m in months_back(date.fromisoformat(latest),
                                                   PERIOD_CHOICES)][::-1]


@router.get("/qa", response_class=HTMLResponse)
def qa_report_page(request: Request, query: Annotated[QaReportQuery, Query()],
                   principal: Annotated[Principal, Depends(page_require("qa:read"))],
                   state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    by = [query.by] if query.by else []
    report = None
    error = None
    periods: list[str] = []
    try:
        periods = _periods(state)
        report = scoped_qa_report(state, principal, query.period, by, query.top)
    except OutOfScopeError as exc:
        raise PageError(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except CxpmError as exc:
        error = str(exc)
    period = report.period if report else query.period
    if period and period not in periods:
        periods = sorted({*periods, period}, reverse=True)
    return render(request, "qa_report.html", principal, report=report, error=error,
                  periods=periods, period=period, by=query.by, top=query.top,
                  by_choices=BY_CHOICES, accuracies=ACCURACIES,
                  can_evaluate=has_permission(principal.role, "qa:evaluate"))
