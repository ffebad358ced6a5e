"""`build_review`: missed targets and special causes of a month ranked by impact, on the
operations of review_data.py. Expected figures come from the raw rows with plain Python."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import load_catalog
from cxpm.review.findings import (
    Finding,
    Review,
    build_review,
    chart_kind,
    chart_window,
    is_complete,
)
from cxpm.targets.store import list_targets
from cxpm.workspace import Workspace

from . import review_data as rd

TOL = 1e-9

# By hand from the catalog: ratio metrics whose numerator and denominator both count rows
# (conditions or 1) are proportions and get a p-chart; everything else an XmR chart.
P_CHART = {
    # journeys: shares of counted journeys
    "journey_resolution_rate", "channel_switch_rate", "journey_csat", "bot_resolution_rate",
    "abandonment_rate", "service_level", "transfer_rate", "repeat_contact_rate",
    "first_contact_resolution", "csat", "dsat", "customer_critical_accuracy",
    "business_critical_accuracy", "compliance_critical_accuracy", "item_error_rate",
    "bot_containment_rate", "escalation_rate", "autonomous_handle_rate",
    "skills_verified_rate", "intervals_within_tolerance_volume",
    "days_within_tolerance_volume", "intervals_within_tolerance_aht",
    "days_within_tolerance_aht",
}
XMR_CHART = {
    # journeys: a duration and money per journey
    "time_to_resolution", "cost_per_journey",
    # ratios of durations or quantities
    "occupancy", "utilization", "shrinkage", "shrinkage_planned", "shrinkage_unplanned",
    "schedule_adherence", "absenteeism", "conformance", "noncritical_accuracy",
    "attrition_rate_annualized", "forecast_accuracy_volume", "forecast_bias_volume",
    "forecast_accuracy_aht", "forecast_bias_aht", "schedule_fit",
    # averages of seconds, scores, points, currency, contacts
    "aht", "asa", "avg_talk", "avg_hold", "avg_wrap", "qa_score", "nps", "ces",
    "contacts_per_journey", "cost_per_contact", "cost_per_resolved_contact",
    "revenue_per_contact",
    # counts
    "offered", "handled", "abandoned", "short_abandoned", "critical_errors",
    "understaffed_intervals", "overstaffed_intervals",
}


def test_chart_kind_of_every_builtin_metric() -> None:
    catalog = load_catalog()
    builtin = set(catalog.ids())
    assert builtin <= P_CHART | XMR_CHART, builtin - P_CHART - XMR_CHART
    for metric in sorted(builtin):
        definition = catalog.get(metric)
        kind = chart_kind(definition)
        assert kind == ("p" if metric in P_CHART else "xmr"), metric
        if kind == "p":  # the docstring's rule: a counted proportion
            assert definition.unit == "ratio" and definition.is_ratio, metric


# ---------------------------------------------------------------- the weekly operation

def review(ws: Workspace, tables: Any = None, **kwargs: Any) -> Review:
    return build_review(tables or ws.warehouse.tables(), ws.metric_catalog(),
                        params=ws.metric_params(), targets=list_targets(ws), **kwargs)


@pytest.fixture(scope="module")
def planted(planted_ws: Workspace) -> Review:
    return review(planted_ws)  # period: the latest month with contacts


@pytest.fixture(scope="module")
def control(control_ws: Workspace) -> Review:
    return review(control_ws, period="2026-03")


def only(findings: Sequence[Finding], **match: Any) -> Finding:
    found = [f for f in findings if all(getattr(f, k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def complete_weeks(rows: list[dict], last: date) -> dict[date, list[dict]]:
    """Weeks lying wholly between the first day with data and `last`."""
    first = min(r["_arrived"].date() for r in rows)
    return {monday: these for monday, these in rd.by_week(rows).items()
            if monday >= first and monday + timedelta(days=6) <= last}


def xmr_limits(values: Sequence[float]) -> tuple[float, float]:
    centre = sum(values) / len(values)
    mr_bar = sum(abs(b - a) for a, b in pairwise(values)) / (
        len(values) - 1)
    return centre - 2.66 * mr_bar, centre + 2.66 * mr_bar


@pytest.mark.parametrize("variant", ["planted", "control"])
def test_target_findings(request: pytest.FixtureRequest, variant: str) -> None:
    """Targets: abandonment ≤ 0.05; service level ≥ 0.90 (warning 0.85); AHT ≤ 200 s
    (warning 250 s); ASA ≤ 30 s (met). Impact: March's offered contacts × |gap| for
    ratios, × |gap| / target for AHT."""
    result: Review = request.getfixturevalue(variant)
    assert (result.period, result.by, result.grain, result.history) == ("2026-03", [],
                                                                         "week", 26)
    march = rd.in_month(rd.weekly_contacts(variant == "planted"), rd.MAR)
    offered = len(march)
    assert offered == 31 * 3 + 2 * 3  # two busy Mondays in March
    targets = [f for f in result.findings if f.kind != "signal"]
    assert {f.metric for f in targets} == {"abandonment_rate", "service_level", "aht"}
    abandonment = only(targets, metric="abandonment_rate")
    assert abandonment.kind == "missed_target"
    assert abandonment.value == pytest.approx(rd.abandonment_rate(march), abs=TOL)
    assert abandonment.target == 0.05
    assert abandonment.gap == pytest.approx(rd.abandonment_rate(march) - 0.05, abs=TOL)
    assert abandonment.volume == offered
    assert abandonment.impact == pytest.approx(offered * (rd.abandonment_rate(march) - 0.05))
    service = only(targets, metric="service_level")
    level = rd.service_level(march)
    assert service.kind == ("missed_target" if level < 0.85 else "warning")
    assert service.kind == ("missed_target" if variant == "planted" else "warning")
    assert service.value == pytest.approx(level, abs=TOL)
    assert service.volume == offered  # offered contacts, not the service-level denominator
    assert service.impact == pytest.approx(offered * (0.90 - level))
    handle = only(targets, metric="aht")
    assert handle.kind == "warning"
    assert 200 < rd.aht(march) <= 250
    assert handle.value == pytest.approx(rd.aht(march), abs=TOL)
    assert handle.gap == pytest.approx(rd.aht(march) - 200, abs=TOL)
    assert handle.impact == pytest.approx(offered * (rd.aht(march) - 200) / 200)
    assert (handle.unit, handle.family, handle.direction) == ("seconds", "efficiency",
                                                              "lower")
    for finding in targets:
        assert finding.period == "2026-03" and finding.dimensions == {}
        assert finding.signals == [] and finding.chart is None


def test_planted_special_cause(planted: Review) -> None:
    """p-chart of weekly abandonment over the complete weeks (2025-12-15 … 2026-03-23): the
    planted week abandons 14 of 21 contacts, far above the pooled centre."""
    rows = rd.weekly_contacts(planted=True)
    weeks = complete_weeks(rows, rd.DATA_END)
    assert min(weeks) == date(2025, 12, 15) and max(weeks) == date(2026, 3, 23)
    abandoned = {w: sum(r["_abandoned"] for r in these) for w, these in weeks.items()}
    sizes = {w: len(these) for w, these in weeks.items()}
    centre = sum(abandoned.values()) / sum(sizes.values())
    week = rd.PLANTED_WEEK
    value = abandoned[week] / sizes[week]
    assert (abandoned[week], sizes[week]) == (14, 21)
    assert value > centre + 3 * math.sqrt(centre * (1 - centre) / sizes[week])
    signal = only(planted.findings, kind="signal", metric="abandonment_rate",
                  period=datetime(2026, 3, 16).isoformat())
    assert "we1" in signal.signals
    assert signal.chart == "p"
    assert signal.value == pytest.approx(value, abs=TOL)
    assert signal.target == pytest.approx(centre, abs=TOL)  # the centre line
    assert signal.gap == pytest.approx(value - centre, abs=TOL)
    assert signal.volume == 21
    assert signal.impact == pytest.approx(21 * (value - centre))
    # handled contacts drop in that week: an XmR signal on a count, impact relative to
    # the centre
    handled = {w: sum(not r["_abandoned"] for r in these) for w, these in weeks.items()}
    handled_centre = sum(handled.values()) / len(handled)
    count = only(planted.findings, kind="signal", metric="handled",
                 period=datetime(2026, 3, 16).isoformat())
    assert count.chart == "xmr" and "we1" in count.signals
    assert count.target == pytest.approx(handled_centre, abs=TOL)
    assert count.impact == pytest.approx(21 * abs(7 - handled_centre) / handled_centre)
    # every signal lies in the reviewed month
    for finding in planted.findings:
        if finding.kind == "signal":
            assert finding.period.startswith("2026-03"), finding


def test_no_special_cause_in_the_control_variant(control: Review) -> None:
    assert [f for f in control.findings if f.kind == "signal"] == []


def test_ranked_by_impact(planted: Review) -> None:
    impacts = [f.impact for f in planted.findings]
    assert None not in impacts
    assert impacts == sorted(impacts, reverse=True)
    march = rd.in_month(rd.weekly_contacts(planted=True), rd.MAR)
    expected = sorted([
        ("abandonment_rate", 99 * (rd.abandonment_rate(march) - 0.05)),
        ("service_level", 99 * (0.90 - rd.service_level(march))),
        ("aht", 99 * (rd.aht(march) - 200) / 200),
    ], key=lambda pair: -pair[1])
    assert [f.metric for f in planted.findings if f.kind != "signal"] == [
        metric for metric, _ in expected]
    assert planted.findings[0].metric == "abandonment_rate"
    assert planted.findings[0].kind == "missed_target"


def test_partial_weeks_do_not_signal(planted: Review, control: Review) -> None:
    """The weeks of 2025-12-08 (Saturday and Sunday only) and 2026-03-30 (Monday and
    Tuesday, cut by the end of the month) hold 6 contacts: beyond the XmR limits of the
    weekly volume, so they would signal if they were charted."""
    rows = rd.weekly_contacts(planted=False)
    weeks = complete_weeks(rows, rd.DATA_END)
    lower, _ = xmr_limits([len(these) for these in weeks.values()])
    all_weeks = rd.by_week(rows)
    assert len(all_weeks[date(2025, 12, 8)]) == len(all_weeks[date(2026, 3, 30)]) == 6 < lower
    for result in (planted, control):
        assert not [f for f in result.findings if f.period.startswith("2026-03-30")]


def test_a_week_cut_by_the_end_of_the_data_does_not_signal(control_ws: Workspace) -> None:
    """Data up to Wednesday 2026-03-25: the week of 2026-03-23 holds three days only."""
    tables = dict(control_ws.warehouse.tables())
    contacts = tables["contacts"]
    tables["contacts"] = contacts.filter(contacts.local_time < datetime(2026, 3, 26))
    result = review(control_ws, tables, period="2026-03",
                    metrics=("offered", "handled", "abandonment_rate"))
    rows = [r for r in rd.weekly_contacts(planted=False) if r["_arrived"] < datetime(2026, 3, 26)]
    weeks = complete_weeks(rows, date(2026, 3, 25))
    assert max(weeks) == date(2026, 3, 16)
    lower, _ = xmr_limits([len(these) for these in weeks.values()])
    cut = rd.by_week(rows)[date(2026, 3, 23)]
    assert len(cut) == 12 < lower
    assert [f for f in result.findings if f.kind == "signal"] == []
    missed = only(result.findings, metric="abandonment_rate")
    assert missed.volume == len(rd.in_month(rows, rd.MAR))
    assert missed.value == pytest.approx(rd.abandonment_rate(rd.in_month(rows, rd.MAR)))


# ---------------------------------------------------------------- splits (drill operation)

def test_by_program_volume_is_offered_contacts(drill_ws: Workspace) -> None:
    """Telecom's service level misses 0.80 (no target for retail); abandonment misses in
    both programs (telecom 0.15, retail the global 0.10). Occupancy comes from agent
    states, which have no program."""
    result = review(drill_ws, period="2026-03", by=["program"],
                    metrics=("abandonment_rate", "service_level", "occupancy"))
    assert result.by == ["program"]
    assert result.unavailable == ["occupancy"]
    rows = rd.in_month(rd.drill_contacts(), rd.MAR)
    programs = {p: [r for r in rows if r["program"] == p] for p in ("telecom", "retail")}
    targets = [f for f in result.findings if f.kind != "signal"]
    expected = {
        ("abandonment_rate", "telecom"): (rd.abandonment_rate(programs["telecom"]), 0.15),
        ("abandonment_rate", "retail"): (rd.abandonment_rate(programs["retail"]), 0.10),
        ("service_level", "telecom"): (rd.service_level(programs["telecom"]), 0.80),
    }
    assert {(f.metric, f.dimensions["program"]) for f in targets} == set(expected)
    for (metric, program), (value, target) in expected.items():
        finding = only(targets, metric=metric, dimensions={"program": program})
        offered = len(programs[program])
        assert finding.kind == "missed_target"
        assert finding.value == pytest.approx(value, abs=TOL)
        assert finding.target == target
        assert finding.volume == offered
        assert finding.impact == pytest.approx(offered * abs(value - target))
    # service level's own denominator (18) is not what the impact counts
    assert rd.service_level_denominator(programs["telecom"]) == 18
    assert [f.impact for f in result.findings] == sorted(
        (f.impact for f in result.findings), reverse=True)


def test_by_team_falls_back_to_the_metric_volume(drill_ws: Workspace) -> None:
    """Contacts have no team: contact metrics are unavailable (service level too: metrics
    with a target are always reviewed) and occupancy's volume is its own denominator, the
    seconds in handling and available states (red: 3 h + 1 h). Occupancy is a ratio of
    times, not a proportion of counted contacts, so its gap counts relative to the target."""
    result = review(drill_ws, period="2026-03", by=["team"],
                    metrics=("offered", "abandonment_rate", "occupancy"))
    assert result.unavailable == ["abandonment_rate", "offered", "service_level"]
    missed = only(result.findings, metric="occupancy")
    handling, available = rd.AGENT_HOURS["a1"]
    seconds = (handling + available) * 3600
    occupancy = handling / (handling + available)
    assert missed.kind == "missed_target"
    assert missed.dimensions == {"team": "red"}
    assert missed.value == pytest.approx(occupancy, abs=TOL)
    assert missed.volume == seconds
    assert missed.impact == pytest.approx(seconds * (0.85 - occupancy) / 0.85)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"grain": "hour"}, "--grain must be one of day, week, month"),
    ({"history": 2}, "--history must be at least 3 periods"),
    ({"period": "March"}, "period must be YYYY-MM"),
    ({"by": ["colour"]}, "no review metric can be computed this way"),
])
def test_bad_input_is_refused(drill_ws: Workspace, kwargs: dict[str, Any],
                              message: str) -> None:
    with pytest.raises(CxpmError, match=re.escape(message)):
        review(drill_ws, **{"period": "2026-03", **kwargs})


def test_chart_window(planted_ws: Workspace) -> None:
    """Charted days: from the first contact (Saturday 2025-12-13) or the history start if
    later, to the end of the month or the last contact if earlier."""
    contacts = planted_ws.warehouse.tables()["contacts"]
    end = date(2026, 3, 31)
    assert chart_window(contacts, end, "week", 26) == (end - timedelta(days=182),
                                                       rd.DATA_START, end)
    assert chart_window(contacts, end, "day", 10) == (date(2026, 3, 21), date(2026, 3, 21),
                                                      end)
    april = date(2026, 4, 30)
    assert chart_window(contacts, april, "month", 3)[2] == rd.DATA_END
    assert is_complete(date(2025, 12, 15), "week", rd.DATA_START, end)
    assert not is_complete(date(2025, 12, 8), "week", rd.DATA_START, end)
    assert not is_complete(date(2026, 3, 30), "week", rd.DATA_START, end)
    assert is_complete(date(2026, 3, 1), "month", rd.DATA_START, end)
    assert not is_complete(date(2026, 2, 1), "month", date(2026, 2, 2), end)


# ---------------------------------------------------------------- technology governance

def _technology(tech_id: str, verified: bool) -> Any:
    from cxpm.technology.model import (
        EthicsAttestation,
        SecurityReview,
        TechnologyInfo,
        VerificationRecord,
    )

    at = datetime(2026, 1, 5, 9)
    return TechnologyInfo(
        id=tech_id, name=f"Bot {tech_id}", kind="bot", owner=None, purpose=None,
        channels=["chat"], vendor=None, model=None, version="1", agent_id=None,
        live_from=date(2026, 1, 6), status="live",
        ethics=EthicsAttestation(policy_version="1", attested_by="a",
                                 attested_on=date(2026, 1, 1),
                                 next_review_due=date(2027, 1, 1)),
        security_review=SecurityReview(reviewed_on=date(2026, 1, 1), result="pass",
                                       reviewer="s"),
        verifications=[VerificationRecord(
            number=1, verified_on=date(2026, 1, 5), method="test_set", verified_version="1",
            result="pass", verifier="qa", details={}, recorded_at=at)] if verified else [],
        changes=[], created_at=at, updated_at=at)


def test_live_unverified_technology_is_a_finding_after_the_ranked_ones(
        drill_ws: Workspace) -> None:
    result = review(drill_ws, technologies=[_technology("verified", True),
                                            _technology("unverified", False)],
                    today=date(2026, 6, 1))
    kinds = [f.kind for f in result.findings]
    assert kinds.count("technology") == 1
    assert kinds.index("technology") == len(kinds) - 1  # after every ranked finding
    finding = result.findings[-1]
    assert (finding.metric, finding.title, finding.dimensions, finding.signals,
            finding.impact, finding.period) == (
        "technology", "Bot unverified", {"technology": "unverified", "kind": "bot"},
        ["never verified"], None, result.period)
