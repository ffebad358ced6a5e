"""The customer_contacts metrics equal the materialised journeys; the journey metrics on
hand-built journeys (values worked out in the comments) and their freshness checks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cxpm.demo.build import build_demo
from cxpm.errors import CxpmError
from cxpm.journeys.build import build_journeys
from cxpm.metrics.engine import compute, to_records
from cxpm.workspace import Workspace

from .conftest import at, contact, load, scenario_contacts, scenario_surveys

RESOLUTION = ["repeat_contact_rate", "first_contact_resolution", "contacts_per_journey"]
BY = ["program", "channel"]


def engine_values(ws: Workspace, ids: Sequence[str], **kwargs: Any) -> dict[tuple, Any]:
    by = list(kwargs.get("by", ()))
    records = to_records(compute(ws.warehouse.tables(), ids, params=ws.metric_params(),
                                 **kwargs))
    keys = [*by, *(["period_start"] if kwargs.get("grain", "all") != "all" else [])]
    return {(*(r[k] for k in keys), r["metric"]): r["value"] for r in records}


def from_steps(ws: Workspace) -> dict[tuple, float | None]:
    """The three resolution metrics by program, channel and month, recomputed in Python from
    journey_steps: a customer-initiated contact of a known customer is a repeat when a later
    customer-initiated contact is in its journey; a journey starts at its own id."""
    rows = ws.warehouse.table("journey_steps").to_pyarrow().to_pylist()
    last_ci: dict[str, int] = {}
    for r in rows:
        if r["customer_initiated"]:
            last_ci[r["journey_id"]] = max(last_ci.get(r["journey_id"], 0), r["step"])
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        if not r["customer_initiated"] or r["customer_id"] is None:
            continue
        month = datetime(r["local_time"].year, r["local_time"].month, 1).isoformat()
        counts = groups[(r["program"], r["channel"], month)]
        counts[0] += 1
        counts[1] += r["step"] < last_ci[r["journey_id"]]
        counts[2] += r["contact_id"] == r["journey_id"]
    out: dict[tuple, float | None] = {}
    for key, (contacts, repeats, starts) in groups.items():
        out[(*key, "repeat_contact_rate")] = repeats / contacts
        out[(*key, "first_contact_resolution")] = 1 - repeats / contacts
        out[(*key, "contacts_per_journey")] = contacts / starts if starts else None
    return out


def assert_resolution_metrics_match(ws: Workspace) -> None:
    engine = engine_values(ws, RESOLUTION, by=BY, grain="month")
    expected = from_steps(ws)
    assert engine.keys() == expected.keys()
    for key, value in expected.items():
        assert engine[key] == pytest.approx(value), key


@pytest.fixture
def scenario(workspace: Workspace) -> Workspace:
    load(workspace, "contacts", scenario_contacts())
    load(workspace, "surveys", scenario_surveys())
    load(workspace, "costs", [{"period_start": at(-3), "period_end": at(28), "program": "P1",
                               "site": "S1", "vendor": "V1", "cost_type": "labor",
                               "amount": 700.0, "currency": "EUR"}])
    build_journeys(workspace)
    return workspace


def test_resolution_metrics_equal_journeys(scenario: Workspace) -> None:
    assert_resolution_metrics_match(scenario)
    # Known customers' customer-initiated contacts: a1 a4 n1 n2 t1 b1 b2 s1 = 8, in journeys
    # a1 (2), n1 (2), t1, b1 (2), s1 = 5; repeats: a1, n1, b1 = 3.
    overall = engine_values(scenario, RESOLUTION)
    assert overall[("repeat_contact_rate",)] == pytest.approx(3 / 8)
    assert overall[("contacts_per_journey",)] == pytest.approx(8 / 5)


def test_journey_metrics_by_hand(scenario: Workspace) -> None:
    found = engine_values(scenario, ["journey_resolution_rate", "channel_switch_rate",
                                     "time_to_resolution", "journey_csat"])
    # Outcomes known for 7 journeys (o1 is an orphan): b1 (disposition) and s1 (survey) fail.
    assert found[("journey_resolution_rate",)] == pytest.approx(5 / 7)
    # a1 (voice, chat) and n1 (voice, email) switch channels.
    assert found[("channel_switch_rate",)] == pytest.approx(2 / 7)
    # Resolved: a1 and n1 last 2 days + 110 s; t1 and u2 110 s; u1 until u3 ends, 410 s.
    assert found[("time_to_resolution",)] == pytest.approx((2 * 172_910 + 110 + 410 + 110) / 5)
    # Latest CSAT per journey: s1 -> 2, a1 -> 5 (v3 after v2), n1 -> 4 (v5 has no CSAT).
    assert found[("journey_csat",)] == pytest.approx(2 / 3)


def test_cost_per_journey_shares_costs_like_cost_per_contact(scenario: Workspace) -> None:
    found = engine_values(scenario, ["cost_per_journey"], by=["program", "site", "vendor"],
                          grain="month")
    march = "2024-03-01T00:00:00"
    # P1/S1/V1 started a1, n1, t1, u1, u2 and b1 in March (o1, an orphan, is left out).
    assert found[("P1", "S1", "V1", march, "cost_per_journey")] == pytest.approx(700 / 6)
    # s1 started at site S2, which has no cost rows: no cost, not a cost of 0.
    assert found[("P1", "S2", "V1", march, "cost_per_journey")] is None


def test_stale_or_missing_journeys_are_refused(workspace: Workspace) -> None:
    load(workspace, "contacts", [contact("a", at(0))])
    with pytest.raises(CxpmError, match="missing: run cxpm journeys build"):
        engine_values(workspace, ["channel_switch_rate"])
    build_journeys(workspace)
    assert engine_values(workspace, ["channel_switch_rate"]) == {("channel_switch_rate",): 0}
    with pytest.raises(CxpmError, match=r"changed.*run cxpm journeys build"):
        compute(workspace.warehouse.tables(), ["channel_switch_rate"],
                params={**workspace.metric_params(), "repeat.window_days": 3})
    load(workspace, "contacts", [contact("b", at(1))])
    with pytest.raises(CxpmError, match=r"1 batch.*run cxpm journeys build"):
        engine_values(workspace, ["journey_csat"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws, _ = build_demo(tmp_path_factory.mktemp("journeys-demo") / "ws", days=14, scale=0.25,
                       seed=11)
    ws.close()
    return ws.path


def test_demo_resolution_metrics_equal_journeys(demo: Path) -> None:
    ws = Workspace(demo)
    try:
        build_journeys(ws)
        assert_resolution_metrics_match(ws)
        contacts = {r["contact_id"]: r for r in ws.warehouse.table("contacts").select(
            "contact_id", "parent_contact_id", "direction").to_pyarrow().to_pylist()}

        def root(contact_id: str) -> dict[str, Any]:
            row = contacts[contact_id]
            while row["parent_contact_id"] in contacts:
                row = contacts[row["parent_contact_id"]]
            return row

        # Every contact is in a journey unless its root is outbound.
        expected = {c for c in contacts if root(c)["direction"] != "outbound"}
        steps = ws.warehouse.table("journey_steps").to_pyarrow().to_pylist()
        assert sorted(s["contact_id"] for s in steps) == sorted(expected)
        journeys = ws.warehouse.table("journeys").to_pyarrow().to_pylist()
        # The demo has repeats and transfers/escalations, so the comparison means something.
        assert any(j["contacts"] > 1 for j in journeys)
        assert any(j["segments"] > j["contacts"] for j in journeys)
    finally:
        ws.close()
