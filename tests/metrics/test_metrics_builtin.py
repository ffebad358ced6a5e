"""Every built-in metric on the hand-made operation of metric_helpers, expected values worked
out by hand from its rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from metric_helpers import memtables, values

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import load_catalog
from cxpm.metrics.engine import compute, to_records


@pytest.fixture(scope="module")
def tables():
    return memtables()


# Inbound contacts: c1-c8 and c10-c13 (c9 is outbound) = 12.
# Answered inbound: c1 c2 c3 c6 c7 c8 c10 c11 c12 = 9; abandoned: c4 (3 s), c5 (40 s), c13
# (no ended_at).
# Waits of the answered: 10, 30, 25, 15, 45, 3600, 0, 20, 0 -> 3745 s.
# Handle (talk+hold+wrap): 380, 240, 110, 600, 120, 300, 60, 240, 90 -> 2140 s.
# Talk: 300+200+100+600+120+300+60+240+90 = 2010; hold: 20; wrap: 60+40+10 = 110.
EXPECTED = {
    "offered": 12,
    "handled": 9,
    "abandoned": 3,
    "abandonment_rate": 3 / 12,
    "short_abandoned": 1,  # c4 left after 3 s < 5 s
    # Within T (voice/chat 20 s, email 24 h): c1, c6, c8, c10, c11, c12 = 6.
    # Denominator: 9 handled + abandoned after T: c5 (40 s) and c13 (unknown) = 11.
    "service_level": 6 / 11,
    "asa": 3745 / 9,
    "aht": 2140 / 9,
    "avg_talk": 2010 / 9,
    "avg_hold": 20 / 9,
    "avg_wrap": 110 / 9,
    "transfer_rate": 1 / 9,  # c1
    # Customer-initiated, known customer: c1 c3 c4 c5 c13 c6 c7 c10 c12 = 9.
    # Repeats (same customer and reason within 7 days): c1 -> c3, c5 -> c13 (null reasons).
    "repeat_contact_rate": 2 / 9,
    "first_contact_resolution": 7 / 9,
    # Journey starts: c1, c4, c5 (15 days after c4), c6, c7 (other reason), c10, c12 = 7.
    "contacts_per_journey": 9 / 7,
    # CSAT answers 2, 5, 4, 1: top boxes 5, 4; bottom boxes 2, 1.
    "csat": 2 / 4,
    "dsat": 2 / 4,
    # NPS answers 3, 10, 9, 9, 0: promoters 3, detractors 2 -> (3 - 2) / 5 * 100.
    "nps": 20.0,
    "ces": (5 + 2 + 3 + 7) / 4,
    # Evaluations without calibration: e1-e4.
    "customer_critical_accuracy": 3 / 4,  # e1 has the error
    "business_critical_accuracy": 3 / 4,  # e2
    "compliance_critical_accuracy": 3 / 4,  # e3
    "noncritical_accuracy": (8 + 10 + 4) / (10 + 10 + 5),  # e4 has no opportunities
    "qa_score": (70 + 90 + 80 + 100) / 4,
    "cost_per_contact": 2500 / 9,
    "cost_per_resolved_contact": 2500 / 4,  # resolved: c2, c3, c6, c12
    "bot_containment_rate": 1 / 2,  # bot sessions c10 (escalated), c12
    "escalation_rate": 1 / 2,
    # Customer-initiated (any customer): c1 c3 c4 c5 c6 c7 c8 c10 c12 c13 = 10; bot-only: c12.
    "autonomous_handle_rate": 1 / 10,
    # Handled in both directions: 9 + c9; revenue 50 + 100 + 200.
    "revenue_per_contact": 350 / 10,
    # Handling A1 3600+900, A2 3600; available A1 1800, A2 3600.
    "occupancy": 8100 / 13500,
    # Paid (not offline): A1 1800+3600+900+900+1800 = 9000, A2 3600+3600+900 = 8100.
    "utilization": 8100 / 17100,
    # Not available for contacts: A1 break 900 + training 1800, A2 lunch 900.
    "shrinkage": 3600 / 17100,
    "skills_verified_rate": 3 / 4,
}


def test_catalog_has_exactly_the_required_builtins():
    required = {
        "offered", "handled", "abandoned", "abandonment_rate", "short_abandoned",
        "service_level", "asa", "aht", "avg_talk", "avg_hold", "avg_wrap", "transfer_rate",
        "repeat_contact_rate", "first_contact_resolution", "contacts_per_journey", "csat",
        "dsat", "nps", "ces", "customer_critical_accuracy", "business_critical_accuracy",
        "compliance_critical_accuracy", "noncritical_accuracy", "qa_score", "cost_per_contact",
        "cost_per_resolved_contact", "bot_containment_rate", "escalation_rate",
        "autonomous_handle_rate", "revenue_per_contact", "occupancy", "utilization",
        "shrinkage", "attrition_rate_annualized", "skills_verified_rate"}
    required |= {"forecast_accuracy_volume", "forecast_bias_volume",
                 "intervals_within_tolerance_volume", "days_within_tolerance_volume",
                 "forecast_accuracy_aht", "forecast_bias_aht", "intervals_within_tolerance_aht",
                 "days_within_tolerance_aht"}
    required |= {"schedule_adherence", "conformance", "shrinkage_planned",
                 "shrinkage_unplanned", "schedule_fit", "understaffed_intervals",
                 "overstaffed_intervals", "absenteeism"}
    required |= {"critical_errors", "item_error_rate"}
    required |= {"journey_resolution_rate", "channel_switch_rate", "time_to_resolution",
                 "journey_csat", "cost_per_journey", "bot_resolution_rate"}
    assert set(load_catalog().ids()) == required


@pytest.mark.parametrize("metric_id", sorted(EXPECTED))
def test_builtin_metric_value(tables, metric_id):
    assert values(tables, [metric_id])[metric_id] == pytest.approx(EXPECTED[metric_id])


def test_all_metrics_in_one_call_match_one_by_one(tables):
    together = values(tables, list(EXPECTED))
    assert together == pytest.approx(EXPECTED)


def test_attrition_over_a_quarter(tables):
    # 2024-01-01..2024-03-31 is 91 days. Leavers: A2 (Jan 31), A3 (Mar 1).
    # Days employed: A1 91, A2 30, A3 60 = 181 -> 2 / (181 / 365.25) employee-years.
    got = values(tables, ["attrition_rate_annualized"], start=date(2024, 1, 1),
                 end=date(2024, 3, 31))
    assert got["attrition_rate_annualized"] == pytest.approx(2 * 365.25 / 181)


def test_attrition_by_month_and_site(tables):
    got = values(tables, ["attrition_rate_annualized"], grain="month", by=["site"],
                 start=date(2024, 1, 1), end=date(2024, 3, 31))
    metric = "attrition_rate_annualized"
    # S1 = A1 + A3. Jan: 31 + 31 days, no leaver; Feb: 29 + 29; Mar: A1 31, A3 leaves Mar 1.
    assert got[("S1", "2024-01-01T00:00:00", metric)] == 0
    assert got[("S1", "2024-02-01T00:00:00", metric)] == 0
    assert got[("S1", "2024-03-01T00:00:00", metric)] == pytest.approx(1 / (31 / 365.25))
    # S2 = A2: 30 days in January, leaves Jan 31.
    assert got[("S2", "2024-01-01T00:00:00", metric)] == pytest.approx(1 / (30 / 365.25))
    assert ("S2", "2024-02-01T00:00:00", metric) not in got


def test_attrition_rejects_sub_day_grain(tables):
    with pytest.raises(CxpmError, match="not defined below day"):
        compute(tables, ["attrition_rate_annualized"], grain="hour")


def test_result_contract_and_sort_order(tables):
    result = compute(tables, ["service_level", "offered"], by=["program"], grain="month")
    assert result.column_names == ["program", "period_start", "metric", "value", "numerator",
                                   "denominator"]
    records = to_records(result)
    keys = [(r["program"], r["period_start"], r["metric"]) for r in records]
    assert keys == [
        ("P1", "2024-01-01T00:00:00", "service_level"), ("P1", "2024-01-01T00:00:00", "offered"),
        ("P1", "2024-02-01T00:00:00", "service_level"), ("P1", "2024-02-01T00:00:00", "offered"),
        ("P2", "2024-01-01T00:00:00", "service_level"), ("P2", "2024-01-01T00:00:00", "offered"),
        ("P2", "2024-02-01T00:00:00", "service_level"), ("P2", "2024-02-01T00:00:00", "offered"),
    ]
    p1_jan_offered = records[1]
    # P1 January: c1, c2, c3, c4 offered; a volume has no numerator/denominator.
    assert p1_jan_offered == {"program": "P1", "period_start": "2024-01-01T00:00:00",
                              "metric": "offered", "value": 4.0, "numerator": None,
                              "denominator": None}
    # P2 January: c5 (40 s) and c13 abandoned after T, nothing answered -> 0 / 2.
    assert records[4]["value"] == 0 and records[4]["denominator"] == 2
    assert all(isinstance(r["value"], float) for r in records)


def test_grain_all_has_no_period_column(tables):
    assert "period_start" not in compute(tables, ["offered"]).column_names


def test_null_value_when_denominator_is_zero(tables):
    # Email has no bot sessions.
    got = values(tables, ["bot_containment_rate"], by=["channel"])
    assert got[("email", "bot_containment_rate")] is None
    assert got[("chat", "bot_containment_rate")] == 0.5


def test_revenue_is_missing_where_no_contact_records_any(tables):
    got = values(tables, ["revenue_per_contact"], by=["channel"])
    assert got[("email", "revenue_per_contact")] is None  # c8 records none: no data, not 0
    # Voice handled: c1 (0), c2 (50), c3 (none: counts as 0), c9 (200, outbound).
    assert got[("voice", "revenue_per_contact")] == pytest.approx(250 / 4)


@pytest.mark.parametrize(("grain", "minutes", "expected"), [
    ("week", 30, {"2024-01-01T00:00:00": 4, "2024-01-15T00:00:00": 1,
                  "2024-01-22T00:00:00": 1, "2024-01-29T00:00:00": 3,
                  "2024-02-05T00:00:00": 3}),
    ("quarter", 30, {"2024-01-01T00:00:00": 12}),
    ("year", 30, {"2024-01-01T00:00:00": 12}),
])
def test_period_grains(tables, grain, minutes, expected):
    got = values(tables, ["offered"], grain=grain, interval_minutes=minutes)
    assert {k[0]: v for k, v in got.items()} == expected


def test_interval_and_hour_grains(tables):
    jan1 = {"start": date(2024, 1, 1), "end": date(2024, 1, 1)}
    # c1 09:00:00 and c2 09:06:40 on Jan 1.
    for grain, minutes in (("interval", 15), ("interval", 30), ("interval", 60), ("hour", 30)):
        got = values(tables, ["offered"], grain=grain, interval_minutes=minutes, **jan1)
        assert got == {("2024-01-01T09:00:00", "offered"): 2}
    feb5 = {"start": date(2024, 2, 5), "end": date(2024, 2, 5)}
    # c10 10:00 and c11 10:01 on Feb 5.
    assert values(tables, ["offered"], grain="interval", interval_minutes=15, **feb5) == {
        ("2024-02-05T10:00:00", "offered"): 2}


def test_time_range_is_local_and_inclusive_of_the_end_date(tables):
    # c3 (Jan 3), c4 (Jan 5), c5 (Jan 20 12:00).
    assert values(tables, ["offered"], start=date(2024, 1, 3),
                  end=date(2024, 1, 20))["offered"] == 3
    assert values(tables, ["offered"], start=date(2024, 1, 3),
                  end=datetime(2024, 1, 20, 12))["offered"] == 2


def test_empty_time_range_is_an_error(tables):
    with pytest.raises(CxpmError, match="empty time range"):
        compute(tables, ["offered"], start=date(2024, 2, 1), end=date(2024, 1, 1))


def test_repeat_after_the_range_still_counts(tables):
    # Only c1 is in range; its repeat c3 (Jan 3) is after the range.
    got = values(tables, ["repeat_contact_rate"], start=date(2024, 1, 1), end=date(2024, 1, 1))
    assert got["repeat_contact_rate"] == 1.0


def test_where_filters_or_within_a_dimension(tables):
    # Chat: c6 c7 c10 c11 c12; email: c8.
    assert values(tables, ["offered"], where={"channel": ["chat"]})["offered"] == 5
    assert values(tables, ["offered"], where={"channel": ["chat", "email"]})["offered"] == 6
    assert values(tables, ["offered"], where={"channel": ["chat"], "program": ["P2"]})[
        "offered"] == 2


def test_surveys_get_contact_dimensions(tables):
    got = values(tables, ["csat"], by=["program"])
    # P1: s1 (2), s2 (5); P2: s3 (4); s5 has no contact.
    assert got == {("P1", "csat"): 0.5, ("P2", "csat"): 1.0, (None, "csat"): 0.0}


def test_evaluations_get_team_from_roster_and_site_from_contact(tables):
    by_team = values(tables, ["customer_critical_accuracy"], by=["team"])
    assert by_team == {("T1", "customer_critical_accuracy"): 0.5,
                       ("T2", "customer_critical_accuracy"): 1.0}
    by_site = values(tables, ["customer_critical_accuracy"], by=["site"])
    # Site of the evaluated contact: e1 c1 S1, e2 c3 S2, e3 c6 S1, e4 c7 S1.
    assert by_site == {("S1", "customer_critical_accuracy"): pytest.approx(2 / 3),
                       ("S2", "customer_critical_accuracy"): 1.0}


def test_agent_states_get_site_from_roster(tables):
    got = values(tables, ["occupancy"], by=["site"])
    assert got == {("S1", "occupancy"): pytest.approx(4500 / 6300),
                   ("S2", "occupancy"): pytest.approx(0.5)}


def test_training_by_site(tables):
    got = values(tables, ["skills_verified_rate"], by=["site"])
    assert got == {("S1", "skills_verified_rate"): 1.0, ("S2", "skills_verified_rate"): 0.0,
                   (None, "skills_verified_rate"): 1.0}


def test_cross_table_metric_by_program_and_month(tables):
    result = to_records(compute(tables, ["cost_per_contact"], by=["program"], grain="month"))
    got = {(r["program"], r["period_start"]): r for r in result}
    # P1 January: 1000 + 500 over handled c1 c2 c3; February: 200 over c10 c11 c12.
    assert got[("P1", "2024-01-01T00:00:00")]["value"] == pytest.approx(500)
    assert got[("P1", "2024-02-01T00:00:00")]["value"] == pytest.approx(200 / 3)
    # P2 January: contacts but no cost rows and nothing handled.
    assert got[("P2", "2024-01-01T00:00:00")]["value"] is None
    assert got[("P2", "2024-01-01T00:00:00")]["numerator"] is None
    assert got[("P2", "2024-02-01T00:00:00")]["value"] == pytest.approx(800 / 3)


def test_cross_table_metric_rejects_a_dimension_one_side_lacks(tables):
    with pytest.raises(CxpmError, match=r"cost_per_contact .*channel.*numerator source costs"):
        compute(tables, ["cost_per_contact"], by=["channel"])
    with pytest.raises(CxpmError, match="cost_type"):
        compute(tables, ["cost_per_contact"], where={"cost_type": ["labor"]})


def test_unknown_dimension_grain_metric(tables):
    with pytest.raises(CxpmError, match=r"offered .*colour"):
        compute(tables, ["offered"], by=["colour"])
    with pytest.raises(CxpmError, match="unknown grain"):
        compute(tables, ["offered"], grain="fortnight")
    with pytest.raises(CxpmError, match="interval minutes"):
        compute(tables, ["offered"], grain="interval", interval_minutes=20)
    with pytest.raises(CxpmError, match="did you mean offered"):
        compute(tables, ["ofered"])
    with pytest.raises(CxpmError, match="no metric"):
        compute(tables, [])


def test_missing_table_is_a_clear_error():
    only_contacts = {"contacts": memtables()["contacts"]}
    with pytest.raises(CxpmError, match="table 'costs' is needed"):
        compute(only_contacts, ["cost_per_contact"])


@pytest.mark.parametrize(("override", "expected"), [
    # Voice T = 30 s: c2 (30 s) and c3 (25 s) now count -> 8 / 11.
    ({"service_level.threshold_s_by_channel.voice": 30}, 8 / 11),
    # General T = 50 s (voice and chat have no T of their own; email keeps 24 h): every answer
    # counts (c7 at 45 s too) and c5 (40 s) is no longer a late abandon -> 9 / 10.
    ({"service_level.threshold_s": 50}, 9 / 10),
    # Email T = 1 h - 1 s: c8 (3600 s) is late -> 5 / 11.
    ({"service_level.threshold_s_by_channel.email": 3599}, 5 / 11),
    # Queue Q3 T = 50 s: c7 (45 s) now counts -> 7 / 11.
    ({"service_level.threshold_s_by_queue.Q3": 50}, 7 / 11),
    # Queue beats channel: Q3 at 10 s drops c6 (15 s) and c11 (20 s) -> 4 / 11.
    ({"service_level.threshold_s_by_queue.Q3": 10}, 4 / 11),
    ({"service_level.variant": "offered"}, 6 / 12),
    ({"service_level.variant": "answered"}, 6 / 9),
    # Offered minus the short abandon c4.
    ({"service_level.variant": "offered_minus_short_abandons"}, 6 / 11),
])
def test_service_level_parameters(tables, override, expected):
    assert values(tables, ["service_level"], params=override)["service_level"] == \
        pytest.approx(expected)


def test_service_level_threshold_change_moves_late_abandons(tables):
    # T = 50 s for voice: c5 (40 s) is no longer a late abandon -> 8 (c2, c3 now within
    # 50 s) / (9 + c13).
    got = values(tables, ["service_level"],
                 params={"service_level.threshold_s_by_channel.voice": 50})
    assert got["service_level"] == pytest.approx(8 / 10)


def test_repeat_parameters(tables):
    # Without reason matching c6 -> c7 (1 day) is a repeat too; c7 no longer starts a journey.
    no_reason = {"repeat.match_reason": False}
    assert values(tables, ["repeat_contact_rate"], params=no_reason)[
        "repeat_contact_rate"] == pytest.approx(3 / 9)
    assert values(tables, ["contacts_per_journey"], params=no_reason)[
        "contacts_per_journey"] == pytest.approx(9 / 6)
    # A 20-day window makes c4 -> c5 (15 days) a repeat.
    assert values(tables, ["repeat_contact_rate"], params={"repeat.window_days": 20})[
        "repeat_contact_rate"] == pytest.approx(3 / 9)


def test_survey_and_quality_parameters(tables):
    # Top box 5 only: s2.
    assert values(tables, ["csat"], params={"survey.csat_top_box_min": 5})["csat"] == 0.25
    # Calibration evaluation e5 has a customer-critical error: 3 / 5.
    assert values(tables, ["customer_critical_accuracy"],
                  params={"qa.include_calibration": True})[
        "customer_critical_accuracy"] == pytest.approx(3 / 5)


def test_state_set_parameters(tables):
    # Count breaks as available: occupancy 8100 / (13500 + A1 break 900).
    got = values(tables, ["occupancy"], params={"states.available": ["available", "break"]})
    assert got["occupancy"] == pytest.approx(8100 / 14400)
