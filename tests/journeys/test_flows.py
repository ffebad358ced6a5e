"""Flows between journey steps and the journey map page, on friction_data.py's journeys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.journeys.flows import StepFlow, journey_flows, step_flows
from cxpm.journeys.sankey import largest_connected, node_name, sankey_data, write_journey_map
from cxpm.journeys.selection import journey_tables
from cxpm.workspace import Workspace

from . import friction_data as fd

BOT, BILLING, TECH, LOST = "bot:billing_bot", "agent:billing", "agent:tech", "unknown:billing"


@pytest.fixture
def tables(workspace: Workspace) -> dict:
    fd.build(workspace)
    return journey_tables(workspace.warehouse)


def test_flows_count_consecutive_steps_and_outcomes(tables: dict) -> None:
    counts = {(f.source, f.target): f.count for f in journey_flows(tables)}
    assert counts == {
        (BOT, BILLING): 3,          # J1, J2, J5
        (BOT, TECH): 1,             # J6
        (BOT, "end"): 1,            # J8
        (BILLING, TECH): 1,         # J2
        (BILLING, BILLING): 4,      # J4 twice, J7, J9
        (BILLING, "end"): 6,        # J1, J3, J4, J5, J7, J9
        (TECH, "end"): 2,           # J2, J6
        (LOST, BILLING): 1,         # J3: abandoned (no handler), then answered
        (LOST, "abandoned"): 1,     # J10
    }
    # every step flows somewhere exactly once
    assert sum(counts.values()) == sum(len(j.steps) for j in fd.JOURNEYS)
    february = journey_flows(tables, period="2026-02")
    assert [(f.source, f.target, f.count) for f in february] == [
        (BILLING, BILLING, 1), (BILLING, "end", 1)]


def test_step_flows_split_loops_by_position(tables: dict) -> None:
    flows = {(f.source, f.source_step, f.target, f.target_step): f.count
             for f in step_flows(tables)}
    # agent:billing -> agent:billing: J7, J9 and J4 at steps 1 -> 2, J4 again at 2 -> 3
    assert flows[BILLING, 1, BILLING, 2] == 3
    assert flows[BILLING, 2, BILLING, 3] == 1
    assert flows[BILLING, 3, "end", None] == 1
    assert sum(flows.values()) == 20
    data = sankey_data(step_flows(tables))
    links = list(zip(data["sources"], data["targets"], strict=True))
    assert all(source != target for source, target in links)
    names = data["nodes"]
    assert node_name(BILLING, 2) == "agent:billing (2)" and "end" in names
    # acyclic: every link goes one step further, or to an outcome
    for source, target in links:
        step = re.search(r"\((\d+)\)$", names[source])
        following = re.search(r"\((\d+)\)$", names[target])
        assert step and (following is None or int(following[1]) == int(step[1]) + 1)


def test_map_is_a_self_contained_page(tables: dict, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    result = write_journey_map(tables, path, top_flows=5)
    page = path.read_text(encoding="utf-8")
    assert result["flows_shown"] == 5 and result["journeys"] == 10
    assert re.search(r"<script[^>]*\bsrc=", page) is None
    assert re.search(r"<link[^>]*https?:", page) is None
    assert "Plotly.newPlot" in page and '"type":"sankey"' in page
    assert "<h2>Top friction points</h2>" in page
    assert "bot → agent escalation" in page and "billing_bot" in page
    # the largest flow is drawn; the page names the step positions
    assert "agent:billing (2)" in page


def test_map_checks_its_output_before_computing(tmp_path: Path) -> None:
    # no tables at all: the missing folder is reported first
    with pytest.raises(CxpmError, match="does not exist"):
        write_journey_map({}, tmp_path / "nowhere" / "map.html")


def test_map_draws_the_largest_flows_that_connect_to_a_first_step() -> None:
    def flow(source: str, step: int, target: str, count: int) -> StepFlow:
        outcome = target in ("end", "abandoned")
        return StepFlow(source=source, source_step=step, target=target,
                        target_step=None if outcome else step + 1, count=count)

    flows = [flow("B", 2, "end", 30), flow("A", 1, "B", 10), flow("C", 1, "B", 10),
             flow("D", 1, "B", 10), flow("X", 3, "end", 20), flow("Y", 2, "X", 20),
             flow("Z", 1, "Y", 20)]
    # the two largest (B (2) -> end, X (3) -> end) have no way in yet: Z (1) -> Y (2) is the
    # largest flow from a first step, then Y (2) -> X (3) continues it
    assert [(f.source, f.target) for f in largest_connected(flows, 2)] == [("Z", "Y"),
                                                                          ("Y", "X")]
    assert [(f.source, f.target) for f in largest_connected(flows, 4)] == [
        ("Z", "Y"), ("Y", "X"), ("X", "end"), ("A", "B")]
