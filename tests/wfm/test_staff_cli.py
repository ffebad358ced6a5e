"""`cxpm staff`: the single-interval JSON contract, CSV intervals and stored forecasts."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cxpm.cli import staff_cmd
from cxpm.schema import get_table
from cxpm.warehouse import arrow_schema
from cxpm.workspace import init_workspace

CONTRACT_KEYS = {"model", "agents", "scheduled_agents", "service_level", "asa", "occupancy",
                 "p_wait", "p_abandon"}


@pytest.fixture
def staff_cli(cli):
    """`cxpm staff` through the real entry point."""
    return lambda *args: cli("staff", *args)


def test_published_example_json_contract(staff_cli) -> None:
    result = staff_cli("--volume", 100, "--interval-minutes", 30, "--aht", 180,
                       "--sl-target", 0.8, "--sl-seconds", 20, "--shrinkage", 0.3,
                       "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == CONTRACT_KEYS
    assert data["model"] == "erlang-c" and data["agents"] == 14
    assert data["scheduled_agents"] == 20
    assert data["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert data["asa"] == pytest.approx(7.84, abs=5e-3)
    assert data["occupancy"] == pytest.approx(0.7143, abs=5e-5)
    assert data["p_wait"] == pytest.approx(0.1741, abs=5e-5)
    assert data["p_abandon"] is None


def test_given_agents_are_evaluated(staff_cli) -> None:
    data = staff_cli("--volume", 100, "--interval-minutes", 30, "--aht", 180, "--agents", 13,
                     "--format", "json").json()
    assert data["agents"] == 13
    assert data["service_level"] == pytest.approx(0.7956, abs=5e-5)


def test_occupancy_bound_example(staff_cli) -> None:
    data = staff_cli("--volume", 1000, "--interval-minutes", 60, "--aht", 120,
                     "--max-occupancy", 0.85, "--sl-target", 0.8, "--format", "json").json()
    assert data["agents"] == 40 and data["occupancy"] <= 0.85


def test_erlang_a_published_example(staff_cli) -> None:
    data = staff_cli("--volume", 100, "--interval-minutes", 30, "--aht", 180, "--model",
                     "erlang-a", "--patience", 300, "--agents", 14, "--format", "json").json()
    assert data["model"] == "erlang-a"
    assert data["p_wait"] == pytest.approx(0.14526, abs=5e-6)
    assert data["p_abandon"] == pytest.approx(0.013984, abs=5e-7)
    assert data["occupancy"] == pytest.approx(0.704297, abs=5e-7)
    fewest = staff_cli("--volume", 100, "--interval-minutes", 30, "--aht", 180, "--model",
                       "erlang-a", "--patience", 300, "--max-abandon", 0.01, "--format",
                       "json").json()
    assert fewest["agents"] == 15 and fewest["p_abandon"] <= 0.01


def test_table_format_shows_the_figures(staff_cli) -> None:
    result = staff_cli("--volume", 100, "--interval-minutes", 30, "--aht", 180)
    assert result.exit_code == 0
    assert "scheduled_agents" in result.stdout and "14" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--sl-target", 1.5), "sl-target"),
    (("--max-occupancy", 0), "max-occupancy"),
    (("--model", "erlang-a"), "patience"),
    (("--max-abandon", 0.05), "erlang-a"),
    (("--shrinkage", 1), "shrinkage"),
    (("--concurrency", 0), "concurrency"),
])
def test_bad_input_is_one_line_error(staff_cli, args: tuple, message: str) -> None:
    result = staff_cli("--volume", 100, "--interval-minutes", 30, "--aht", 180, *args)
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_no_mode_is_an_error(staff_cli) -> None:
    result = staff_cli("--sl-target", 0.8)
    assert result.exit_code == 1 and "--input" in result.stderr


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_input_csv_staffs_every_row(staff_cli, tmp_path: Path) -> None:
    rows = [
        {"interval_start": "2024-03-04 09:00", "volume": 100, "interval_minutes": 30,
         "aht_s": 180},
        {"interval_start": "2024-03-04 09:30", "volume": 1000, "interval_minutes": 60,
         "aht_s": 120},
        {"interval_start": "2024-03-04 10:30", "volume": 25, "interval_minutes": 10,
         "aht_s": 180},
        {"interval_start": "2024-03-04 10:40", "volume": 100, "interval_minutes": 30,
         "aht_s": 240},
        {"interval_start": "2024-03-04 11:10", "volume": 0, "interval_minutes": 30,
         "aht_s": 240},
    ]
    source = write_csv(tmp_path / "intervals.csv", rows)
    result = staff_cli("--input", source, "--max-occupancy", 0.85, "--sl-target", 0.8,
                       "--shrinkage", 0.3)
    assert result.exit_code == 0, result.stderr
    out = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["interval_start"] for r in out] == [r["interval_start"] for r in rows]
    assert [float(r["agents"]) for r in out] == [14, 40, 11, 17, 0]
    assert float(out[0]["scheduled_agents"]) == 20
    assert out[0]["p_abandon"] == ""

    target = tmp_path / "staffed.csv"
    assert staff_cli("--input", source, "--output", target).exit_code == 0
    assert len(list(csv.DictReader(target.open()))) == len(rows)


def test_input_csv_without_interval_length_is_an_error(staff_cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "bad.csv", [{"volume": 10, "aht_s": 200}])
    result = staff_cli("--input", source)
    assert result.exit_code == 1 and "interval" in result.stderr
    fixed = staff_cli("--input", source, "--interval-minutes", 15)
    assert fixed.exit_code == 0


def test_input_csv_missing_columns(staff_cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "bad.csv", [{"calls": 10, "interval_minutes": 30}])
    result = staff_cli("--input", source)
    assert result.exit_code == 1 and "volume" in result.stderr


def seed_forecasts(path: Path) -> tuple[Any, pa.Table]:
    ws = init_workspace(path, "UTC")
    start = datetime(2024, 3, 4, 9, 0)
    rows: dict[str, list[Any]] = {name: [] for name in arrow_schema(get_table("forecasts")).names}
    for queue, volume, aht in (("billing", 100.0, 180.0), ("sales", 100.0, 240.0)):
        for k in range(3):
            moment = start + timedelta(minutes=30 * k)
            for name, value in (("queue", queue), ("interval_start", moment),
                                ("interval_s", 1800.0), ("volume", volume), ("aht_s", aht),
                                ("required_agents", None),
                                ("created_at", datetime(2024, 3, 1)), ("horizon", "week-ahead"),
                                ("local_time", moment), ("source", "test"),
                                ("batch_id", "b1")):
                rows[name].append(value)
    table = pa.table(rows, schema=arrow_schema(get_table("forecasts")))
    ws.warehouse.con.insert("forecasts", table)
    return ws, table


def test_forecast_mode_writes_required_agents_back(staff_cli, tmp_path: Path) -> None:
    ws, before = seed_forecasts(tmp_path / "ws")
    ws.close()
    result = staff_cli("--forecast", "--queue", "billing", "--from", "2024-03-04T09:30",
                       "--format", "json", "--workspace", tmp_path / "ws")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["intervals"] == 2
    assert data["queues"][0]["queue"] == "billing" and data["queues"][0]["peak_agents"] == 14

    from cxpm.workspace import open_workspace
    ws = open_workspace(tmp_path / "ws")
    after = ws.warehouse.table("forecasts").order_by(["queue", "interval_start"]).to_pyarrow()
    ws.close()
    assert after.num_rows == before.num_rows
    assert after["required_agents"].to_pylist() == [None, 14.0, 14.0, None, None, None]
    for column in ("local_time", "source", "batch_id", "volume", "created_at"):
        assert after[column].to_pylist() == before[column].to_pylist()

    everything = staff_cli("--forecast", "--format", "json", "--workspace", tmp_path / "ws")
    assert everything.json()["intervals"] == 6
    ws = open_workspace(tmp_path / "ws")
    after = ws.warehouse.table("forecasts").order_by(["queue", "interval_start"]).to_pyarrow()
    ws.close()
    assert after["required_agents"].to_pylist() == [14.0] * 3 + [17.0] * 3


def test_forecast_mode_with_nothing_stored(staff_cli, tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws", "UTC").close()
    result = staff_cli("--forecast", "--workspace", tmp_path / "ws")
    assert result.exit_code == 1 and "forecast" in result.stderr


def test_forecast_mode_erlang_a_estimates_patience_per_queue(staff_cli, tmp_path: Path
                                                             ) -> None:
    from cxpm.wfm.staffing import Model, Targets, required_agents
    from cxpm.workspace import open_workspace

    ws, _ = seed_forecasts(tmp_path / "ws")
    schema = arrow_schema(get_table("contacts"))
    arrived = datetime(2024, 2, 26, 9, 0)
    waits = {"billing": [(40, True), (80, False), (0, False), (120, True)],
             "sales": [(30, True), (10, False)]}
    rows = []
    for queue, cases in waits.items():
        for i, (wait, abandoned) in enumerate(cases):
            left = arrived + timedelta(seconds=wait)
            rows.append({"contact_id": f"{queue}{i}", "queue": queue, "handled_by": "agent",
                         "direction": "inbound", "arrived_at": arrived,
                         "answered_at": None if abandoned else left, "ended_at": left,
                         "abandoned": abandoned, "local_time": arrived})
    ws.warehouse.con.insert("contacts", pa.Table.from_pylist(rows, schema=schema))
    ws.close()
    result = staff_cli("--forecast", "--model", "erlang-a", "--max-abandon", 0.02,
                       "--format", "json", "--workspace", tmp_path / "ws")
    assert result.exit_code == 0, result.stderr
    patience = {"billing": (40 + 80 + 0 + 120) / 2, "sales": (30 + 10) / 1}
    targets = Targets(sl_target=None, max_abandon=0.02)
    expected = {"billing": required_agents(100, 1800, 180, targets, model=Model.erlang_a,
                                           patience=patience["billing"]),
                "sales": required_agents(100, 1800, 240, targets, model=Model.erlang_a,
                                         patience=patience["sales"])}
    ws = open_workspace(tmp_path / "ws")
    after = ws.warehouse.table("forecasts").order_by(["queue", "interval_start"]).to_pyarrow()
    ws.close()
    assert after["required_agents"].to_pylist() == (
        [float(expected["billing"])] * 3 + [float(expected["sales"])] * 3)


def seed_snapshots(path: Path, snapshots: list[tuple[datetime, str, float, int]]) -> None:
    """One billing forecast per (created_at, horizon, volume, first interval index): 30-minute
    intervals from 09:00 + index, three each, so later runs overlap earlier ones."""
    ws = init_workspace(path, "UTC")
    schema = arrow_schema(get_table("forecasts"))
    rows = []
    for created, horizon, volume, first in snapshots:
        for k in range(first, first + 3):
            moment = datetime(2024, 3, 4, 9, 0) + timedelta(minutes=30 * k)
            rows.append({"queue": "billing", "interval_start": moment, "interval_s": 1800.0,
                         "volume": volume, "aht_s": 180.0, "created_at": created,
                         "horizon": horizon, "local_time": moment, "source": "test",
                         "batch_id": "b1"})
    ws.warehouse.con.insert("forecasts", pa.Table.from_pylist(rows, schema=schema))
    ws.close()


def test_overlapping_snapshots_are_counted_once_from_the_latest(staff_cli, tmp_path: Path
                                                                ) -> None:
    from cxpm.wfm.staffing import Targets, required_agents
    from cxpm.workspace import open_workspace

    # Run 1 (volume 100) covers intervals 0-2; run 2 (volume 200) covers 1-3, made later.
    seed_snapshots(tmp_path / "ws", [(datetime(2024, 3, 1), "2-day", 100.0, 0),
                                     (datetime(2024, 3, 2), "2-day", 200.0, 1)])
    target = tmp_path / "staffed.csv"
    result = staff_cli("--forecast", "--format", "json", "--output", target,
                       "--workspace", tmp_path / "ws")
    assert result.exit_code == 0, result.stderr
    targets = Targets(sl_target=0.8, sl_seconds=20)
    small = float(required_agents(100, 1800, 180, targets))
    large = float(required_agents(200, 1800, 180, targets))
    summary = result.json()["queues"][0]
    # Interval 0 from run 1, intervals 1-3 from run 2: four intervals, not six.
    assert result.json()["intervals"] == 4 and summary["intervals"] == 4
    assert summary["agent_hours"] == pytest.approx((small + 3 * large) * 0.5)
    written = list(csv.DictReader(target.open()))
    assert [float(r["volume"]) for r in written] == [100.0, 200.0, 200.0, 200.0]
    # Every snapshot still gets its own required agents in the warehouse.
    ws = open_workspace(tmp_path / "ws")
    after = ws.warehouse.table("forecasts").order_by(["created_at", "interval_start"]
                                                     ).to_pyarrow()
    ws.close()
    assert after["required_agents"].to_pylist() == [small] * 3 + [large] * 3


def test_horizon_restricts_forecast_staffing(staff_cli, tmp_path: Path) -> None:
    from cxpm.wfm.staffing import Targets, required_agents
    from cxpm.workspace import open_workspace

    seed_snapshots(tmp_path / "ws", [(datetime(2024, 3, 1), "week-ahead", 100.0, 0),
                                     (datetime(2024, 3, 2), "2-day", 200.0, 0)])
    result = staff_cli("--forecast", "--horizon", "week-ahead", "--format", "json",
                       "--workspace", tmp_path / "ws")
    assert result.exit_code == 0, result.stderr
    small = float(required_agents(100, 1800, 180, Targets(sl_target=0.8, sl_seconds=20)))
    summary = result.json()["queues"][0]
    assert summary["intervals"] == 3 and summary["peak_agents"] == small
    ws = open_workspace(tmp_path / "ws")
    after = ws.warehouse.table("forecasts").order_by(["created_at", "interval_start"]
                                                     ).to_pyarrow()
    ws.close()
    assert after["required_agents"].to_pylist() == [small] * 3 + [None] * 3
    missing = staff_cli("--forecast", "--horizon", "month-ahead", "--workspace",
                        tmp_path / "ws")
    assert missing.exit_code == 1 and "--horizon" in missing.stderr


def test_input_csv_honours_json_format(staff_cli, tmp_path: Path) -> None:
    rows = [{"interval_start": "2024-03-04 09:00", "volume": 100, "interval_minutes": 30,
             "aht_s": 180},
            {"interval_start": "2024-03-04 09:30", "volume": 0, "interval_minutes": 30,
             "aht_s": 180}]
    source = write_csv(tmp_path / "intervals.csv", rows)
    result = staff_cli("--input", source, "--format", "json", "--shrinkage", 0.3)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, list) and len(data) == 2
    assert data[0]["interval_start"] == "2024-03-04 09:00" and data[0]["agents"] == 14
    assert data[0]["p_abandon"] is None and data[1]["agents"] == 0
    # The default stays CSV, so existing pipelines keep working.
    plain = staff_cli("--input", source, "--shrinkage", 0.3)
    assert plain.stdout.splitlines()[0].startswith('"interval_start"')
    # No contacts: 0 scheduled agents, written "0" (not the "-0" that ceil(-1e-9) gives).
    assert [r["scheduled_agents"] for r in csv.DictReader(io.StringIO(plain.stdout))] == [
        "20", "0"]


def test_output_into_missing_folder_is_one_line_error(staff_cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "intervals.csv",
                       [{"volume": 100, "interval_minutes": 30, "aht_s": 180}])
    result = staff_cli("--input", source, "--output", tmp_path / "nowhere" / "out.csv")
    assert result.exit_code == 1
    assert "nowhere" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "nowhere").exists()
    written = staff_cli("--input", source, "--output", tmp_path / "out.csv")
    assert written.exit_code == 0 and (tmp_path / "out.csv").is_file()
    # Written through a temporary file that is renamed into place: none is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["intervals.csv", "out.csv"]


def test_forecast_output_failure_leaves_warehouse_unchanged(staff_cli, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    from cxpm.workspace import open_workspace

    seed_forecasts(tmp_path / "ws")[0].close()
    missing = staff_cli("--forecast", "--output", tmp_path / "nowhere" / "out.csv",
                        "--workspace", tmp_path / "ws")
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1

    def failing_write(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staff_cmd.pacsv, "write_csv", failing_write)
    full = staff_cli("--forecast", "--output", tmp_path / "out.csv",
                     "--workspace", tmp_path / "ws")
    assert full.exit_code == 1 and "No space left" in full.stderr
    assert not (tmp_path / "out.csv").exists()
    ws = open_workspace(tmp_path / "ws")
    stored = ws.warehouse.table("forecasts").to_pyarrow()
    ws.close()
    assert stored["required_agents"].to_pylist() == [None] * 6
