"""End to end: a small demo through the CLI, then the CLI's metrics equal the library's."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from cxpm.metrics.engine import compute, to_records
from cxpm.workspace import open_workspace

METRICS = ["offered", "service_level", "aht", "csat", "occupancy", "cost_per_contact"]


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cxpm.demo.build import build_demo

    path = tmp_path_factory.mktemp("demo") / "ws"
    ws, result = build_demo(path, days=21, scale=0.2, seed=3)
    ws.close()
    assert all(s.quarantined == 0 for s in result.summaries), result.summaries
    return path


def test_demo_command_prints_scorecard_and_next_steps(cli, tmp_path: Path) -> None:
    result = cli("demo", "--workspace", tmp_path / "d", "--days", "10", "--scale", "0.1",
                 "--no-serve")
    assert result.exit_code == 0, result.stderr
    assert "Scorecard" in result.stdout
    assert "Service level" in result.stdout or "service_level" in result.stdout
    assert "Next steps" in result.stdout
    # Evaluations are scored through cxpm qa, and the next steps lead to their reports.
    text = " ".join(result.stdout.split())  # the console wraps long lines
    assert "Quality: forms voice@1, digital@1, bot@1" in text
    assert "evaluations scored item by item" in text
    folder = tmp_path / "d"
    assert f"cxpm qa report --workspace {folder} --by site" in text
    assert f"cxpm qa calibration report CAL-2026-10 --workspace {folder}" in text
    # The journeys are built, so friction and the map work right away.
    assert "Journeys: " in text and " built from " in text
    assert f"cxpm journeys friction --workspace {folder} --by reason" in text
    friction = cli("journeys", "friction", "--workspace", folder, "--format", "json")
    assert friction.exit_code == 0, friction.stderr
    assert friction.json()
    # Running it again re-creates the demo workspace instead of failing.
    assert cli("demo", "--workspace", tmp_path / "d", "--days", "5", "--scale", "0.1",
               "--no-serve").exit_code == 0


def test_demo_refuses_a_folder_that_is_not_a_demo(cli, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = cli("demo", "--workspace", tmp_path / "mine", "--no-serve")
    assert result.exit_code == 1
    assert "not a demo workspace" in result.stderr
    assert (tmp_path / "mine" / "notes.txt").exists()


def test_metrics_json_equals_library_call(cli, demo_workspace: Path) -> None:
    args = ["metrics", "compute", "--workspace", demo_workspace, "--by", "site",
            "--grain", "day"]
    for metric in METRICS:
        args += ["--metric", metric]
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    ws = open_workspace(demo_workspace)
    expected = to_records(compute(ws.warehouse.tables(), METRICS, by=["site"], grain="day",
                                  params=ws.metric_params()))
    ws.close()
    assert result.json() == expected
    assert expected, "the demo produced no metrics"
    for record in expected:
        assert set(record) == {"site", "period_start", "metric", "value", "numerator",
                               "denominator"}
        assert len(record["period_start"]) == 19  # local ISO 8601, no offset
        if record["metric"] == "offered":
            assert record["numerator"] is None and record["denominator"] is None
        elif record["denominator"] == 0:
            assert record["value"] is None
        elif record["value"] is not None:
            assert record["value"] == pytest.approx(record["numerator"]
                                                    / record["denominator"])


def test_grain_all_omits_period_and_files_match_json(cli, demo_workspace: Path,
                                                      tmp_path: Path) -> None:
    base = ["metrics", "compute", "--workspace", demo_workspace, "--by", "program",
            "--metric", "service_level", "--metric", "abandonment_rate"]
    records = cli(*base, "--format", "json").json()
    assert records and all("period_start" not in r for r in records)
    assert cli(*base, "--format", "csv", "--output", tmp_path / "m.csv").exit_code == 0
    assert cli(*base, "--format", "parquet", "--output", tmp_path / "m.parquet").exit_code == 0
    from_csv = pacsv.read_csv(tmp_path / "m.csv").to_pylist()
    from_parquet = pq.read_table(tmp_path / "m.parquet").to_pylist()
    for rows in (from_csv, from_parquet):
        assert [(r["program"], r["metric"]) for r in rows] == [
            (r["program"], r["metric"]) for r in records]
        assert [r["value"] for r in rows] == pytest.approx([r["value"] for r in records])


def test_param_override_changes_service_level(cli, demo_workspace: Path) -> None:
    base = ["metrics", "compute", "--workspace", demo_workspace, "--metric", "service_level",
            "--where", "channel=voice", "--format", "json"]
    default = cli(*base).json()[0]["value"]
    lenient = cli(*base, "--param", "service_level.threshold_s=600").json()[0]["value"]
    assert lenient > default


def test_scorecard_json_and_table(cli, demo_workspace: Path) -> None:
    result = cli("scorecard", "--workspace", demo_workspace, "--by", "program",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    card = result.json()
    assert card["by"] == ["program"]
    programs = {row["dimensions"]["program"] for row in card["rows"]}
    assert len(programs) == 3
    assert {row["family"] for row in card["rows"]} >= {"service", "quality", "experience"}
    table = cli("scorecard", "--workspace", demo_workspace)
    assert table.exit_code == 0 and "Scorecard" in table.stdout


def test_metrics_explain_and_list(cli, demo_workspace: Path) -> None:
    listed = cli("metrics", "list", "--workspace", demo_workspace, "--format", "json").json()
    assert {m["id"] for m in listed} >= set(METRICS)
    explained = cli("metrics", "explain", "service_level", "--workspace", demo_workspace,
                    "--format", "json").json()
    assert explained["id"] == "service_level"
    assert "SELECT" in explained["sql"].upper()
    unknown = cli("metrics", "explain", "service_levle", "--workspace", demo_workspace)
    assert unknown.exit_code == 1 and "service_level" in unknown.stderr


def test_wfm_intraday_through_the_real_entry_point(cli, demo_workspace: Path) -> None:
    result = cli("wfm", "intraday", "--date", "2026-10-28", "--workspace", demo_workspace,
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert rows, "no intervals"
    assert all(row["interval_start"].startswith("2026-10-28") for row in rows)
    assert sum(row["actual_volume"] for row in rows) > 0
    missing = cli("wfm", "intraday", "--date", "1999-01-01", "--workspace", demo_workspace)
    assert missing.exit_code == 1 and missing.stderr.startswith("error: ")


def test_scorecard_and_output_errors_are_clear(cli, demo_workspace: Path) -> None:
    for args, message in (
        (("scorecard", "--by", "nope"), "no scorecard metric can be computed"),
        (("scorecard", "--period", "2020-01"), "no data for 2020-01"),
        (("metrics", "compute", "--format", "csv", "--output", "/nonexistent/m.csv"),
         "folder /nonexistent does not exist"),
    ):
        result = cli(*args, "--workspace", demo_workspace)
        assert result.exit_code == 1, args
        assert message in result.stderr, (args, result.stderr)


def test_json_never_prints_nan() -> None:
    import json

    from cxpm.cli.common import dumps

    assert json.loads(dumps([{"value": float("nan"), "n": float("inf"), "ok": 1.5}])) == [
        {"value": None, "n": None, "ok": 1.5}]


def test_demo_ends_by_serving_with_its_logins(cli, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    result = cli("demo", "--workspace", tmp_path / "d", "--days", "3", "--scale", "0.05",
                 "--port", "8765")
    assert result.exit_code == 0, result.stderr
    assert (served["host"], served["port"]) == ("127.0.0.1", 8765)
    login_file = (tmp_path / "d" / "demo-login.txt").read_text()
    password = login_file.split("password ")[1].split()[0]
    assert f"demo (admin): password {password}" in result.stdout
    assert "vendor (vendor, vendor=Northstar BPO)" in " ".join(result.stdout.split())
    # The logins work against the served app.
    from fastapi.testclient import TestClient

    client = TestClient(served["app"])
    token = client.post("/api/auth/token", json={"username": "vendor", "password": password})
    assert token.status_code == 200
    me = client.get("/api/me", headers={
        "Authorization": f"Bearer {token.json()['access_token']}"}).json()
    assert me["role"] == "vendor"
