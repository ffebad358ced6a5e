"""The demo plants two known frictions (cxpm/demo/operation.py) and `journeys friction`
ranks them at the top: telecom's bot escalates billing questions most of the time, and
telecom's front line and tier 2 bounce "no-service" calls back and forth.

Expected counts and shares are computed here from raw/contacts.csv with the csv module
(the `rows` fixture); the demo's journeys were built by build_demo itself."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from cxpm.demo.build import DemoResult
from cxpm.journeys.flows import journey_flows
from cxpm.journeys.friction import FrictionPoint, friction_points
from cxpm.journeys.selection import journey_tables
from cxpm.workspace import open_workspace

# The plant, as documented in cxpm/demo/operation.py.
BOT_QUEUE, FAILING_INTENT = "telecom-bot", "billing-question"
FRONT_LINE, TIER2, LOOP_REASON = "telecom-voice", "telecom-tier2", "no-service"
ARROW = " → "


@pytest.fixture(scope="module")
def points(small_demo: DemoResult) -> list[FrictionPoint]:
    ws = open_workspace(small_demo.workspace)
    try:
        return friction_points(journey_tables(ws.warehouse), by=["reason"],
                               params=ws.metric_params())
    finally:
        ws.close()


@pytest.fixture(scope="module")
def contacts(rows) -> dict[str, dict[str, str]]:
    return {c["contact_id"]: c for c in rows["contacts"]}


def handovers(contacts: dict[str, dict[str, str]]) -> list[tuple[dict, dict]]:
    """(parent, child) for every transfer or escalation segment in the raw file."""
    return [(contacts[c["parent_contact_id"]], c) for c in contacts.values()
            if c["parent_contact_id"]]


def distinct_customers(segments: list[dict[str, str]]) -> int:
    """Customers as friction counts them: known ids once, each unknown customer's contact
    (its own journey) once."""
    known = {c["customer_id"] for c in segments if c["customer_id"]}
    return len(known) + sum(1 for c in segments if not c["customer_id"])


def rounded(records: list[dict]) -> list[dict]:
    return [{k: round(v, 6) if isinstance(v, float) else v for k, v in r.items()}
            for r in records]


def test_the_failing_intent_escalates_most_of_the_time(rows):
    sessions: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for c in rows["contacts"]:
        if c["handled_by"] == "bot":
            sessions[(c["queue"], c["reason"])].append(c["escalated"] == "true")
    share = {key: sum(flags) / len(flags) for key, flags in sessions.items()}
    failing = share.pop((BOT_QUEUE, FAILING_INTENT))
    others = [flag for key, flags in sessions.items() if key != (BOT_QUEUE, FAILING_INTENT)
              for flag in flags]
    assert failing >= 0.75
    assert failing > max(share.values()) + 0.1
    assert sum(others) / len(others) < 0.55


def test_the_failing_intent_is_the_top_escalation(points, contacts):
    escalations = [p for p in points if p.kind == "escalation"]
    top = escalations[0]
    assert (top.location, top.by) == (BOT_QUEUE, {"reason": FAILING_INTENT})
    assert top in points[:3]
    escalated = [parent for parent, child in handovers(contacts)
                 if parent["handled_by"] == "bot" and child["handled_by"] == "agent"
                 and parent["queue"] == BOT_QUEUE and parent["reason"] == FAILING_INTENT]
    assert top.occurrences == len(escalated)
    assert top.customers == distinct_customers(escalated)
    # Clearly ahead of the next escalation, not by a hair.
    assert top.customers > 1.5 * escalations[1].customers


def test_tier2_sends_the_loop_intent_back(contacts):
    bounced = Counter()
    received = Counter()
    for parent, child in handovers(contacts):
        if parent["queue"] == FRONT_LINE and child["queue"] == TIER2:
            received[child["reason"] == LOOP_REASON] += bool(child["answered_at"])
        if parent["queue"] == TIER2 and child["queue"] == FRONT_LINE:
            bounced[parent["reason"] == LOOP_REASON] += 1
    assert bounced[False] == 0  # only the planted intent loops
    assert bounced[True] / received[True] >= 0.45


def test_the_loop_is_the_top_transfer(points, contacts):
    transfers = [p for p in points if p.kind == "transfer"]
    top = transfers[0]
    assert (top.location, top.by) == (FRONT_LINE + ARROW + TIER2, {"reason": LOOP_REASON})
    pairs = handovers(contacts)
    sent = [parent for parent, child in pairs
            if parent["handled_by"] == child["handled_by"] == "agent"
            and parent["queue"] == FRONT_LINE and child["queue"] == TIER2
            and parent["reason"] == LOOP_REASON]
    assert top.occurrences == len(sent)
    assert top.customers == distinct_customers(sent)
    unrelated = [p for p in transfers if p.by != {"reason": LOOP_REASON}]
    assert top.customers > 2 * unrelated[0].customers
    back = next(p for p in transfers if p.location == TIER2 + ARROW + FRONT_LINE
                and p.by == {"reason": LOOP_REASON})
    returned = [child for parent, child in pairs
                if parent["queue"] == TIER2 and child["queue"] == FRONT_LINE]
    assert back.occurrences == len(returned) > 0.3 * len(sent)


def test_the_flows_show_calls_going_back_to_the_front_line(small_demo, contacts):
    ws = open_workspace(small_demo.workspace)
    try:
        flows = journey_flows(journey_tables(ws.warehouse))
    finally:
        ws.close()
    back = {(f.source, f.target): f.count for f in flows}
    returned = sum(1 for parent, child in handovers(contacts)
                   if parent["queue"] == TIER2 and child["queue"] == FRONT_LINE)
    # Every bounced call follows its tier-2 step (customers who call back after tier 2
    # add to the same flow).
    assert back[(f"agent:{TIER2}", f"agent:{FRONT_LINE}")] >= returned > 0
    assert small_demo.journeys == sum(count for (_, target), count in back.items()
                                      if target in ("end", "abandoned"))


def test_the_cli_ranks_the_same_points(cli, small_demo, points):
    result = cli("journeys", "friction", "--workspace", small_demo.workspace, "--format",
                 "json", "--by", "reason", "--top", "200")
    assert result.exit_code == 0, result.stderr
    ranked = result.json()
    # Sums of costs may differ in the last bits between two runs of the same query.
    assert rounded(ranked) == rounded([p.model_dump() for p in points[:200]])
    first = {}
    for point in ranked:
        first.setdefault(point["kind"], point)
    assert (first["escalation"]["location"], first["escalation"]["by"]) == (
        BOT_QUEUE, {"reason": FAILING_INTENT})
    assert first["escalation"]["rank"] <= 3
    assert (first["transfer"]["location"], first["transfer"]["by"]) == (
        FRONT_LINE + ARROW + TIER2, {"reason": LOOP_REASON})
