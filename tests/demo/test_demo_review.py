"""The demo's targets and corrective actions: the scorecard judges them over three months
(consistency and achieving results), the review and the monthly report run on them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cxpm.demo.build import build_demo
from cxpm.demo.targets import demo_targets
from cxpm.metrics.engine import compute, to_records
from cxpm.reports.monthly import monthly_report
from cxpm.reports.render import render_html
from cxpm.review.actions.effectiveness import verify
from cxpm.review.actions.overdue import overdue_actions
from cxpm.review.actions.store import list_actions
from cxpm.scorecard import build_scorecard
from cxpm.targets.store import list_targets
from cxpm.workspace import Workspace

LAST_DAY = date(2026, 10, 31)
MONTHS = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Three months (August to October) at a twentieth of the volume."""
    workspace, _ = build_demo(tmp_path_factory.mktemp("demo3m") / "ws", days=92,
                              scale=0.05, seed=5)
    yield workspace
    workspace.close()


def test_targets_are_saved_with_their_benchmarks(demo: Workspace) -> None:
    saved = list_targets(demo)
    assert len(saved) == len(demo_targets())
    banking = [t for t in saved if t.scope == {"program": "banking"}]
    assert [(t.metric, t.value, t.benchmark_statistic) for t in banking] == [
        ("service_level", 0.85, "top quartile")]


def test_consistency_and_achieving_results_follow_the_monthly_values(demo: Workspace) -> None:
    tables = demo.warehouse.tables()
    card = build_scorecard(tables, period="2026-10", params=demo.metric_params(),
                           catalog=demo.metric_catalog(), targets=list_targets(demo))
    judged = [r for r in card.rows if r.target is not None]
    assert judged and all(r.periods_considered == 3 for r in judged)
    # Recompute one metric's consistency from the engine's monthly values by hand.
    monthly = to_records(compute(tables, ["abandonment_rate"], grain="month",
                                 start=MONTHS[0], end=LAST_DAY,
                                 params=demo.metric_params()))
    values = [r["value"] for r in monthly]
    assert len(values) == 3
    row = next(r for r in judged if r.metric == "abandonment_rate")
    assert row.periods_met == sum(v <= 0.05 for v in values)
    assert row.consistent == (row.periods_met == 3)
    assert row.trend == pytest.approx(values)
    overall = card.achieving[0]
    assert overall.family == "all"
    assert overall.with_target == len(judged)
    assert overall.consistent == sum(bool(r.consistent) for r in judged)
    families = [a.family for a in card.achieving[1:]]
    leading = [f for f in ("experience", "cost") if f in families]
    assert families[:len(leading)] == leading


def test_actions_are_under_way_and_checked(demo: Workspace) -> None:
    actions = {a.title: a for a in list_actions(demo)}
    acting = actions["Telecom voice misses its service level"]
    fixed = actions["Travel abandonment rising"]
    assert (acting.state, fixed.state) == ("acting", "verifying")
    late = overdue_actions(demo, today=LAST_DAY)
    assert [o.action.id for o in late] == [acting.id]
    # Implemented on 1 October: only October is complete after it, K is 3.
    check = verify(demo, fixed.id, today=date(2026, 11, 1))
    assert check.proposal == "wait"
    assert check.periods_after == 1


def test_the_monthly_report_of_the_demo_renders(demo: Workspace, tmp_path: Path) -> None:
    report = monthly_report(demo, period="2026-10", today=LAST_DAY)
    page = render_html(report)
    assert "Monthly performance report" in page
    assert 'src="http' not in page and 'href="http' not in page
    for row in report.scorecard.rows:
        if row.status == "missed":
            assert row.title in page
    assert any(a.overdue for a in report.actions)


def test_technologies_are_registered_with_two_needing_attention(demo: Workspace) -> None:
    from cxpm.technology.flags import technology_flags
    from cxpm.technology.store import list_technologies

    flags = {t.id: technology_flags(t, LAST_DAY) for t in list_technologies(demo)}
    assert set(flags) == {"banking-chat-bot", "telecom-bot", "travel-self-service"}
    assert flags["banking-chat-bot"] == []
    # Retrained for the new bill layout and not verified since; the ethics review overdue.
    assert len(flags["telecom-bot"]) == 1 and "verif" in flags["telecom-bot"][0]
    assert len(flags["travel-self-service"]) == 1 and "ethics" in flags["travel-self-service"][0]
