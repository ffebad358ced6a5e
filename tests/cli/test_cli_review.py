"""`cxpm review` and `cxpm review drill` through the real entry point, on the drill operation
of tests/review/review_data.py: JSON contracts, tables, errors as one line (exit 1)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def _review_data() -> ModuleType:
    """The shared builder, loaded by path: tests/cli is not a package."""
    path = Path(__file__).resolve().parents[1] / "review" / "review_data.py"
    spec = importlib.util.spec_from_file_location("review_cli_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rd = _review_data()


def flat(text: str) -> str:
    """Terminal output with Rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rd.build_drill_workspace(tmp_path_factory.mktemp("review_cli"))


def march(program: str) -> list[dict]:
    return [r for r in rd.in_month(rd.drill_contacts(), rd.MAR) if r["program"] == program]


def test_review_json(cli, ws_path: Path) -> None:
    result = cli("review", "--period", "2026-03", "--by", "program", "--format", "json",
                 "-w", ws_path)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"period", "by", "grain", "history", "findings", "unavailable"}
    assert (data["period"], data["by"], data["grain"], data["history"]) == (
        "2026-03", ["program"], "week", 26)
    assert "occupancy" in data["unavailable"]  # agent states have no program
    keys = {"kind", "metric", "title", "family", "unit", "direction", "dimensions", "period",
            "value", "target", "gap", "volume", "impact", "signals", "chart"}
    assert all(set(f) == keys for f in data["findings"])
    impacts = [f["impact"] for f in data["findings"]]
    assert impacts == sorted(impacts, reverse=True)
    retail = march("retail")
    missed = [f for f in data["findings"] if f["metric"] == "abandonment_rate"
              and f["kind"] == "missed_target" and f["dimensions"] == {"program": "retail"}]
    assert len(missed) == 1
    value = rd.abandonment_rate(retail)  # 4 of 5 against the global 0.10
    assert missed[0]["value"] == pytest.approx(value)
    assert missed[0]["target"] == 0.10
    assert missed[0]["volume"] == len(retail)
    assert missed[0]["impact"] == pytest.approx(len(retail) * (value - 0.10))


def test_review_table(cli, ws_path: Path) -> None:
    result = cli("review", "--period", "2026-03", "--by", "program", "-w", ws_path)
    assert result.exit_code == 0, result.stderr
    out = flat(result.stdout)
    assert "Review 2026-03: 3 findings by impact in contacts" in out
    lines = [flat(line) for line in result.stdout.splitlines() if "│" in line]
    # by impact: telecom service level (20 contacts × |8/18 − 0.80|), retail abandonment
    # (5 × |0.8 − 0.10|), telecom abandonment (20 × |0.25 − 0.15|)
    assert lines == [
        "│ missed │ service_level │ telecom │ 2026-03 │ 44.4% │ 80.0% │ 7.11 │",
        "│ missed │ abandonment_rate │ retail │ 2026-03 │ 80.0% │ 10.0% │ 3.50 │",
        "│ missed │ abandonment_rate │ telecom │ 2026-03 │ 25.0% │ 15.0% │ 2.00 │"]
    assert "Not reviewed" in out and "occupancy" in out


def test_drill_json(cli, ws_path: Path) -> None:
    result = cli("review", "drill", "--metric", "abandonment_rate", "--where",
                 "program=telecom", "--by", "queue", "--period", "2026-03", "--format",
                 "json", "-w", ws_path)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"metric", "unit", "direction", "where", "child", "period",
                         "previous_period", "value", "previous_value", "target", "gap",
                         "change", "children"}
    assert data["where"] == {"program": ["telecom"]} and data["child"] == "queue"
    telecom = march("telecom")
    value = rd.abandonment_rate(telecom)
    assert data["value"] == pytest.approx(value)
    assert data["target"] == 0.15
    assert data["gap"] == pytest.approx(value - 0.15)
    children = {c["child"]: c for c in data["children"]}
    assert set(children) == {"billing", "sales", "priority", "legacy"}
    billing = [r for r in telecom if r["queue"] == "billing"]
    share = len(billing) / len(telecom)
    assert children["billing"]["share"] == pytest.approx(share)
    assert children["billing"]["gap_contribution"] == pytest.approx(
        share * (rd.abandonment_rate(billing) - 0.15))
    assert sum(c["gap_contribution"] for c in data["children"]) == pytest.approx(
        data["gap"], abs=1e-12)
    assert sum(c["mix_effect"] + c["rate_effect"] for c in data["children"]) == pytest.approx(
        data["change"], abs=1e-12)


def test_drill_table(cli, ws_path: Path) -> None:
    result = cli("review", "drill", "--metric", "abandonment_rate", "--where",
                 "program=telecom", "--period", "2026-03", "-w", ws_path)
    assert result.exit_code == 0, result.stderr
    out = flat(result.stdout)
    # telecom March 5 of 20, target 15 %, February 4 of 20
    assert ("abandonment_rate (program=telecom) by queue, 2026-03: 25.0% (target 15.0%, gap "
            "10.0%); 2026-02: 20.0%") in out
    for column in ("queue", "volume", "share", "contribution", "mix effect", "rate effect"):
        assert column in out
    rows = {flat(line).split(" │ ")[0].strip("│ "): flat(line)
            for line in result.stdout.splitlines() if "│" in line and "%" in line}
    # queue, volume, share, value, contribution, mix, rate: worked out in tests/review
    assert rows["billing"] == "│ billing │ 12 │ 60.0% │ 25.0% │ 6.0% │ -1.0% │ 9.0% │"
    assert rows["legacy"] == "│ legacy │ 0 │ 0.0% │ — │ 0.0% │ -6.0% │ 0.0% │"
    assert set(rows) == {"billing", "sales", "priority", "legacy"}


@pytest.mark.parametrize(("args", "message"), [
    (("review", "--period", "2026-03", "--history", "2"), "--history must be at least 3"),
    (("review", "--period", "13-2026"), "period must be YYYY-MM"),
    (("review", "drill", "--metric", "offered", "--period", "2026-03"), "offered is a count"),
    (("review", "drill", "--metric", "abandonment_rate", "--period", "2026-03", "--by",
      "program", "--where", "program=telecom"), "also filtered by --where"),
    (("review", "drill", "--metric", "nope", "--period", "2026-03"), "unknown metric 'nope'"),
    (("review", "drill", "--metric", "abandonment_rate", "--period", "2026-03", "--where",
      "program"), "--where expects KEY=VALUE"),
    (("review", "drill", "--metric", "abandonment_rate", "--period", "2026-03", "--by",
      "team"), "cannot be split or filtered by team"),
])
def test_bad_input(cli, ws_path: Path, args: tuple[str, ...], message: str) -> None:
    result = cli(*args, "-w", ws_path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert flat(result.stderr).startswith("error:")
    assert message in flat(result.stderr)
    assert "Traceback" not in result.stderr


def test_bad_grain_is_a_usage_error(cli, ws_path: Path) -> None:
    result = cli("review", "--grain", "hour", "-w", ws_path)
    assert result.exit_code == 2
    assert "hour" in result.stderr and "Traceback" not in result.stderr
