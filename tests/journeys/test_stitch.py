"""Stitching and materialisation on hand-built contacts; expected journeys worked out by hand
in the comments (window 7 days, reason matching on unless said)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import pytest

from cxpm.errors import CxpmError
from cxpm.journeys.build import build_in_warehouse, build_journeys
from cxpm.journeys.stitch import StitchParams, stitch_steps, summarise_journeys
from cxpm.journeys.tables import JOURNEYS_COLUMNS, STEPS_COLUMNS
from cxpm.schema import TABLES
from cxpm.warehouse import ibis_schema
from cxpm.workspace import Workspace

from .conftest import at, contact, load, scenario_contacts, scenario_surveys, sqlite_insert


def journeys(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {r["journey_id"]: r for r in ws.warehouse.table("journeys").to_pyarrow().to_pylist()}


def steps(ws: Workspace) -> dict[str, dict[str, Any]]:
    rows = ws.warehouse.table("journey_steps").to_pyarrow().to_pylist()
    return {r["contact_id"]: r for r in rows}


def snapshot(ws: Workspace) -> tuple[list, list]:
    """Both tables without built_at, in a stable order."""
    out = []
    for name in ("journeys", "journey_steps"):
        rows = ws.warehouse.table(name).drop("built_at").to_pyarrow().to_pylist()
        out.append(sorted(rows, key=lambda r: (r["journey_id"], r.get("step") or 0)))
    return out[0], out[1]


@pytest.fixture
def scenario(workspace: Workspace) -> Workspace:
    load(workspace, "contacts", scenario_contacts())
    load(workspace, "surveys", scenario_surveys())
    summary = build_journeys(workspace)
    assert summary.mode == "full" and summary.why_full == "first build"
    return workspace


def test_scenario_journeys(scenario: Workspace) -> None:
    found = journeys(scenario)
    # x1 is outbound and x2 its transfer: no journey; every other root is one.
    assert set(found) == {"a1", "n1", "t1", "u1", "u2", "o1", "b1", "s1"}
    a1 = found["a1"]
    # bot a1 -> a2 (escalation) -> a3 (transfer), then chat a4 two days later.
    assert (a1["contacts"], a1["segments"], a1["channels"]) == (2, 4, 2)
    assert (a1["first_channel"], a1["last_channel"], a1["handled_by"], a1["queue"]) == (
        "voice", "chat", "bot", "BOT")
    assert (a1["bot_steps"], a1["agent_steps"], a1["escalations"], a1["transfers"],
            a1["abandoned_steps"]) == (1, 3, 1, 1, 0)
    assert a1["handle_s"] == 400.0
    assert a1["started_at"] == at(0)
    assert a1["ended_at"] == at(2) + timedelta(seconds=110)
    assert a1["resolved"] is True and a1["unknown_customer"] is False
    # null reasons match each other: n1 and n2 (two days apart) are one journey.
    assert (found["n1"]["contacts"], found["n1"]["reason"]) == (2, None)
    assert found["n1"]["channels"] == 2
    assert found["t1"]["contacts"] == 1
    # unknown customers: one journey per customer-initiated contact, segments included.
    assert found["u1"]["unknown_customer"] and found["u2"]["unknown_customer"]
    assert (found["u1"]["contacts"], found["u1"]["segments"]) == (1, 2)
    assert found["u2"]["segments"] == 1
    # orphan segment kept as its own journey without an outcome.
    o1 = found["o1"]
    assert (o1["orphan"], o1["contacts"], o1["segments"], o1["resolved"]) == (
        True, 0, 1, None)
    # b1 abandoned, b2 answered with disposition resolved = false.
    assert (found["b1"]["contacts"], found["b1"]["abandoned_steps"]) == (2, 1)
    assert found["b1"]["resolved"] is False and found["b1"]["program"] == "P1"
    # s1: disposition resolved but the survey says not resolved.
    assert found["s1"]["resolved"] is False and found["s1"]["site"] == "S2"


def test_scenario_steps(scenario: Workspace) -> None:
    found = steps(scenario)
    assert len(found) == 14
    assert "x1" not in found and "x2" not in found
    chain = [found[c] for c in ("a1", "a2", "a3", "a4")]
    assert [s["step"] for s in chain] == [1, 2, 3, 4]
    assert {s["journey_id"] for s in chain} == {"a1"}
    assert [s["root_contact_id"] for s in chain] == ["a1", "a1", "a1", "a4"]
    assert [s["customer_initiated"] for s in chain] == [True, False, False, True]
    assert found["u3"]["journey_id"] == "u1" and found["o1"]["orphan"] is True
    assert set(STEPS_COLUMNS) == set(found["a1"])
    assert set(JOURNEYS_COLUMNS) == set(journeys(scenario)["a1"])


@pytest.mark.parametrize(("gap", "together"), [
    (timedelta(days=7), True),
    (timedelta(days=7) - timedelta(hours=1), True),
    (timedelta(days=7) + timedelta(hours=1), False),
])
def test_window_edges(workspace: Workspace, gap: timedelta, together: bool) -> None:
    load(workspace, "contacts", [contact("w1", at(0), channel="chat"),
                                 contact("w2", at(0) + gap)])
    build_journeys(workspace)
    found = steps(workspace)
    assert found["w2"]["journey_id"] == ("w1" if together else "w2")
    assert len(journeys(workspace)) == (1 if together else 2)


def test_reason_matching_off_and_param_change(scenario: Workspace) -> None:
    summary = build_in_warehouse(scenario.warehouse, StitchParams(7, False))
    assert summary.mode == "full" and "changed" in (summary.why_full or "")
    # K1's a1 (day 0), n1, t1 (day 1), a4 (day 2), n2 (day 3): one journey without reasons.
    found = journeys(scenario)
    assert found["a1"]["contacts"] == 5
    assert "n1" not in found and "t1" not in found
    assert build_in_warehouse(scenario.warehouse, StitchParams(7, False)).mode == "unchanged"


def test_incremental_equals_full(scenario: Workspace) -> None:
    load(scenario, "contacts", [contact("e1", at(0), customer="K5"),
                                contact("e2", at(10), customer="K5"),
                                contact("o2", at(4), customer="K7", parent="late")])
    assert build_journeys(scenario).mode == "incremental"
    assert {"e1", "e2", "o2"} <= set(journeys(scenario))
    # e3 lands between e1 and e2 (5 days each side): the two journeys merge. "late" is o2's
    # missing parent; u4 is a new segment of an unknown customer's journey; K6 is new.
    load(scenario, "contacts", [contact("e3", at(5), customer="K5"),
                                contact("late", at(3, hours=23), customer="K7"),
                                contact("u4", at(1, minutes=30), customer=None, parent="u1"),
                                contact("f1", at(2), customer="K6")])
    summary = build_journeys(scenario)
    assert summary.mode == "incremental"
    assert summary.customers_rebuilt == 3  # K5, K6, K7
    found = journeys(scenario)
    assert found["e1"]["contacts"] == 3 and "e2" not in found
    assert "o2" not in found and found["late"]["segments"] == 2
    assert found["u1"]["segments"] == 3 and "f1" in found
    incremental = snapshot(scenario)
    load(scenario, "surveys", [{"survey_id": "v9", "contact_id": "e2",
                                "responded_at": at(11), "resolved_reported": False}])
    assert build_journeys(scenario).mode == "incremental"
    assert journeys(scenario)["e1"]["resolved"] is False
    after_survey = snapshot(scenario)
    assert build_journeys(scenario, full=True).mode == "full"
    assert snapshot(scenario) == after_survey
    assert incremental != after_survey


def test_nothing_new_is_unchanged(scenario: Workspace) -> None:
    summary = build_journeys(scenario)
    assert (summary.mode, summary.journeys, summary.steps) == ("unchanged", 8, 14)


def test_parent_cycle_is_a_clear_error(workspace: Workspace) -> None:
    load(workspace, "contacts", [contact("y1", at(0), parent="y2"),
                                 contact("y2", at(0, minutes=1), parent="y1")])
    with pytest.raises(CxpmError, match=r"cycle.*y1, y2"):
        build_journeys(workspace)


def test_sqlite_backend_stitches_the_same(scenario: Workspace) -> None:
    """The library path on SQLite: steps from the expressions, journeys from stored steps."""
    con = ibis.sqlite.connect()
    for name, rows in (("contacts", scenario_contacts()), ("surveys", scenario_surveys())):
        table = TABLES[name]
        sqlite_insert(con, name, ibis_schema(table),
                      [{**row, "local_time": row[table.time_column]} for row in rows])
    contacts = con.table("contacts")
    found = con.to_pyarrow(stitch_steps(contacts, contacts, StitchParams(7, True)))
    schema = ibis.schema({k: v for k, v in STEPS_COLUMNS.items() if k != "built_at"})
    sqlite_insert(con, "steps", schema, found.to_pylist())
    summary = con.to_pyarrow(summarise_journeys(con.table("steps"), con.table("surveys")))
    duck_journeys, duck_steps = snapshot(scenario)
    lite_steps = sorted(found.to_pylist(), key=lambda r: (r["journey_id"], r["step"]))
    assert lite_steps == duck_steps
    lite = sorted(summary.to_pylist(), key=lambda r: r["journey_id"])
    assert [{k: r[k] for k in lite[0]} for r in duck_journeys] == lite


def test_cli_build(scenario: Workspace, cli) -> None:
    load(scenario, "contacts", [contact("g1", at(9), customer="K8")])
    result = cli("journeys", "build", "--format", "json", "-w", scenario.path)
    assert result.exit_code == 0, result.stderr
    summary = result.json()
    assert (summary["mode"], summary["journeys"], summary["customers_rebuilt"]) == (
        "incremental", 9, 1)
    result = cli("journeys", "build", "--full", "-w", scenario.path)
    assert result.exit_code == 0 and "full rebuild: asked for" in result.stdout
