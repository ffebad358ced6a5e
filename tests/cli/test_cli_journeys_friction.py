"""`cxpm journeys friction | flows | map | export-eventlog` through the real entry point, on
the hand-built journeys of tests/journeys/friction_data.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from cxpm.workspace import init_workspace


def _friction_data() -> ModuleType:
    """The shared builder, loaded by path: tests/cli is not a package."""
    path = Path(__file__).resolve().parents[1] / "journeys" / "friction_data.py"
    spec = importlib.util.spec_from_file_location("friction_cli_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fd = _friction_data()


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("journeys_cli") / "ws"
    ws = init_workspace(path, "UTC")
    fd.build(ws)
    ws.close()
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


def test_friction_json_and_table(cli, ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli("journeys", "friction", "-w", ws_path, "--format", "json", "--top", "2",
                 "--param", "friction.min_surveys=2")
    assert result.exit_code == 0, result.stderr
    first, second = result.json()
    # escalations at billing_bot: K1, K2 and one unknown customer; 5 steps after the bots;
    # CSAT top-two share 2/5 with, 3/4 without
    assert (first["rank"], first["kind"], first["location"]) == (1, "escalation", "billing_bot")
    assert (first["customers"], first["extra_contacts"], first["cost"]) == (3, 5, 500)
    assert first["csat_difference"] == pytest.approx(2 / 5 - 3 / 4)
    assert (second["kind"], second["customers"]) == ("repeat_after_resolved", 2)

    monkeypatch.setenv("COLUMNS", "160")  # the table fits, no cell wraps
    table = cli("journeys", "friction", "-w", ws_path, "--by", "reason", "--period", "2026-01")
    assert table.exit_code == 0, table.stderr
    text = flat(table.stdout)
    assert "friction points" in text and "reason" in text
    # the escalation of J6 split off by its reason: rank 5, one customer, 150 s = 0.04 h
    assert "│ 5 │ escalation │ billing_bot │ tech │ 1 │ 1 │ 1 │ 0.04 │ 75.0 │ — │" in text


def test_flows_json(cli, ws_path: Path) -> None:
    result = cli("journeys", "flows", "-w", ws_path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    flows = result.json()
    assert set(flows[0]) == {"source", "target", "count"}
    # the largest flow: six journeys end after an agent:billing step (J1, J3, J4, J5, J7, J9)
    assert flows[0] == {"source": "agent:billing", "target": "end", "count": 6}
    assert sum(f["count"] for f in flows) == sum(len(j.steps) for j in fd.JOURNEYS)


def test_map_writes_page(cli, ws_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    result = cli("journeys", "map", "-w", ws_path, "--output", out, "--top", "3")
    assert result.exit_code == 0, result.stderr
    assert "3 of 12 flows" in flat(result.stdout)
    assert "Plotly.newPlot" in out.read_text(encoding="utf-8")
    missing = cli("journeys", "map", "-w", ws_path, "--output", tmp_path / "no" / "m.html")
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_export_eventlog(cli, ws_path: Path, tmp_path: Path) -> None:
    xes = cli("journeys", "export-eventlog", "-w", ws_path, "--output", tmp_path / "log.xes")
    assert xes.exit_code == 0, xes.stderr
    assert "20 events in 10 cases" in flat(xes.stdout)
    assert (tmp_path / "log.xes").read_text(encoding="utf-8").startswith("<?xml")
    csv = cli("journeys", "export-eventlog", "-w", ws_path, "--output", tmp_path / "log.txt",
              "--format", "csv", "--period", "2026-02")
    assert csv.exit_code == 0, csv.stderr
    lines = (tmp_path / "log.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("case:concept:name,concept:name,time:timestamp,org:resource")
    assert len(lines) == 1 + 2  # J9's two steps
    bad = cli("journeys", "export-eventlog", "-w", ws_path, "--output", tmp_path / "log.json")
    assert bad.exit_code == 1 and ".csv or .xes" in bad.stderr


def test_errors_are_one_line(cli, ws_path: Path, tmp_path: Path) -> None:
    bad_period = cli("journeys", "friction", "-w", ws_path, "--period", "January")
    assert bad_period.exit_code == 1 and "YYYY-MM" in bad_period.stderr
    empty = tmp_path / "empty"
    init_workspace(empty, "UTC").close()
    not_built = cli("journeys", "flows", "-w", empty)
    assert not_built.exit_code == 1 and "cxpm journeys build" in not_built.stderr


def test_handoffs_json_and_errors(cli, ws_path: Path) -> None:
    result = cli("journeys", "handoffs", "-w", ws_path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["dimensions"]["queue"]: r for r in result.json()}
    # billing: hand-offs c2, c4, c11 (300, 200, 250 s) against 7 direct contacts (1320 s)
    assert rows["billing"]["handoffs"] == 3
    assert rows["billing"]["effect_s"] == pytest.approx(250 - 1320 / 7)
    bad = cli("journeys", "handoffs", "-w", ws_path, "--by", "agent_id")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: cannot split hand-offs")
