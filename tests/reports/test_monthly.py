"""The monthly report's data, checked against the raw rows of operation.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cxpm.metrics.engine import compute, to_records
from cxpm.reports.monthly import MonthlyReport, action_rows, monthly_report

from . import operation
from .conftest import TODAY


def _april(rows):
    return [r for r in rows if r["day"].month == 4]


def test_scorecard_rows_judged_against_the_targets(report: MonthlyReport) -> None:
    contacts = operation.build_contacts()
    april = _april(contacts)
    answered = [r for r in april if r["abandoned"] == "false"]
    rows = {r.metric: r for r in report.scorecard.rows}
    assert report.period == "2026-04"
    assert rows["offered"].value == len(april)
    abandon = rows["abandonment_rate"]
    assert abandon.value == sum(r["abandoned"] == "true" for r in april) / len(april)
    assert (abandon.target, abandon.status) == (operation.ABANDON_TARGET, "missed")
    assert (abandon.periods_met, abandon.periods_considered, abandon.consistent) == (0, 3, False)
    aht = rows["aht"]
    assert aht.value == sum(r["talk_s"] for r in answered) / len(answered)
    assert (aht.target, aht.status, aht.periods_met, aht.consistent) == (
        operation.AHT_TARGET, "met", 3, True)
    # Offered in February, March, April: the trend of the last three months.
    assert rows["offered"].trend == [
        sum(r["day"].month == m for r in contacts) for m in (2, 3, 4)]
    overall = report.scorecard.achieving[0]
    assert (overall.family, overall.with_target, overall.consistent) == ("all", 2, 1)


def test_missed_metrics_are_listed_and_charted(report: MonthlyReport) -> None:
    assert [(f.kind, f.metric) for f in report.missed] == [("missed_target", "abandonment_rate")]
    charted = [(c.metric, c.reason) for c in report.charts]
    assert charted[0] == ("abandonment_rate", "missed_target")
    # Each (metric, group) once; at most three special causes besides the missed targets.
    assert len(set(charted)) == len(charted)
    assert sum(reason == "signal" for _, reason in charted) == 3
    signals = [f for f in report.review.findings if f.kind == "signal"]
    assert {m for m, r in charted if r == "signal"} <= {f.metric for f in signals}
    # A charted special cause is on its chart: same week, value and centre as the review's.
    for chart in report.charts:
        for finding in (f for f in signals if f.metric == chart.metric):
            point = next(p for p in chart.points if p.period == finding.period)
            assert point.signals == finding.signals and point.value == finding.value
            assert abs(chart.center - finding.target) < 1e-12


def test_chart_series_equal_the_metric_engine_and_the_raw_rows(report: MonthlyReport,
                                                               report_ws) -> None:
    chart = report.charts[0]
    assert (chart.chart, chart.grain, chart.target) == ("p", "week", operation.ABANDON_TARGET)
    records = to_records(compute(report_ws.warehouse.tables(), ["abandonment_rate"],
                                 grain="week", start=operation.FIRST_DAY,
                                 end=operation.LAST_DAY, params=report_ws.metric_params(),
                                 catalog=report_ws.metric_catalog()))
    assert [(p.period, p.value) for p in chart.points] == [
        (r["period_start"], r["value"]) for r in records]
    # By hand: 16 Monday-to-Sunday weeks, 42 contacts each, 7 abandoned (28 in the spike).
    weeks = [operation.FIRST_DAY + timedelta(days=7 * i) for i in range(16)]
    abandoned = [28 if week == operation.SPIKE_WEEK else 7 for week in weeks]
    assert [p.period for p in chart.points] == [
        datetime.combine(w, datetime.min.time()).isoformat() for w in weeks]
    assert [p.value for p in chart.points] == [a / 42 for a in abandoned]
    assert abs(chart.center - sum(abandoned) / (42 * 16)) < 1e-12
    spike = next(p for p in chart.points if p.period.startswith(str(operation.SPIKE_WEEK)))
    assert "we1" in spike.signals and spike.value > spike.ucl


def test_open_and_overdue_actions(report: MonthlyReport) -> None:
    assert [(row.action.title, row.overdue, row.days_late, row.overdue_tasks)
            for row in report.actions] == [
        ("Staff the morning peak", True, (TODAY - date(2026, 4, 30)).days, []),
        ("Fix the IVR callback option", True, (TODAY - date(2026, 5, 1)).days, [1]),
        ("Review the queue announcements", False, None, [])]
    assert [row.action.id for row in report.overdue_actions] == [1, 2]


def test_closed_actions_are_left_out(report: MonthlyReport, report_ws) -> None:
    late, _, on_time = (row.action for row in report.actions)
    closed = late.model_copy(update={"state": "closed-effective"})
    rows = action_rows([closed, on_time], TODAY, report_ws.metric_catalog())
    assert [(row.action.id, row.metric_title) for row in rows] == [
        (on_time.id, "Abandonment rate")]


def test_laney_charts_when_the_review_uses_them(report_ws) -> None:
    """With review.proportion_chart = laney-p the report draws the charts the review judged
    its signals on: every proportion chart is a p′ chart and each charted signal is on it."""
    laney = monthly_report(report_ws, period="2026-04", today=TODAY,
                           param_overrides=["review.proportion_chart=laney-p"])
    kinds = {c.chart for c in laney.charts}
    assert "laney-p" in kinds and "p" not in kinds
    signals = [f for f in laney.review.findings if f.kind == "signal"]
    for chart in laney.charts:
        for finding in (f for f in signals if f.metric == chart.metric):
            point = next(p for p in chart.points if p.period == finding.period)
            assert point.signals == finding.signals
