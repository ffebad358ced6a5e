"""Did the fix work? For the action's metric and scope, month by month: the first K complete
months after the implementation date must each meet the target, and none may show an
adverse special-cause signal on a control chart whose limits come from the months before
implementation (docs/actions.md, "Effectiveness check")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.metrics.engine import compute
from cxpm.review.actions.model import ActionInfo, ActionUpdate, Evidence, Verification
from cxpm.review.actions.store import get_action, update_action
from cxpm.review.findings import chart_kind
from cxpm.review.spc import ChartKind, ControlChart, control_chart
from cxpm.store.db import utc_now
from cxpm.targets.book import TargetBook
from cxpm.targets.model import judge
from cxpm.targets.store import list_targets
from cxpm.workspace import Workspace

Proposal = Literal["close-effective", "reopen", "wait", "cannot-verify"]
VERIFY_PERIODS_PARAM = "actions.verify_periods"


class EffectivenessCheck(BaseModel):
    action_id: int
    metric: str
    scope: dict[str, str]
    direction: str
    implemented_on: date | None
    periods_required: int  # K
    periods_after: int  # complete months after implementation (at most K are judged)
    chart: ChartKind | None
    center: float | None  # centre line from the baseline months
    baseline_periods: int
    proposal: Proposal
    reason: str
    evidence: list[Evidence]  # baseline months, then the judged months after implementation


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def first_period_after(implemented_on: date) -> date:
    """The first month wholly after the fix went live: its own month when it went live on
    the 1st, else the next one (the month of the change mixes before and after)."""
    start = month_start(implemented_on)
    return start if start == implemented_on else next_month(start)


def complete_periods_after(implemented_on: date, today: date, limit: int) -> list[date]:
    """Up to `limit` month starts from the first month after implementation whose last day
    is before `today`."""
    months = []
    month = first_period_after(implemented_on)
    while len(months) < limit and next_month(month) <= today:
        months.append(month)
        month = next_month(month)
    return months


def adverse_signals(signals: list[str], value: float, previous: float | None, center: float,
                    direction: str) -> list[str]:
    """The signals that point the worse way: the point is on the worse side of the centre
    (we1-we4), or the run rises when lower is better / falls when higher is better (trend).
    A shift the better way is the fix working, not a loss of control."""
    worse_side = value > center if direction == "lower" else value < center
    worsening = previous is not None and (
        value > previous if direction == "lower" else value < previous)
    return [s for s in signals if (worsening if s == "trend" else worse_side)]


def _monthly(workspace: Workspace, action: ActionInfo, params: Mapping[str, Any],
             end: date) -> dict[date, tuple[float | None, float | None]]:
    table = compute(workspace.warehouse.tables(), [action.metric], grain="month",
                    where={dim: [value] for dim, value in action.scope.items()},
                    end=end, params=params, catalog=workspace.metric_catalog())
    return {row["period_start"].date(): (row["value"], row["denominator"])
            for row in table.to_pylist()}


def verify(workspace: Workspace, action_id: int, *, periods: int | None = None,
           today: date | None = None) -> EffectivenessCheck:
    """Check the action's fix; `periods` overrides K (actions.verify_periods), `today`
    (default: today in the workspace time zone) decides which months are complete."""
    action = get_action(workspace, action_id)
    params = workspace.metric_params()
    required = int(periods if periods is not None else params[VERIFY_PERIODS_PARAM])
    if required < 1:
        raise CxpmError(f"the effectiveness check needs at least 1 period, got {required}")
    definition = workspace.metric_catalog().get(action.metric)
    base = dict(action_id=action.id, metric=action.metric, scope=action.scope,
                direction=definition.direction, implemented_on=action.implemented_on,
                periods_required=required, periods_after=0, chart=None, center=None,
                baseline_periods=0, evidence=[])

    def cannot(reason: str, **extra: Any) -> EffectivenessCheck:
        return EffectivenessCheck(**{**base, **extra}, proposal="cannot-verify",
                                  reason=reason)

    if action.implemented_on is None:
        return cannot("no implementation date: set when the fix went live")
    if definition.direction not in ("higher", "lower"):
        return cannot(f"metric {action.metric} has no better direction")
    after = complete_periods_after(action.implemented_on, today or workspace.today(),
                                   required)
    base["periods_after"] = len(after)
    book = TargetBook(list_targets(workspace, action.metric))
    targets = {m: book.find(action.metric, action.scope, m)
               for m in after or [first_period_after(action.implemented_on)]}
    missing = [m for m, t in targets.items() if t is None]
    if missing:
        return cannot(f"no target for {action.metric} ({_scope_text(action.scope)}) in "
                      f"{', '.join(m.isoformat()[:7] for m in missing)}: set one with "
                      f"`cxpm targets set`")
    last = next_month(after[-1]) if after else month_start(action.implemented_on)
    values = _monthly(workspace, action, params, last - timedelta(days=1))
    baseline = sorted(m for m, (v, _) in values.items()
                      if v is not None and next_month(m) <= action.implemented_on)
    kind = chart_kind(definition)
    chart = _chart(kind, baseline, after, values)
    evidence = _evidence(baseline, after, values, targets, chart, definition.direction)
    base.update(chart=kind if chart else None, center=chart.center if chart else None,
                baseline_periods=len(baseline), evidence=evidence)
    no_data = [e.period for e in evidence if e.phase == "after" and e.value is None]
    if no_data:
        return cannot(f"no data for {', '.join(no_data)}")
    if len(after) < required:
        return EffectivenessCheck(**base, proposal="wait", reason=(
            f"{len(after)} of {required} complete months after the implementation date "
            f"({action.implemented_on}) so far"))
    minimum = 2 if kind == "xmr" else 1
    if chart is None:
        return cannot(f"the control chart needs at least {minimum} month(s) with data "
                      f"before the implementation date, found {len(baseline)}")
    judged = [e for e in evidence if e.phase == "after"]
    missed = [e.period for e in judged if e.status != "met"]
    unstable = [f"{e.period} ({', '.join(e.adverse_signals)})" for e in judged
                if e.adverse_signals]
    if missed or unstable:
        reasons = ([f"target not met in {', '.join(missed)}"] if missed else []) + (
            [f"out of control in {', '.join(unstable)}"] if unstable else [])
        return EffectivenessCheck(**base, proposal="reopen", reason="; ".join(reasons))
    return EffectivenessCheck(**base, proposal="close-effective", reason=(
        f"target met and no adverse signal in each of the {required} months after "
        f"the implementation date"))


def _scope_text(scope: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(scope.items())) or "everywhere"


def _chart(kind: ChartKind, baseline: list[date], after: list[date],
           values: Mapping[date, tuple[float | None, float | None]]) -> ControlChart | None:
    """Baseline months then the months after implementation that have a value; limits from
    the baseline only. None when the baseline is too short for the chart."""
    if len(baseline) < (2 if kind == "xmr" else 1):
        return None
    months = baseline + [m for m in after if values.get(m, (None, None))[0] is not None]
    return control_chart([m.isoformat()[:7] for m in months], [values[m][0] for m in months],
                         chart=kind, denominators=[values[m][1] for m in months]
                         if kind == "p" else None, baseline=len(baseline))


def _evidence(baseline: list[date], after: list[date],
              values: Mapping[date, tuple[float | None, float | None]], targets: Mapping,
              chart: ControlChart | None, direction: str) -> list[Evidence]:
    points = {p.period: p for p in chart.points} if chart else {}
    out = []
    previous: float | None = None
    for month in baseline + after:
        label = month.isoformat()[:7]
        value = values.get(month, (None, None))[0]
        phase = "baseline" if month in baseline else "after"
        target = targets.get(month)
        point = points.get(label)
        signals = point.signals if point else []
        out.append(Evidence(
            period=label, phase=phase, value=value,
            target=target.value if target else None,
            status=judge(value, target.value, target.warning, direction) if target else None,
            signals=signals,
            adverse_signals=adverse_signals(signals, value, previous, chart.center, direction)
            if point and phase == "after" else []))
        previous = value if value is not None else previous
    return out


def apply_check(workspace: Workspace, check: EffectivenessCheck, *, actor: str,
                note: str | None = None) -> ActionInfo:
    """Perform what the check proposes: close-effective closes a verifying action;
    reopen records the failed verification and sends the action back to acting (from
    verifying or from a closed state)."""
    if check.proposal not in ("close-effective", "reopen"):
        raise CxpmError(f"nothing to apply for action {check.action_id}: {check.proposal} "
                        f"({check.reason})")
    action = get_action(workspace, check.action_id)
    effective = check.proposal == "close-effective"
    if effective and action.state != "verifying":
        raise CxpmError(f"action {action.id} is {action.state}: only a verifying action is "
                        f"closed by the check")
    if not effective and action.state not in ("verifying", "closed-effective",
                                              "closed-ineffective"):
        raise CxpmError(f"action {action.id} is {action.state}: the check reopens only a "
                        f"verifying or closed action")
    verification = Verification(
        result="effective" if effective else "ineffective", method="automatic",
        verified_at=utc_now(), verified_by=actor,
        note=check.reason, evidence=check.evidence)
    return update_action(workspace, action.id, ActionUpdate(
        state="closed-effective" if effective else "acting", verification=verification,
        note=note or f"effectiveness check: {check.proposal} ({check.reason})"),
        actor=actor)
