"""The intraday view limited to a scoped user's queues: only queues every contact of which is
the scope's, and `intraday(..., queues=...)` leaving the other queues out of rows and sums."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from cxpm.errors import CxpmError
from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema
from cxpm.wfm.intraday import intraday, intraday_queues
from cxpm.wfm.queue_scope import queues_within

DAY = date(2024, 3, 4)
START = datetime(2024, 3, 4, 9, 0)
# queue -> vendors of its contacts, in turn: Q1 is acme's alone, Q2 shared, Q3 globex's,
# Q4 acme's but for one contact without a vendor.
QUEUES = {"Q1": ["acme"] * 4, "Q2": ["acme", "globex"] * 2, "Q3": ["globex"] * 3,
          "Q4": ["acme", "acme", None]}
AGENT = {("Q1", "acme"): "A1", ("Q2", "acme"): "A2", ("Q2", "globex"): "A3",
         ("Q3", "globex"): "A4", ("Q4", "acme"): "A5", ("Q4", None): None}


def _contacts() -> list[dict]:
    rows = []
    for queue, vendors in QUEUES.items():
        for i, vendor in enumerate(vendors):
            arrived = START + timedelta(minutes=7 * i)
            agent = AGENT[(queue, vendor)]
            rows.append({
                "contact_id": f"{queue}-{i}", "arrived_at": arrived, "queue": queue,
                "channel": "chat", "direction": "inbound", "vendor": vendor,
                "abandoned": agent is None, "agent_id": agent,
                "answered_at": arrived + timedelta(seconds=10 + 20 * i) if agent else None,
                "ended_at": arrived + timedelta(seconds=30),
                "talk_s": 100.0 + 10 * i if agent else None})
    return rows


def _forecasts() -> list[dict]:
    return [{"queue": q, "interval_start": START, "interval_s": 1800.0, "volume": volume,
             "aht_s": 120.0, "required_agents": 1.0 + n, "created_at": datetime(2024, 3, 1),
             "horizon": "week-ahead"}
            for n, (q, volume) in enumerate((("Q1", 5.0), ("Q2", 6.0), ("Q3", 2.0),
                                             ("Q4", 3.0)))]


def _schedules() -> list[dict]:
    return [{"agent_id": a, "activity": "available", "started_at": START,
             "ended_at": START + timedelta(minutes=30)} for a in ("A1", "A2", "A3", "A4")]


@pytest.fixture
def ws(workspace):
    times = {"contacts": "arrived_at", "forecasts": "interval_start",
             "schedules": "started_at"}
    for name, rows in (("contacts", _contacts()), ("forecasts", _forecasts()),
                       ("schedules", _schedules())):
        schema = arrow_schema(TABLES[name])
        full = [{**r, "local_time": r[times[name]]} for r in rows]
        workspace.warehouse.con.insert(name, pa.Table.from_pylist(
            [{c: r.get(c) for c in schema.names} for r in full], schema=schema))
    return workspace


def test_queues_within_a_scope_are_those_of_that_scope_alone(ws):
    contacts = ws.warehouse.tables()["contacts"]
    assert queues_within(contacts, "vendor", "acme") == ["Q1"]  # Q2 shared, Q4 has a null
    assert queues_within(contacts, "vendor", "globex") == ["Q3"]
    assert queues_within(contacts, "vendor", "nobody") == []
    with pytest.raises(CxpmError, match="cannot be limited by 'queue'"):
        queues_within(contacts, "queue", "Q1")


def test_intraday_limited_to_queues(ws):
    tables = ws.warehouse.tables()
    assert intraday_queues(tables["forecasts"], DAY) == ["Q1", "Q2", "Q3", "Q4"]
    assert intraday_queues(tables["forecasts"], DAY + timedelta(days=1)) == []
    limited = intraday(tables, DAY, queues=["Q1", "Q3"]).to_pylist()
    assert len(limited) == 1
    row = limited[0]
    # By hand from the rows above: Q1 and Q3 only.
    assert row["forecast_volume"] == 5.0 + 2.0
    assert row["actual_volume"] == len(QUEUES["Q1"]) + len(QUEUES["Q3"])
    assert row["required_agents"] == 1.0 + 3.0
    assert row["scheduled_agents"] == pytest.approx(2.0)  # A1 (Q1) and A4 (Q3)
    answered = [r for r in _contacts() if r["queue"] in ("Q1", "Q3")]
    assert row["actual_aht_s"] == pytest.approx(
        sum(r["talk_s"] for r in answered) / len(answered))
    everything = intraday(tables, DAY).to_pylist()[0]
    assert everything["forecast_volume"] == 5.0 + 6.0 + 2.0 + 3.0
    one = intraday(tables, DAY, queue="Q1", queues=["Q1"]).to_pylist()
    assert one == intraday(tables, DAY, queue="Q1").to_pylist()


def test_a_queue_outside_the_limit_is_not_named(ws):
    tables = ws.warehouse.tables()
    with pytest.raises(CxpmError, match=r"queue 'Q2' has no forecast.*with one: Q1$"):
        intraday(tables, DAY, queue="Q2", queues=["Q1"])
    with pytest.raises(CxpmError, match="no forecast intervals"):
        intraday(tables, DAY, queues=[])
