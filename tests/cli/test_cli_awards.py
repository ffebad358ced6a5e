"""`cxpm awards` end to end on the small operation of tests/assess/awards_data.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from cxpm.assess.awards import build_awards
from cxpm.targets.store import list_targets
from cxpm.workspace import open_workspace


def _awards_data() -> ModuleType:
    """The shared builder, loaded by path: tests/cli is not a package."""
    path = Path(__file__).resolve().parents[1] / "assess" / "awards_data.py"
    spec = importlib.util.spec_from_file_location("awards_cli_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def awards_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _awards_data().build_workspace(tmp_path_factory.mktemp("awards_cli"))


def test_json_is_the_library_result(cli, awards_ws: Path) -> None:
    result = cli("awards", "--year", "2026", "--format", "json", "-w", awards_ws)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    ws = open_workspace(awards_ws)
    try:
        expected = build_awards(ws.warehouse.tables(), ws.metric_catalog(), list_targets(ws),
                                year=2026, by="program", params=ws.metric_params())
    finally:
        ws.close()
    assert data == expected.model_dump()
    assert [e["group"] for e in data["superior"]] == ["A", "B", "C"]
    assert data["superior"][2]["status"] == "insufficient data"
    assert [e["group"] for e in data["transformation"]] == ["B", "A", "C"]


def test_param_weight_reorders_and_table_shows_both_rankings(cli, awards_ws: Path) -> None:
    result = cli("awards", "--year", "2026", "--param", "awards.weight.cost=3",
                 "-w", awards_ws)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for title in ("Superior performance 2026 by program", "Transformation 2025 → 2026",
                  "Components"):
        assert title in out
    assert "weights: experience 1, quality 1, cost 3, revenue 1" in out
    assert "C: insufficient data for 2026 — no score for experience" in out
    assert "C: no transformation rank — insufficient data (2026: experience)" in out
    superior = out[out.index("Superior"):out.index("Transformation")]
    assert superior.index("│ B ") < superior.index("│ A ")  # B leads once cost weighs 3
    # The breakdown names each metric with its value, target and attainment.
    assert "cost_per_contact: 3.00 vs target 5.00 → 1.500" in out
    assert "csat: no value" in out


def test_bad_input_is_one_line(cli, awards_ws: Path) -> None:
    result = cli("awards", "--year", "2026", "--param", "awards.weight.cost=-1",
                 "-w", awards_ws)
    assert result.exit_code == 1
    assert "awards.weight.cost" in result.stderr and "Traceback" not in result.stderr
    assert cli("awards", "--year", "2026", "--by", "queue", "-w", awards_ws).exit_code == 2
