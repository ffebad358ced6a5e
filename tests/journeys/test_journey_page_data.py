"""What the journeys web page reads besides flows and friction: the months journeys started
in, and the Sankey as plotly figure JSON (the same figure as the journey map's)."""

from __future__ import annotations

import json

import pytest

from cxpm.errors import CxpmError
from cxpm.journeys.flows import step_flows
from cxpm.journeys.sankey import node_name, sankey_figure_json
from cxpm.journeys.selection import journey_months, journey_tables
from cxpm.workspace import Workspace

from . import friction_data as fd


@pytest.fixture
def tables(workspace: Workspace) -> dict:
    fd.build(workspace)
    return journey_tables(workspace.warehouse)


def test_journey_months_latest_first(tables: dict) -> None:
    # Each journey starts at its first step's arrival (friction_data's local = UTC).
    expected = sorted({min(s.arrived for s in j.steps)[:7] for j in fd.JOURNEYS},
                      reverse=True)
    assert journey_months(tables) == expected
    assert len(expected) > 1


def test_no_journeys_table_says_how_to_build(workspace: Workspace) -> None:
    with pytest.raises(CxpmError, match="cxpm journeys build"):
        journey_tables(workspace.warehouse)


def test_sankey_figure_json_carries_every_flow(tables: dict) -> None:
    flows = step_flows(tables)
    figure = json.loads(sankey_figure_json(flows))
    (trace,) = figure["data"]
    assert trace["type"] == "sankey"
    labels = trace["node"]["label"]
    links = trace["link"]
    drawn = {(labels[s], labels[t]): v for s, t, v in
             zip(links["source"], links["target"], links["value"], strict=True)}
    assert drawn == {(node_name(f.source, f.source_step), node_name(f.target, f.target_step)):
                     f.count for f in flows}
