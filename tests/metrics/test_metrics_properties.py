"""Property tests on random operations: groups add up to the total, ratios are
sum(numerator) / sum(denominator), and service metrics equal a plain-Python count."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metric_helpers import memtables

from cxpm.metrics.catalog import load_catalog
from cxpm.metrics.engine import compute, to_records

ADDITIVE = ["offered", "handled", "abandoned", "short_abandoned"]
RATIOS = ["abandonment_rate", "service_level", "asa", "aht", "transfer_rate",
          "repeat_contact_rate", "contacts_per_journey", "autonomous_handle_rate"]
START = datetime(2024, 1, 1)
THRESHOLD = {"voice": 20, "chat": 20, "email": 86400}


@st.composite
def contact(draw, index: int) -> dict:
    arrived = START + timedelta(seconds=draw(st.integers(0, 60 * 86400)))
    channel = draw(st.sampled_from(["voice", "chat", "email"]))
    outcome = draw(st.sampled_from(["answered", "abandoned", "open"]))
    wait = draw(st.integers(0, 120))
    row = {
        "contact_id": f"c{index}",
        "arrived_at": arrived,
        "channel": channel,
        "program": draw(st.sampled_from(["P1", "P2", None])),
        "site": draw(st.sampled_from(["S1", "S2"])),
        "customer_id": draw(st.sampled_from(["K1", "K2", "K3", None])),
        "reason": draw(st.sampled_from(["a", "b", None])),
        "direction": draw(st.sampled_from(["inbound", "inbound", "outbound", None])),
        "handled_by": draw(st.sampled_from(["agent", "bot"])),
        "parent_contact_id": draw(st.sampled_from([None, None, "c0"])),
        "abandoned": outcome == "abandoned",
        "transferred": draw(st.booleans()),
    }
    if outcome == "answered":
        row["answered_at"] = arrived + timedelta(seconds=wait)
        row["talk_s"] = float(draw(st.integers(0, 900)))
        row["hold_s"] = draw(st.sampled_from([None, 0.0, 30.0]))
    elif outcome == "abandoned" and draw(st.booleans()):
        row["ended_at"] = arrived + timedelta(seconds=wait)
    return row


@st.composite
def operation(draw) -> list[dict]:
    size = draw(st.integers(1, 40))
    return [draw(contact(i)) for i in range(size)]


def _by_metric(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["metric"], []).append(r)
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation(), st.sampled_from([["program"], ["program", "channel"], ["site"]]),
       st.sampled_from(["all", "day", "month"]))
def test_groups_add_up_to_the_total(rows, by, grain):
    tables = memtables({"contacts": rows})
    ids = ADDITIVE + RATIOS
    total = {r["metric"]: r for r in to_records(compute(tables, ids))}
    groups = _by_metric(to_records(compute(tables, ids, by=by, grain=grain)))
    for metric in ADDITIVE:
        assert sum(r["value"] for r in groups.get(metric, [])) == pytest.approx(
            total[metric]["value"])
    for metric in RATIOS:
        numerator = sum(r["numerator"] for r in groups.get(metric, []))
        denominator = sum(r["denominator"] for r in groups.get(metric, []))
        assert numerator == pytest.approx(total[metric]["numerator"])
        assert denominator == pytest.approx(total[metric]["denominator"])
        expected = numerator / denominator if denominator else None
        assert total[metric]["value"] == pytest.approx(expected)
        for r in groups.get(metric, []):
            assert r["value"] == (pytest.approx(r["numerator"] / r["denominator"])
                                  if r["denominator"] else None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation())
def test_service_metrics_equal_plain_python(rows):
    got = {r["metric"]: r for r in to_records(compute(
        memtables({"contacts": rows}), ["offered", "handled", "service_level", "asa"]))}
    inbound = [r for r in rows if r["direction"] != "outbound"]
    answered = [r for r in inbound if r.get("answered_at")]
    waits = [(r["answered_at"] - r["arrived_at"]).total_seconds() for r in answered]
    within = sum(w <= THRESHOLD[r["channel"]] for r, w in zip(answered, waits, strict=True))
    late_abandons = sum(
        1 for r in inbound if r["abandoned"] and not r.get("answered_at") and (
            r.get("ended_at") is None
            or (r["ended_at"] - r["arrived_at"]).total_seconds() > THRESHOLD[r["channel"]]))
    assert got["offered"]["value"] == len(inbound)
    assert got["handled"]["value"] == len(answered)
    assert got["service_level"]["numerator"] == within
    assert got["service_level"]["denominator"] == len(answered) + late_abandons
    assert got["asa"]["value"] == (pytest.approx(sum(waits) / len(waits)) if waits else None)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation())
def test_repeats_equal_plain_python(rows):
    got = {r["metric"]: r for r in to_records(compute(
        memtables({"contacts": rows}), ["repeat_contact_rate", "contacts_per_journey"]))}
    initiated = [r for r in rows if r["direction"] != "outbound"
                 and r["parent_contact_id"] is None and r["customer_id"] is not None]
    window = timedelta(days=7)
    repeats = journeys = 0
    for row in initiated:
        same = [o for o in initiated if o is not row and o["customer_id"] == row["customer_id"]
                and o["reason"] == row["reason"]]
        later = [o for o in same if (o["arrived_at"], o["contact_id"]) > (
            row["arrived_at"], row["contact_id"])]
        earlier = [o for o in same if (o["arrived_at"], o["contact_id"]) < (
            row["arrived_at"], row["contact_id"])]
        nxt = min((o["arrived_at"] for o in later), default=None)
        prev = max((o["arrived_at"] for o in earlier), default=None)
        repeats += nxt is not None and nxt - row["arrived_at"] <= window
        journeys += prev is None or row["arrived_at"] - prev > window
    assert got["repeat_contact_rate"]["numerator"] == repeats
    assert got["repeat_contact_rate"]["denominator"] == len(initiated)
    assert got["contacts_per_journey"]["denominator"] == journeys


def test_every_builtin_ratio_is_reported_with_its_parts():
    # Guards the property tests' assumption about which metrics are ratios.
    catalog = load_catalog()
    assert all(catalog.get(m).is_ratio for m in RATIOS)
    assert not any(catalog.get(m).is_ratio for m in ADDITIVE)
