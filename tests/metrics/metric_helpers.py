"""A small hand-made operation for metric tests, and helpers to load it into Ibis backends.

Every expected value in the tests is worked out by hand from the rows below (see the
comments next to each assertion).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from cxpm.metrics.engine import compute, to_records
from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema, ibis_schema


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def secs(moment: datetime, seconds: float) -> datetime:
    from datetime import timedelta

    return moment + timedelta(seconds=seconds)


def _contact(contact_id: str, arrived: str, *, wait: float | None = None,
             abandon_after: float | None = None, **fields: Any) -> dict[str, Any]:
    arrived_at = at(arrived)
    row: dict[str, Any] = {"contact_id": contact_id, "arrived_at": arrived_at,
                           "abandoned": abandon_after is not None or fields.pop(
                               "abandoned", False),
                           "direction": "inbound", "handled_by": "agent"}
    if wait is not None:
        row["answered_at"] = secs(arrived_at, wait)
        handle = sum(fields.get(k) or 0 for k in ("talk_s", "hold_s", "wrap_s"))
        row["ended_at"] = secs(arrived_at, wait + handle)
    if abandon_after is not None:
        row["ended_at"] = secs(arrived_at, abandon_after)
    row.update(fields)
    return row


V, C, E = "voice", "chat", "email"

CONTACTS = [
    _contact("c1", "2024-01-01T09:00:00", wait=10, channel=V, program="P1", site="S1",
             queue="Q1", customer_id="K1", reason="billing", talk_s=300, hold_s=20, wrap_s=60,
             transferred=True, resolved=False, revenue=0.0, agent_id="A1"),
    _contact("c2", "2024-01-01T09:06:40", wait=30, channel=V, program="P1", site="S1",
             queue="Q1", parent_contact_id="c1", customer_id="K1", reason="billing",
             talk_s=200, hold_s=0, wrap_s=40, resolved=True, revenue=50.0, agent_id="A2"),
    _contact("c3", "2024-01-03T10:00:00", wait=25, channel=V, program="P1", site="S2",
             queue="Q2", customer_id="K1", reason="billing", talk_s=100, wrap_s=10,
             resolved=True, agent_id="A1"),
    _contact("c4", "2024-01-05T12:00:00", abandon_after=3, channel=V, program="P1", site="S2",
             queue="Q1", customer_id="K2"),
    _contact("c5", "2024-01-20T12:00:00", abandon_after=40, channel=V, program="P2",
             site="S2", queue="Q1", customer_id="K2"),
    _contact("c6", "2024-02-01T08:00:00", wait=15, channel=C, program="P2", site="S1",
             queue="Q3", customer_id="K3", reason="tech", talk_s=600, hold_s=0, wrap_s=0,
             resolved=True, revenue=100.0, agent_id="A2"),
    _contact("c7", "2024-02-02T08:00:00", wait=45, channel=C, program="P2", site="S1",
             queue="Q3", customer_id="K3", reason="billing", talk_s=120, agent_id="A2"),
    _contact("c8", "2024-02-03T09:00:00", wait=3600, channel=E, program="P2", site="S1",
             queue="Q4", talk_s=300, agent_id="A1"),
    _contact("c9", "2024-02-04T09:00:00", wait=0, channel=V, program="P1", site="S1",
             customer_id="K4", talk_s=500, revenue=200.0, direction="outbound", agent_id="A1"),
    _contact("c10", "2024-02-05T10:00:00", wait=0, channel=C, program="P1", site="S1",
             queue="Q5", customer_id="K5", reason="pw", talk_s=60, escalated=True,
             handled_by="bot", agent_id="B1"),
    _contact("c11", "2024-02-05T10:01:00", wait=20, channel=C, program="P1", site="S1",
             queue="Q3", parent_contact_id="c10", customer_id="K5", reason="pw", talk_s=240,
             agent_id="A1"),
    _contact("c12", "2024-02-06T11:00:00", wait=0, channel=C, program="P1", site="S1",
             queue="Q5", customer_id="K6", reason="pw", talk_s=90, escalated=False,
             resolved=True, handled_by="bot", agent_id="B1"),
    _contact("c13", "2024-01-25T12:00:00", abandoned=True, channel=V, program="P2",
             site="S2", queue="Q2", customer_id="K2"),
]

SURVEYS = [
    {"survey_id": "s1", "contact_id": "c1", "responded_at": at("2024-01-02T00:00:00"),
     "csat": 2, "nps": 3, "ces": 5},
    {"survey_id": "s2", "contact_id": "c3", "responded_at": at("2024-01-04T00:00:00"),
     "csat": 5, "nps": 10, "ces": 2},
    {"survey_id": "s3", "contact_id": "c6", "responded_at": at("2024-02-02T00:00:00"),
     "csat": 4, "nps": 9, "ces": 3},
    {"survey_id": "s4", "contact_id": "c7", "responded_at": at("2024-02-03T00:00:00"),
     "csat": None, "nps": 9, "ces": None},
    {"survey_id": "s5", "contact_id": None, "responded_at": at("2024-02-04T00:00:00"),
     "csat": 1, "nps": 0, "ces": 7},
]


def _evaluation(eid: str, agent: str, contact: str, errors: tuple[bool, bool, bool],
                score: float, nc_errors: int | None, nc_opps: int | None,
                calibration: str | None = None) -> dict[str, Any]:
    return {"evaluation_id": eid, "agent_id": agent, "contact_id": contact,
            "evaluated_at": at("2024-02-10T00:00:00"), "customer_critical_error": errors[0],
            "business_critical_error": errors[1], "compliance_critical_error": errors[2],
            "score": score, "noncritical_errors": nc_errors,
            "noncritical_opportunities": nc_opps, "calibration_session_id": calibration}


EVALUATIONS = [
    _evaluation("e1", "A1", "c1", (True, False, False), 70, 2, 10),
    _evaluation("e2", "A1", "c3", (False, True, False), 90, 0, 10),
    _evaluation("e3", "A2", "c6", (False, False, True), 80, 1, 5),
    _evaluation("e4", "A2", "c7", (False, False, False), 100, None, None),
    _evaluation("e5", "A1", "c1", (True, True, True), 10, 5, 5, calibration="cal1"),
]


def _state(agent: str, state: str, start: str, end: str) -> dict[str, Any]:
    return {"agent_id": agent, "state": state, "started_at": at(start), "ended_at": at(end)}


AGENT_STATES = [
    _state("A1", "available", "2024-01-01T08:00", "2024-01-01T08:30"),
    _state("A1", "on_contact", "2024-01-01T08:30", "2024-01-01T09:30"),
    _state("A1", "wrap", "2024-01-01T09:30", "2024-01-01T09:45"),
    _state("A1", "break", "2024-01-01T09:45", "2024-01-01T10:00"),
    _state("A1", "training", "2024-01-01T10:00", "2024-01-01T10:30"),
    _state("A1", "offline", "2024-01-01T10:30", "2024-01-01T12:00"),
    _state("A2", "on_contact", "2024-01-01T08:00", "2024-01-01T09:00"),
    _state("A2", "available", "2024-01-01T09:00", "2024-01-01T10:00"),
    _state("A2", "lunch", "2024-01-01T10:00", "2024-01-01T10:15"),
]

ROSTER = [
    {"agent_id": "A1", "site": "S1", "vendor": "V1", "team": "T1",
     "hired_at": at("2023-01-01T00:00")},
    {"agent_id": "A2", "site": "S2", "vendor": "V2", "team": "T2",
     "hired_at": at("2023-07-01T00:00"), "terminated_at": at("2024-01-31T00:00"),
     "termination_type": "voluntary"},
    {"agent_id": "A3", "site": "S1", "vendor": "V1", "team": "T1",
     "hired_at": at("2024-01-01T00:00"), "terminated_at": at("2024-03-01T00:00"),
     "termination_type": "involuntary"},
]

TRAINING = [
    {"subject_id": "A1", "subject_type": "agent", "course": "billing",
     "completed_at": at("2024-01-10T00:00"), "verified": True},
    {"subject_id": "A2", "subject_type": "agent", "course": "billing",
     "completed_at": at("2024-01-11T00:00"), "verified": False},
    {"subject_id": "B1", "subject_type": "bot", "course": "pw",
     "completed_at": at("2024-01-12T00:00"), "verified": True},
    {"subject_id": "A1", "subject_type": "agent", "course": "tech",
     "completed_at": at("2024-01-13T00:00"), "verified": True},
]


def _cost(start: str, end: str, program: str, site: str, cost_type: str,
          amount: float) -> dict[str, Any]:
    return {"period_start": at(start), "period_end": at(end), "program": program,
            "site": site, "vendor": "V1", "cost_type": cost_type, "amount": amount,
            "currency": "EUR"}


COSTS = [
    _cost("2024-01-01", "2024-02-01", "P1", "S1", "labor", 1000),
    _cost("2024-01-01", "2024-02-01", "P1", "S2", "labor", 500),
    _cost("2024-02-01", "2024-03-01", "P2", "S1", "labor", 800),
    _cost("2024-02-01", "2024-03-01", "P1", "S1", "technology", 200),
]

ROWS: dict[str, list[dict[str, Any]]] = {
    "contacts": CONTACTS, "surveys": SURVEYS, "evaluations": EVALUATIONS,
    "agent_states": AGENT_STATES, "roster": ROSTER, "training": TRAINING, "costs": COSTS,
}


def arrow_table(name: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows as stored: canonical columns, local_time = the time column (a UTC workspace)."""
    table = TABLES[name]
    schema = arrow_schema(table)
    full = []
    for row in rows:
        record = {column: row.get(column) for column in schema.names}
        record["local_time"] = row[table.time_column]
        full.append(record)
    return pa.Table.from_pylist(full, schema=schema)


