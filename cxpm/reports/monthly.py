"""The monthly performance report as data: the scorecard with targets, achieving results, the
review findings by impact, control charts of the metrics that missed their target (and of
the strongest special causes), and the open and overdue corrective actions. Every figure
comes from the scorecard, review, control-chart and actions modules; this module only
gathers them (render.py turns a MonthlyReport into a page)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import Catalog
from cxpm.metrics.params import resolve_params
from cxpm.review.actions.model import CLOSED_STATES, ActionInfo
from cxpm.review.actions.overdue import find_overdue
from cxpm.review.findings import (
    Finding,
    Review,
    build_review,
    chart_window,
    complete_series,
    series_chart,
)
from cxpm.review.spc import ChartPoint
from cxpm.scorecard import SCORECARD_METRICS, Scorecard, build_scorecard, compute_each, month_end
from cxpm.targets.model import TargetInfo
from cxpm.workspace import Workspace

ChartReason = Literal["missed_target", "warning", "signal"]


class MetricChart(BaseModel):
    """A control chart of one metric (in one group when the report is split by a
    dimension) over the review's history, at the review's grain."""

    metric: str
    title: str
    family: str
    unit: str
    direction: str
    dimensions: dict[str, Any]
    reason: ChartReason  # why it is in the report: the finding that put it there
    grain: str
    chart: Literal["p", "laney-p", "xmr"]
    center: float
    target: float | None  # the month's target, drawn beside the limits
    points: list[ChartPoint]


class ChartProblem(BaseModel):
    """A chart the report wanted but could not draw, and why."""

    metric: str
    dimensions: dict[str, Any]
    reason: str


class ActionRow(BaseModel):
    """A corrective action that is not closed, with whether it is late."""

    action: ActionInfo
    metric_title: str
    overdue: bool
    days_late: int | None  # the most late of the action and its unfinished tasks
    overdue_tasks: list[int]  # numbers of the unfinished tasks past their due date


class MonthlyReport(BaseModel):
    workspace: str
    period: str  # YYYY-MM
    generated_at: datetime
    today: date  # the day overdue is judged against
    by: list[str]
    scorecard: Scorecard
    review: Review
    charts: list[MetricChart]
    chart_problems: list[ChartProblem]
    actions: list[ActionRow]

    @property
    def missed(self) -> list[Finding]:
        """Target findings (missed, then warnings), most impact first."""
        return [f for f in self.review.findings if f.kind != "signal"]

    @property
    def overdue_actions(self) -> list[ActionRow]:
        return [row for row in self.actions if row.overdue]


def _key(metric: str, dimensions: Mapping[str, Any], by: Sequence[str]) -> tuple:
    return metric, tuple(dimensions.get(d) for d in by)


def charted_findings(review: Review, top_signals: int) -> list[Finding]:
    """One finding per (metric, group) to chart: every missed target and warning, then the
    `top_signals` special causes with most impact among the metrics not charted yet."""
    chosen: dict[tuple, Finding] = {}
    for finding in review.findings:
        if finding.kind != "signal":
            chosen.setdefault(_key(finding.metric, finding.dimensions, review.by), finding)
    signals = 0
    for finding in review.findings:
        key = _key(finding.metric, finding.dimensions, review.by)
        if finding.kind == "signal" and signals < top_signals and key not in chosen:
            chosen[key] = finding
            signals += 1
    return list(chosen.values())


def chart_series(tables: Mapping[str, ir.Table], catalog: Catalog, review: Review,
                 findings: Sequence[Finding], targets: Mapping[tuple, float | None],
                 params: Mapping[str, Any]) -> tuple[list[MetricChart], list[ChartProblem]]:
    """Control charts of the findings' metrics, computed like the review's own: the same
    grain, history and complete periods (cxpm.review.findings)."""
    if not findings:
        return [], []
    last = month_end(date.fromisoformat(review.period + "-01"))
    window = chart_window(tables["contacts"], last, review.grain, review.history)
    metric_ids = list(dict.fromkeys(f.metric for f in findings))
    records, unavailable = compute_each(tables, metric_ids, by=review.by, grain=review.grain,
                                        start=window[0], end=last, params=params,
                                        catalog=catalog)
    series = complete_series(records, review.by, review.grain, window)
    charts: list[MetricChart] = []
    problems = [ChartProblem(metric=u.metric, dimensions={}, reason=u.reason)
                for u in unavailable]
    missing = {u.metric for u in unavailable}
    for finding in findings:
        if finding.metric in missing:
            continue
        key = _key(finding.metric, finding.dimensions, review.by)
        definition = catalog.get(finding.metric)
        try:
            chart = series_chart(definition, series.get(key, []), params)
        except CxpmError as exc:
            problems.append(ChartProblem(metric=finding.metric,
                                         dimensions=finding.dimensions, reason=str(exc)))
            continue
        charts.append(MetricChart(
            metric=finding.metric, title=definition.title, family=definition.family,
            unit=definition.unit, direction=definition.direction,
            dimensions=finding.dimensions, reason=finding.kind, grain=review.grain,
            chart=chart.chart, center=chart.center, target=targets.get(key),
            points=chart.points))
    return charts, problems


def action_rows(actions: Sequence[ActionInfo], today: date,
                catalog: Catalog) -> list[ActionRow]:
    """The actions not closed, the late ones first (most late first), then by id."""
    late = {o.action.id: o for o in find_overdue(actions, today)}
    titles = set(catalog.ids())
    rows = [ActionRow(action=a, overdue=a.id in late,
                      metric_title=catalog.get(a.metric).title if a.metric in titles
                      else a.metric,
                      days_late=late[a.id].days_late if a.id in late else None,
                      overdue_tasks=[t.number for t in late[a.id].overdue_tasks]
                      if a.id in late else [])
            for a in actions if a.state not in CLOSED_STATES]
    return sorted(rows, key=lambda r: (not r.overdue, -(r.days_late or 0), r.action.id))


def build_monthly_report(tables: Mapping[str, ir.Table], catalog: Catalog, *,
                         workspace_name: str, period: str | None = None,
                         by: Sequence[str] = (), params: Mapping[str, Any] | None = None,
                         targets: Sequence[TargetInfo] = (),
                         actions: Sequence[ActionInfo] = (), today: date,
                         grain: str = "week", history: int = 26,
                         top_signals: int = 3) -> MonthlyReport:
    """The report of month `period` (default: the latest with contacts). `actions` are the
    corrective actions to list (the closed ones are left out); `today` decides which are
    overdue."""
    if top_signals < 0:
        raise CxpmError("top_signals cannot be negative")
    params = resolve_params(params or {})
    review = build_review(tables, catalog, period=period, by=by, params=params,
                          targets=targets, grain=grain, history=history)
    # The review judges every targeted metric, also those outside the standard list: the
    # scorecard shows the same set.
    metric_ids = list(dict.fromkeys([*SCORECARD_METRICS, *(t.metric for t in targets)]))
    card = build_scorecard(tables, period=review.period, by=by, params=params,
                           catalog=catalog, metrics=metric_ids, targets=targets)
    month_targets = {_key(r.metric, r.dimensions, card.by): r.target for r in card.rows}
    charts, problems = chart_series(tables, catalog, review,
                                    charted_findings(review, top_signals), month_targets,
                                    params)
    return MonthlyReport(
        workspace=workspace_name, period=review.period,
        generated_at=datetime.now(UTC).replace(microsecond=0, tzinfo=None), today=today,
        by=list(by), scorecard=card, review=review, charts=charts, chart_problems=problems,
        actions=action_rows(actions, today, catalog))


def monthly_report(workspace: Workspace, *, period: str | None = None,
                   by: Sequence[str] = (), param_overrides: Sequence[str] = (),
                   today: date | None = None, grain: str = "week", history: int = 26,
                   top_signals: int = 3) -> MonthlyReport:
    """The monthly report of a workspace: its data, targets and corrective actions."""
    from cxpm.review.actions.store import list_actions
    from cxpm.targets.store import list_targets

    return build_monthly_report(
        workspace.warehouse.tables(), workspace.metric_catalog(),
        workspace_name=workspace.path.name, period=period, by=by,
        params=workspace.metric_params(param_overrides), targets=list_targets(workspace),
        actions=list_actions(workspace), today=today or workspace.today(),
        grain=grain, history=history, top_signals=top_signals)
