"""`cxpm forecast` on a workspace: contacts -> per-queue forecasts stored as snapshots."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from cxpm.errors import CxpmError
from cxpm.ingest import ingest
from cxpm.schema import get_table
from cxpm.wfm.forecast_workspace import _to_utc, default_train_end, run_forecast
from cxpm.workspace import init_workspace

ZONE = "Asia/Jerusalem"
FIRST_DAY = date(2026, 1, 4)  # a Sunday
DAYS = 28
CALLS_PER_HOUR = {"billing": 3, "sales": 2}
TALK_S, WRAP_S = 100, 20


def open_hour(moment: datetime) -> bool:
    """Sunday to Thursday 09:00-12:00 local; closed Friday and Saturday."""
    return moment.weekday() in (6, 0, 1, 2, 3) and 9 <= moment.hour < 12


def write_contacts(path: Path, calls_per_hour: dict[str, int] = CALLS_PER_HOUR,
                   first_days: dict[str, date] | None = None,
                   stop_at: datetime | None = None) -> Path:
    """Contacts at open hours; a queue in `first_days` has none before its first day, and
    there are none from the local hour `stop_at` on."""
    first_days = first_days or {}
    columns = get_table("contacts").column_names
    zone = ZoneInfo(ZONE)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for day in range(DAYS):
            for hour in range(24):
                local = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time()) \
                    + timedelta(hours=hour)
                if not open_hour(local) or (stop_at is not None and local >= stop_at):
                    continue
                for queue, calls in calls_per_hour.items():
                    if local.date() < first_days.get(queue, FIRST_DAY):
                        continue
                    for i in range(calls):
                        arrived = (local + timedelta(minutes=10 * i + 1)).replace(
                            tzinfo=zone).astimezone(UTC)
                        writer.writerow({
                            "contact_id": f"{queue}-{day}-{hour}-{i}",
                            "channel": "voice", "direction": "inbound", "queue": queue,
                            "arrived_at": arrived.isoformat(),
                            "answered_at": (arrived + timedelta(seconds=10)).isoformat(),
                            "ended_at": (arrived + timedelta(seconds=10 + TALK_S)).isoformat(),
                            "abandoned": "false", "talk_s": TALK_S, "wrap_s": WRAP_S,
                        })
    return path


@pytest.fixture
def loaded(tmp_path):
    ws = init_workspace(tmp_path / "ws", ZONE)
    ingest(ws, "contacts", [write_contacts(tmp_path / "contacts.csv")])
    yield ws
    ws.close()


def stored(ws) -> list[dict]:
    return ws.warehouse.table("forecasts").to_pyarrow().to_pylist()


def test_snapshot_rows_per_queue_and_open_interval(loaded):
    made = datetime(2026, 1, 25, 6, 0)
    run = run_forecast(loaded, interval_minutes=60, horizon_days=7, created_at=made)
    rows = stored(loaded)
    assert run.rows_written == len(rows)
    # the last contacts are on Thursday 29 January, before its last hour: that day may be
    # incomplete, so training ends on the 28th and the horizon starts on the 29th
    assert run.train_end == datetime(2026, 1, 28, 23, 0)
    assert "2026-01-29 incomplete" in run.train_end_rule
    zone = ZoneInfo(ZONE)
    expected_local = [datetime(2026, 1, 29) + timedelta(hours=h) for h in range(7 * 24)]
    expected_local = [t for t in expected_local if open_hour(t)]
    for queue, calls in CALLS_PER_HOUR.items():
        mine = sorted((r for r in rows if r["queue"] == queue), key=lambda r: r["interval_start"])
        assert [r["local_time"] for r in mine] == expected_local
        assert [r["interval_start"] for r in mine] == [
            t.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None) for t in expected_local]
        assert [r["volume"] for r in mine] == pytest.approx([calls] * len(mine))
        assert [r["aht_s"] for r in mine] == pytest.approx([TALK_S + WRAP_S] * len(mine))
    assert {r["created_at"] for r in rows} == {made}
    assert {r["horizon"] for r in rows} == {"week-ahead"}
    assert {r["interval_s"] for r in rows} == {3600.0}
    assert all(r["required_agents"] is None for r in rows)
    assert {r["batch_id"] for r in rows} == {run.batch_id}
    # four weeks of history leave one backtest fold to choose each queue's model by
    assert all(q.backtest_wape is not None and q.baseline_wape is not None for q in run.queues)


def test_each_run_is_kept_as_its_own_snapshot(loaded):
    first = run_forecast(loaded, queue="sales", interval_minutes=60, horizon_days=7,
                         created_at=datetime(2026, 1, 25, 6, 0))
    second = run_forecast(loaded, queue="sales", interval_minutes=60, horizon_days=3,
                          created_at=datetime(2026, 1, 26, 6, 0))
    rows = stored(loaded)
    assert {r["queue"] for r in rows} == {"sales"}
    by_snapshot: dict[tuple, int] = {}
    for r in rows:
        key = (r["created_at"], r["horizon"])
        by_snapshot[key] = by_snapshot.get(key, 0) + 1
    assert by_snapshot == {(datetime(2026, 1, 25, 6, 0), "week-ahead"): first.rows_written,
                           (datetime(2026, 1, 26, 6, 0), "3-day-ahead"): second.rows_written}


def test_special_days_from_settings_close_the_day(loaded):
    loaded.settings.params["forecast.special_days"] = ["2026-02-03"]
    run = run_forecast(loaded, interval_minutes=60, horizon_days=7, write=False)
    assert run.rows_written == 0 and stored(loaded) == []
    # 4 open days remain in the week (Sun-Thu minus the Tuesday holiday), 3 hours each
    assert {q.queue: q.intervals for q in run.queues} == {"billing": 12, "sales": 12}


def test_errors_are_one_line(loaded, tmp_path):
    with pytest.raises(CxpmError, match="interval-minutes"):
        run_forecast(loaded, interval_minutes=20)
    with pytest.raises(CxpmError, match="no contacts in queue 'nope'"):
        run_forecast(loaded, queue="nope")
    empty = init_workspace(tmp_path / "empty", "UTC")
    with pytest.raises(CxpmError, match="no contacts"):
        run_forecast(empty)
    empty.close()


def test_cli_forecast_stores_a_snapshot_and_reports_json(loaded, forecast_cli):
    result = forecast_cli("forecast", "--interval-minutes", "60", "--horizon-days", "7",
                          "--queue", "billing", "--format", "json", "--workspace", loaded.path)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    rows = stored(loaded)
    assert report["rows_written"] == len(rows) == 15
    assert [q["queue"] for q in report["queues"]] == ["billing"]
    assert report["horizon"] == "week-ahead"
    assert {r["created_at"].isoformat() for r in rows} == {report["created_at"]}
    dry = forecast_cli("forecast", "--interval-minutes", "60", "--dry-run", "--format", "json",
                       "--workspace", loaded.path)
    assert dry.exit_code == 0 and len(stored(loaded)) == 15
    bad = forecast_cli("forecast", "--interval-minutes", "20", "--workspace", loaded.path)
    assert bad.exit_code == 1 and "interval-minutes" in bad.stderr


def test_a_partial_last_day_is_not_trained_as_zero_volume(tmp_path, forecast_cli):
    ws = init_workspace(tmp_path / "ws", ZONE)
    # the export was taken at 10:00 on Thursday 29 January: its 10:00 and 11:00 hours are
    # missing, not quiet
    ingest(ws, "contacts", [write_contacts(tmp_path / "c.csv",
                                           stop_at=datetime(2026, 1, 29, 10, 0))])
    run = run_forecast(ws, interval_minutes=60, horizon_days=14, models=["seasonal_naive"],
                       write=False)
    assert run.train_end == datetime(2026, 1, 28, 23, 0)
    assert "latest contacts (2026-01-29 09:00 interval) leave 2026-01-29 incomplete" \
        in run.train_end_rule
    # every open hour, Thursdays included, is forecast at its usual volume (one week earlier)
    # (14 days from Thursday 29 January: 10 open days of 3 hours)
    assert {q.queue: q.intervals for q in run.queues} == {"billing": 30, "sales": 30}
    assert {q.queue: q.volume for q in run.queues} == pytest.approx(
        {queue: calls * 30 for queue, calls in CALLS_PER_HOUR.items()})
    shown = forecast_cli("forecast", "--interval-minutes", "60", "--dry-run",
                         "--workspace", ws.path)
    assert shown.exit_code == 0, shown.stderr
    assert "train end 2026-01-28 23:00 local: last complete local day" in shown.stdout
    ws.close()


def test_default_train_end_keeps_a_day_whose_last_interval_has_contacts():
    def counts(day: date, slot: int) -> pa.Table:
        return pa.table({"day": [date(2026, 1, 1), day], "slot": [3, slot]})

    end, rule = default_train_end(counts(date(2026, 1, 9), 47), 30)
    assert end == datetime(2026, 1, 9, 23, 30)
    assert "(2026-01-09) is complete" in rule
    end, _ = default_train_end(counts(date(2026, 1, 9), 46), 30)
    assert end == datetime(2026, 1, 8, 23, 30)


NEW_QUEUE_FROM = date(2026, 1, 25)  # a Sunday, days before the data ends


@pytest.fixture
def with_new_queue(tmp_path):
    ws = init_workspace(tmp_path / "ws", ZONE)
    path = write_contacts(tmp_path / "contacts.csv", {**CALLS_PER_HOUR, "new": 1},
                          {"new": NEW_QUEUE_FROM})
    ingest(ws, "contacts", [path])
    yield ws
    ws.close()


def test_a_queue_with_too_little_history_is_skipped_not_fatal(with_new_queue, forecast_cli):
    run = run_forecast(with_new_queue, interval_minutes=60, horizon_days=7,
                       created_at=datetime(2026, 1, 30, 6, 0))
    assert [q.queue for q in run.queues] == ["billing", "sales"]
    # the new queue's history runs from its first local midnight to the train end
    days = (run.train_end + timedelta(hours=1)
            - datetime.combine(NEW_QUEUE_FROM, datetime.min.time())).total_seconds() / 86_400
    assert [(s.queue, s.reason) for s in run.skipped] == [
        ("new", f"too little history ({days:.1f} days; 14 needed)")]
    assert {r["queue"] for r in stored(with_new_queue)} == {"billing", "sales"}
    assert run.rows_written == len(stored(with_new_queue)) > 0
    shown = forecast_cli("forecast", "--interval-minutes", "60", "--dry-run",
                         "--workspace", with_new_queue.path)
    assert shown.exit_code == 0, shown.stderr
    assert "skipped queue 'new': too little history" in shown.stdout


def test_too_little_history_is_an_error_for_a_named_queue_or_all_queues(with_new_queue,
                                                                        tmp_path):
    with pytest.raises(CxpmError, match="queue 'new': too little history"):
        run_forecast(with_new_queue, queue="new", interval_minutes=60)
    only_new = init_workspace(tmp_path / "only-new", ZONE)
    ingest(only_new, "contacts", [write_contacts(tmp_path / "new.csv", {"new": 1},
                                                 {"new": NEW_QUEUE_FROM})])
    with pytest.raises(CxpmError, match="no queue has enough history to forecast: 'new' too "
                                        "little history"):
        run_forecast(only_new, interval_minutes=60)
    assert only_new.warehouse.table("forecasts").count().execute() == 0
    only_new.close()


def test_local_starts_skipped_by_daylight_saving_get_no_row():
    local = [datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 1, 30),
             datetime(2026, 3, 29, 2, 30), datetime(2026, 10, 25, 1, 30)]
    # London: 01:00-02:00 does not exist on 29 March; 01:30 on 25 October is BST's (UTC+1)
    assert _to_utc(local, "Europe/London") == [
        datetime(2026, 3, 29, 0, 30), None, datetime(2026, 3, 29, 1, 30),
        datetime(2026, 10, 25, 0, 30)]


@pytest.fixture
def forecast_cli(cli):
    return cli