def memtables(rows: Mapping[str, Sequence[Mapping[str, Any]]] = ROWS) -> dict[str, ir.Table]:
    """Every canonical table as an Ibis memtable (empty where no rows are given)."""
    return {name: ibis.memtable(arrow_table(name, rows.get(name, []))) for name in TABLES}


def polars_tables(rows: Mapping[str, Sequence[Mapping[str, Any]]] = ROWS) -> dict[str, ir.Table]:
    con = ibis.polars.connect()
    for name in TABLES:
        con.create_table(name, arrow_table(name, rows.get(name, [])))
    return {name: con.table(name) for name in TABLES}


def sqlite_tables(rows: Mapping[str, Sequence[Mapping[str, Any]]] = ROWS) -> dict[str, ir.Table]:
    """The tables in an in-memory SQLite database, filled with plain DB-API inserts."""
    con = ibis.sqlite.connect()
    for name, table in TABLES.items():
        con.create_table(name, schema=ibis_schema(table))
        data = arrow_table(name, rows.get(name, [])).to_pylist()
        if data:
            columns = list(data[0])
            marks = ", ".join("?" for _ in columns)
            con.con.executemany(
                f"INSERT INTO {name} VALUES ({marks})",
                [tuple(_sqlite_value(r[c]) for c in columns) for r in data])
    return {name: con.table(name) for name in TABLES}


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


def values(tables: Mapping[str, ir.Table], metric_ids: Sequence[str],
           **kwargs: Any) -> dict[Any, float | None]:
    """{metric: value} for grain all without dimensions, else {(dims..., metric): value}."""
    records = to_records(compute(tables, metric_ids, **kwargs))
    by = list(kwargs.get("by", ()))
    if kwargs.get("grain", "all") != "all":
        by.append("period_start")
    if not by:
        return {r["metric"]: r["value"] for r in records}
    return {(*(r[d] for d in by), r["metric"]): r["value"] for r in records}
