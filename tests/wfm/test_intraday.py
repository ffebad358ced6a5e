"""`cxpm wfm intraday` and its library function on a small UTC workspace, worked by hand:
Q1 has agents A1 (logs in 15 minutes late) and A2 (overruns a break); Q2 has A3 (absent)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from cxpm.cli.wfm_cmd import register
from cxpm.errors import CxpmError
from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema
from cxpm.wfm.intraday import INTRADAY_SCHEMA, intraday

MON = date(2024, 3, 4)


def _at(hm: str, day: str = "2024-03-04") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}:00")


def _span(agent, kind, start, end, column):
    return {"agent_id": agent, column: kind, "started_at": _at(start), "ended_at": _at(end)}


SCHEDULES = [
    _span("A1", "available", "09:00", "10:00", "activity"),
    _span("A2", "available", "09:00", "09:30", "activity"),
    _span("A2", "break", "09:30", "09:45", "activity"),
    _span("A2", "available", "09:45", "10:00", "activity"),
    _span("A3", "available", "09:00", "10:00", "activity"),
]
STATES = [
    _span("A1", "offline", "08:00", "09:15", "state"),
    _span("A1", "available", "09:15", "10:00", "state"),
    _span("A2", "available", "09:00", "09:30", "state"),
    _span("A2", "break", "09:30", "10:00", "state"),
]


def _contact(cid, queue, hm, *, agent=None, wait=None, handle=None, abandon_after=None,
             day="2024-03-04"):
    arrived = _at(hm, day)
    row = {"contact_id": cid, "arrived_at": arrived, "queue": queue, "channel": "voice",
           "direction": "inbound", "abandoned": abandon_after is not None, "agent_id": agent}
    if wait is not None:
        row.update(answered_at=arrived + timedelta(seconds=wait), talk_s=float(handle))
    if abandon_after is not None:
        row["ended_at"] = arrived + timedelta(seconds=abandon_after)
    return row


CONTACTS = [
    # Q1 09:00: within 20 s, after 30 s, abandoned after 40 s -> SL 1 / 3; AHT (120+80)/2.
    _contact("c1", "Q1", "09:05", agent="A1", wait=10, handle=120),
    _contact("c2", "Q1", "09:10", agent="A2", wait=30, handle=80),
    _contact("c3", "Q1", "09:20", abandon_after=40),
    # Q1 09:30: one contact, SL 1, AHT 300.
    _contact("c4", "Q1", "09:40", agent="A1", wait=5, handle=300),
    # A3's only contact (another day) makes Q2 A3's queue.
    _contact("c5", "Q2", "09:00", agent="A3", wait=5, handle=60, day="2024-03-05"),
]


def _fc(queue, hm, volume, aht, required):
    return {"queue": queue, "interval_start": _at(hm), "interval_s": 1800.0, "volume": volume,
            "aht_s": aht, "required_agents": required, "created_at": datetime(2024, 3, 1),
            "horizon": "week-ahead"}


FORECASTS = [_fc("Q1", "09:00", 4.0, 100.0, 2.0), _fc("Q1", "09:30", 2.0, 200.0, 2.0),
             _fc("Q2", "09:00", 1.0, 60.0, 1.0)]

TIME_COLUMNS = {"schedules": "started_at", "agent_states": "started_at",
                "contacts": "arrived_at", "forecasts": "interval_start"}


@pytest.fixture
def ws(workspace):
    for name, rows in (("schedules", SCHEDULES), ("agent_states", STATES),
                       ("contacts", CONTACTS), ("forecasts", FORECASTS)):
        schema = arrow_schema(TABLES[name])
        full = [{**r, "local_time": r[TIME_COLUMNS[name]]} for r in rows]
        workspace.warehouse.con.insert(name, pa.Table.from_pylist(
            [{c: r.get(c) for c in schema.names} for r in full], schema=schema))
    return workspace


# By hand: (interval, forecast volume, actual volume, forecast AHT, actual AHT, required,
# scheduled = on-queue scheduled seconds / 1800, logged in = paid state seconds / 1800, SL).
Q1 = [
    (_at("09:00"), 4.0, 3.0, 100.0, (120 + 80) / 2, 2.0, (1800 + 1800) / 1800,
     (900 + 1800) / 1800, 1 / 3),
    (_at("09:30"), 2.0, 1.0, 200.0, 300.0, 2.0, (1800 + 900) / 1800, (1800 + 1800) / 1800,
     1.0),
]
Q2 = [(_at("09:00"), 1.0, 0.0, 60.0, None, 1.0, 1800 / 1800, 0.0, None)]
ALL = [
    (_at("09:00"), 5.0, 3.0, (4 * 100 + 1 * 60) / 5, 100.0, 3.0, 3.0, 1.5, 1 / 3),
    Q1[1],
]


def _rows(table):
    names = INTRADAY_SCHEMA.names
    assert table.schema == INTRADAY_SCHEMA
    return [tuple(r[n] for n in names if n != "queue") for r in table.to_pylist()]


def _same(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[0] == e[0]
        for a, b in zip(g[1:], e[1:], strict=True):
            assert (a is None) == (b is None), (g, e)
            if b is not None:
                assert a == pytest.approx(b), (g, e)


def test_per_queue(ws):
    tables = ws.warehouse.tables()
    q1 = intraday(tables, MON, queue="Q1")
    assert set(q1.column("queue").to_pylist()) == {"Q1"}
    _same(_rows(q1), Q1)
    _same(_rows(intraday(tables, MON, queue="Q2")), Q2)


def test_all_queues_summed(ws):
    table = intraday(ws.warehouse.tables(), MON)
    assert table.column("queue").null_count == table.num_rows
    _same(_rows(table), ALL)


def test_service_level_parameters_apply(ws):
    # With T = 30 s, Q1 09:00 has two of three within T.
    table = intraday(ws.warehouse.tables(), MON, queue="Q1",
                     params={"service_level.threshold_s": 30})
    assert table.column("service_level").to_pylist()[0] == pytest.approx(2 / 3)


def test_errors(ws):
    tables = ws.warehouse.tables()
    with pytest.raises(CxpmError, match="no forecast intervals on 2024-03-05"):
        intraday(tables, date(2024, 3, 5))
    with pytest.raises(CxpmError, match=r"queue 'Q9' has no forecast on 2024-03-04.*Q1, Q2"):
        intraday(tables, MON, queue="Q9")


def _app():
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """cxpm"""

    register(app)
    return app


def test_cli_json_and_table(ws):
    runner = CliRunner()
    base = ["wfm", "intraday", "--date", "2024-03-04", "-w", str(ws.path)]
    result = runner.invoke(_app(), [*base, "--queue", "Q1", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["interval_start"] for r in records] == ["2024-03-04T09:00:00",
                                                      "2024-03-04T09:30:00"]
    assert records[0]["logged_in_agents"] == pytest.approx(1.5)
    table = runner.invoke(_app(), base)
    assert table.exit_code == 0, table.output
    assert "Intraday 2024-03-04, all queues" in table.stdout
    assert "09:30" in table.stdout


def test_cli_errors(ws):
    runner = CliRunner()
    bad = runner.invoke(_app(), ["wfm", "intraday", "--date", "4 March", "-w", str(ws.path)])
    assert isinstance(bad.exception, CxpmError)
    assert "--date expects YYYY-MM-DD" in str(bad.exception)
