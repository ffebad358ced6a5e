"""Friction points on the hand-built journeys of friction_data.py; every expected value is
worked out by hand in the comments (handle seconds per contact are listed there)."""

from __future__ import annotations

import pytest

from cxpm.errors import CxpmError
from cxpm.journeys.friction import friction_points
from cxpm.journeys.selection import journey_tables
from cxpm.workspace import Workspace

from . import friction_data as fd

TWO_SURVEYS = {"friction.min_surveys": 2}


@pytest.fixture
def built(workspace: Workspace) -> Workspace:
    fd.build(workspace)
    return workspace


def by_key(points) -> dict:
    return {(p.kind, p.location, *p.by.values()): p for p in points}


def test_each_kind_ranked_with_counts_handle_time_cost_and_csat(built: Workspace) -> None:
    points = friction_points(journey_tables(built.warehouse), params=TWO_SURVEYS)
    assert [(p.rank, p.kind, p.location) for p in points] == [
        # customers 3 (K1 twice: J1 and J6; K2; the unknown customer of J5 counts per journey)
        (1, "escalation", "billing_bot"),
        # customers 2 (K4, K5)
        (2, "repeat_after_resolved", "billing"),
        # customers 1 each: extra contacts 2, then 1 with extra handle time 400, 100, 80
        (3, "channel_switch", "email → voice"),
        (4, "abandon_retry", "billing"),
        (5, "transfer", "billing → tech"),
        (6, "transfer", "billing → billing"),
    ]
    found = by_key(points)

    escalation = found["escalation", "billing_bot"]
    assert (escalation.customers, escalation.journeys, escalation.occurrences) == (3, 4, 4)
    # from the agent segment on: J1 c2; J2 c4, c5; J5 c11; J6 c13
    assert escalation.extra_contacts == 1 + 2 + 1 + 1
    assert escalation.extra_handle_s == 300 + (200 + 100) + 250 + 150
    # 1250 of January costs / 2500 s of January handle time (incl. the outbound call) = 0.5
    assert escalation.cost == pytest.approx(1000 * 0.5)
    assert escalation.unpriced_handle_s == 0
    # with: J1 c2 5, J2 c5 2, J5 c11 4, J6 c12 3, c13 1 -> top two box 2 of 5
    # without (P1): J3 c7 4, J4 c9 2, J7 c16 5, J8 c17 5 -> 3 of 4
    assert (escalation.surveys_with, escalation.surveys_without) == (5, 4)
    assert escalation.csat_with == pytest.approx(2 / 5)
    assert escalation.csat_without == pytest.approx(3 / 4)
    assert escalation.csat_difference == pytest.approx(2 / 5 - 3 / 4)

    repeat = found["repeat_after_resolved", "billing"]
    # J4: resolved c8, then c9, c14 (300 + 100); J7: resolved c15, then c16 (120)
    assert (repeat.customers, repeat.journeys) == (2, 2)
    assert (repeat.extra_contacts, repeat.extra_handle_s) == (3, 520)
    assert repeat.cost == pytest.approx(520 * 0.5)
    # with: c9 2, c16 5 -> 1 of 2; without: c2 5, c5 2, c7 4, c11 4, c12 3, c13 1, c17 5 -> 4/7
    assert repeat.csat_difference == pytest.approx(1 / 2 - 4 / 7)

    switch = found["channel_switch", "email → voice"]
    assert (switch.customers, switch.extra_contacts, switch.extra_handle_s) == (1, 2, 400)
    assert switch.cost == pytest.approx(200)
    # one survey (c9) with the point: fewer than the minimum of 2
    assert switch.surveys_with == 1 and switch.csat_with is None
    assert switch.csat_difference is None

    abandon = found["abandon_retry", "billing"]
    assert (abandon.customers, abandon.extra_contacts, abandon.extra_handle_s) == (1, 1, 400)
    # site S2 has no costs: the retry's 400 s cannot be priced
    assert abandon.cost is None and abandon.unpriced_handle_s == 400

    transfer = found["transfer", "billing → tech"]
    assert (transfer.extra_contacts, transfer.extra_handle_s, transfer.cost) == (1, 100, 50)
    loop = found["transfer", "billing → billing"]
    # February: no costs that month
    assert (loop.extra_contacts, loop.extra_handle_s, loop.cost) == (1, 80, None)
    assert loop.surveys_with == 0 and loop.surveys_without == 9


