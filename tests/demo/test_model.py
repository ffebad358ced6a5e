"""The simulation is a model: outcomes follow from staffing, quality, resolution and wait.

Expected relations are computed here from the raw files with plain Python.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from statistics import mean

import pytest

from cxpm.demo import simulate_operation
from cxpm.demo.operation import WORSE_VENDOR

from .handcount import critical_errors, read_evaluations


def ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


def interval_of(moment: datetime) -> datetime:
    return moment.replace(minute=30 if moment.minute >= 30 else 0, second=0)


def test_under_staffed_intervals_serve_worse(rows):
    contacts = [c for c in rows["contacts"] if c["handled_by"] == "agent"
                and c["channel"] == "voice" and not c["queue"].endswith("tier2")]
    queue_of_agent = {c["agent_id"]: c["queue"] for c in contacts if c["agent_id"]}
    offered = defaultdict(list)
    for c in contacts:
        offered[(c["queue"], interval_of(ts(c["arrived_at"])))].append(c)
    # Agent-seconds logged in and not on a break, per queue and half hour.
    staffed = defaultdict(float)
    for s in rows["agent_states"]:
        queue = queue_of_agent.get(s["agent_id"])
        if queue is None or s["state"] not in ("available", "on_contact", "wrap"):
            continue
        start, end = ts(s["started_at"]), ts(s["ended_at"])
        slot = interval_of(start)
        while slot < end:
            overlap = min(end, slot + timedelta(minutes=30)) - max(start, slot)
            staffed[(queue, slot)] += max(overlap.total_seconds(), 0)
            slot += timedelta(minutes=30)
    measured = []
    for key, group in offered.items():
        answered = [c for c in group if c["answered_at"]]
        work = sum(float(c["talk_s"]) + float(c["hold_s"]) + float(c["wrap_s"])
                   for c in answered)
        if len(group) < 4 or work == 0:
            continue
        within = sum((ts(c["answered_at"]) - ts(c["arrived_at"])).total_seconds() <= 20
                     for c in answered)
        measured.append((staffed[key] / work, within / len(group),
                         sum(c["abandoned"] == "true" for c in group) / len(group)))
    measured.sort()
    quarter = len(measured) // 4
    tight, loose = measured[:quarter], measured[-quarter:]
    assert quarter >= 20
    assert mean(m[1] for m in tight) < mean(m[1] for m in loose) - 0.1
    assert mean(m[2] for m in tight) > mean(m[2] for m in loose) + 0.02


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_worse_vendor_makes_more_critical_errors(tmp_path: Path):
    # A month of evaluations: enough per vendor for the difference to stand out.
    files = simulate_operation(tmp_path, days=28, scale=0.35, seed=2)
    vendor_of = {r["agent_id"]: r["vendor"] for r in read(files["roster"][0])}
    errors = defaultdict(list)
    for e in read_evaluations(files["evaluations"][0]):
        if e["agent_id"] in vendor_of and not e.get("calibration_session_id"):
            errors[vendor_of[e["agent_id"]]].append(any(critical_errors(e).values()))
    accuracy = {v: 1 - mean(flags) for v, flags in errors.items()}
    assert len(accuracy) == 3
    others = [a for v, a in accuracy.items() if v != WORSE_VENDOR]
    assert accuracy[WORSE_VENDOR] < min(others) - 0.04


def test_surveys_are_worse_when_unresolved_or_after_a_long_wait(rows):
    contact = {c["contact_id"]: c for c in rows["contacts"]}
    by_resolved = defaultdict(list)
    by_wait = defaultdict(list)
    for s in rows["surveys"]:
        c = contact[s["contact_id"]]
        top2 = int(s["csat"]) >= 4
        by_resolved[c["resolved"]].append(top2)
        wait = (ts(c["answered_at"]) - ts(c["arrived_at"])).total_seconds()
        if c["parent_contact_id"] == "" and c["handled_by"] == "agent" and c["channel"] == "voice":
            by_wait["long" if wait > 120 else "short" if wait < 20 else "mid"].append(top2)
    assert mean(by_resolved["true"]) > mean(by_resolved["false"]) + 0.2
    assert mean(by_wait["short"]) > mean(by_wait["long"]) + 0.05
    assert all(s["contact_id"] in contact for s in rows["surveys"])


def test_transfers_and_escalations_point_at_existing_parents(rows):
    contact = {c["contact_id"]: c for c in rows["contacts"]}
    children = Counter(c["parent_contact_id"] for c in rows["contacts"]
                       if c["parent_contact_id"])
    kinds = Counter()
    for c in rows["contacts"]:
        parent_id = c["parent_contact_id"]
        if not parent_id:
            continue
        parent = contact[parent_id]
        assert c["arrived_at"] >= parent["ended_at"] != ""
        assert c["customer_id"] == parent["customer_id"]
        if parent["handled_by"] == "bot":
            assert parent["escalated"] == "true" and c["handled_by"] == "agent"
            kinds["escalation"] += 1
        else:
            assert parent["transferred"] == "true" and parent["resolved"] == "false"
            kinds["transfer"] += 1
    assert kinds["escalation"] > 50 and kinds["transfer"] > 50
    for c in rows["contacts"]:
        flagged = c["escalated"] == "true" or c["transferred"] == "true"
        assert children[c["contact_id"]] == (1 if flagged else 0), c["contact_id"]


def test_unresolved_customers_come_back_more_often(rows):
    firsts = [c for c in rows["contacts"] if not c["parent_contact_id"] and c["customer_id"]]
    by_customer = defaultdict(list)
    for c in firsts:
        by_customer[c["customer_id"]].append(ts(c["arrived_at"]))
    # Outcome of a customer-initiated contact = its last segment's.
    parent_of = {c["contact_id"]: c["parent_contact_id"] for c in rows["contacts"]}
    last = {c["contact_id"]: c for c in firsts}
    for c in sorted(rows["contacts"], key=lambda c: c["arrived_at"]):
        root = c["contact_id"]
        while parent_of[root]:
            root = parent_of[root]
        if root in last:
            last[root] = c
    came_back = defaultdict(list)
    for c in firsts:
        arrived = ts(c["arrived_at"])
        again = any(arrived < t <= arrived + timedelta(days=7)
                    for t in by_customer[c["customer_id"]])
        came_back[last[c["contact_id"]]["resolved"] == "true"].append(again)
    assert mean(came_back[False]) > mean(came_back[True]) + 0.2
    repeat_rate = mean(came_back[False] + came_back[True])
    assert 0.08 < repeat_rate < 0.35


def test_emails_are_answered_within_hours_not_seconds(rows):
    waits = sorted((ts(c["answered_at"]) - ts(c["arrived_at"])).total_seconds()
                   for c in rows["contacts"] if c["channel"] == "email" and c["answered_at"])
    median = waits[len(waits) // 2]
    assert 600 < median < 24 * 3600


def test_forecasts_are_made_before_the_intervals(rows):
    assert all(f["created_at"] < f["interval_start"] for f in rows["forecasts"])
    assert {f["horizon"] for f in rows["forecasts"]} == {"week-ahead"}


def test_operation_shape(rows):
    contacts = rows["contacts"]
    assert {c["program"] for c in contacts} == {"banking", "telecom", "travel"}
    assert {c["site"] for c in contacts} - {""} == {"Charlotte", "Manila", "Bogota"}
    assert {c["vendor"] for c in contacts} - {""} == {"in-house", "Northstar BPO", "Andes CX"}
    assert {c["channel"] for c in contacts} == {"voice", "chat", "email", "messaging",
                                               "self_service"}
    bots = [c for c in contacts if c["handled_by"] == "bot"]
    assert bots and all(c["agent_id"] and c["answered_at"] for c in bots)
    sales = [c for c in contacts if c["revenue"]]
    assert {c["program"] for c in sales} == {"travel"}
    assert any(float(c["revenue"]) > 0 for c in sales)
    assert {t["subject_type"] for t in rows["training"]} == {"agent", "bot"}
    assert {c["cost_type"] for c in rows["costs"]} == {"labor", "technology", "facilities",
                                                      "vendor_invoice"}


def test_roster_has_hires_and_leavers(tmp_path: Path):
    files = simulate_operation(tmp_path, days=75, scale=0.2, seed=3)
    roster = read(files["roster"][0])
    start = "2026-08-18T04:00:00Z"
    leavers = [r for r in roster if r["terminated_at"]]
    assert any(r["hired_at"] >= start for r in roster)
    assert {r["termination_type"] for r in leavers} <= {"voluntary", "involuntary"}
    assert leavers and all(r["terminated_at"] > r["hired_at"] for r in leavers)
    assert any(r["proficient_at"] for r in roster)


@pytest.mark.parametrize("scale", [0.2, 0.4])
def test_volume_follows_scale(tmp_path: Path, scale: float):
    files = simulate_operation(tmp_path, days=7, scale=scale, seed=5)
    with files["contacts"][0].open() as handle:
        segments = sum(1 for _ in handle) - 1
    # About 3,000 customer contacts per day at scale 1, plus transfer/escalation segments.
    assert 2000 * 7 * scale < segments < 4500 * 7 * scale