def test_csat_difference_needs_enough_surveys(built: Workspace) -> None:
    points = friction_points(journey_tables(built.warehouse))  # default minimum: 30
    assert all(p.csat_difference is None for p in points)
    assert by_key(points)["escalation", "billing_bot"].surveys_with == 5


def test_period_selects_journeys_by_start_month(built: Workspace) -> None:
    tables = journey_tables(built.warehouse)
    january = by_key(friction_points(tables, period="2026-01", params=TWO_SURVEYS))
    assert ("transfer", "billing → billing") not in january
    assert len(january) == 5
    # J9 had no surveys, so the baseline of the escalation is unchanged
    assert january["escalation", "billing_bot"].csat_without == pytest.approx(3 / 4)
    february = friction_points(tables, period="2026-02")
    assert [(p.kind, p.location, p.customers, p.extra_handle_s) for p in february] == [
        ("transfer", "billing → billing", 1, 80)]
    assert friction_points(tables, period="2025-12") == []


def test_split_by_the_dimension_of_the_friction_step(built: Workspace) -> None:
    found = by_key(friction_points(journey_tables(built.warehouse), by=["reason"],
                                   period="2026-01"))
    billing = found["escalation", "billing_bot", "billing"]
    # J1, J2, J5: K1, K2 and an unknown customer; after the bot: 1 + 2 + 1 contacts
    assert (billing.customers, billing.extra_contacts, billing.extra_handle_s) == (3, 4, 850)
    assert billing.cost == pytest.approx(425)
    tech = found["escalation", "billing_bot", "tech"]
    assert (tech.customers, tech.extra_contacts, tech.extra_handle_s) == (1, 1, 150)
    sites = by_key(friction_points(journey_tables(built.warehouse), by=["site"]))
    assert ("abandon_retry", "billing", "S2") in sites


def test_no_costs_means_no_cost(workspace: Workspace) -> None:
    fd.build(workspace, costs=False)
    points = friction_points(journey_tables(workspace.warehouse))
    assert points and all(p.cost is None for p in points)
    assert all(p.unpriced_handle_s == p.extra_handle_s for p in points)


def test_empty_journeys_have_no_friction(workspace: Workspace) -> None:
    fd.write_journey_tables(workspace, [], [])
    assert friction_points(journey_tables(workspace.warehouse)) == []


def test_bad_input_is_one_line_error(built: Workspace) -> None:
    tables = journey_tables(built.warehouse)
    with pytest.raises(CxpmError, match="YYYY-MM"):
        friction_points(tables, period="2026-13")
    with pytest.raises(CxpmError, match="cannot be split by team"):
        friction_points(tables, by=["team"])


def test_journeys_not_built_is_one_line_error(workspace: Workspace) -> None:
    with pytest.raises(CxpmError, match="cxpm journeys build"):
        journey_tables(workspace.warehouse)


def test_resolved_on_a_segment_then_a_new_contact_is_a_repeat(workspace: Workspace) -> None:
    # the bot escalates, the agent's segment says resolved, the customer contacts again
    journey = fd.Journey("R1", "K1", "billing", (
        fd.Step("r1", "2026-01-05T10:00", "bot", "chat", "billing_bot", 30),
        fd.Step("r2", "2026-01-05T10:01", "agent", "chat", "billing", 200, parent="r1",
                resolved=True),
        fd.Step("r3", "2026-01-06T10:00", "agent", "voice", "billing", 90),
    ))
    steps = fd.step_rows([journey])
    fd.write_journey_tables(workspace, steps, fd.journey_rows(steps, [journey]))
    found = by_key(friction_points(journey_tables(workspace.warehouse)))
    repeat = found["repeat_after_resolved", "billing"]
    # resolved on the segment r2; the extra contact is the next customer contact r3 (90 s)
    assert (repeat.customers, repeat.extra_contacts, repeat.extra_handle_s) == (1, 1, 90)
    # the escalation led to r2 and everything after it
    escalation = found["escalation", "billing_bot"]
    assert (escalation.extra_contacts, escalation.extra_handle_s) == (2, 290)
    # the switch chat -> voice led to r3 only: r2 belongs to the earlier contact
    assert found["channel_switch", "chat → voice"].extra_contacts == 1
    assert len(found) == 3
