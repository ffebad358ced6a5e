"""Hand-built contacts loaded into a real workspace (the root `workspace` fixture) through
`ingest`, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cxpm.ingest.loader import ingest
from cxpm.schema import TABLES
from cxpm.workspace import Workspace

T0 = datetime(2024, 3, 4, 9, 0, 0)
_files = count()


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def contact(contact_id: str, arrived: datetime, customer: str | None = "K1", *,
            reason: str | None = "billing", channel: str = "voice", wait_s: float = 10,
            talk_s: float = 100, parent: str | None = None, **fields: Any) -> dict[str, Any]:
    """An answered inbound agent contact unless fields say otherwise."""
    abandoned = fields.pop("abandoned", False)
    row = {"contact_id": contact_id, "parent_contact_id": parent, "customer_id": customer,
           "reason": reason, "channel": channel, "direction": "inbound",
           "handled_by": "agent", "queue": "Q1", "program": "P1", "site": "S1",
           "vendor": "V1", "arrived_at": arrived, "abandoned": abandoned,
           "talk_s": None if abandoned else talk_s}
    if not abandoned:
        row["answered_at"] = arrived + timedelta(seconds=wait_s)
        row["ended_at"] = row["answered_at"] + timedelta(seconds=talk_s)
    else:
        row["ended_at"] = arrived + timedelta(seconds=wait_s)
    row.update(fields)
    return row


def load(ws: Workspace, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """One ingest batch of `rows` (canonical columns only)."""
    columns = TABLES[table].columns
    schema = pa.schema([pa.field(c.name, {"string": pa.string(), "float": pa.float64(),
                                          "int": pa.int64(), "bool": pa.bool_(),
                                          "timestamp": pa.timestamp("us")}[c.type])
                        for c in columns])
    data = pa.Table.from_pylist([{c.name: r.get(c.name) for c in columns} for r in rows],
                                schema=schema)
    path = ws.path / f"{table}-{next(_files)}.parquet"
    pq.write_table(data, path)
    summary = ingest(ws, table, [path])
    assert summary.loaded == len(rows), summary


def scenario_contacts() -> list[dict[str, Any]]:
    """Transfers, a multi-level bot escalation, repeats across channels, null reasons, null
    customers, an orphan, outbound contacts and a survey-denied resolution (expected
    journeys are worked out in test_stitch.py)."""
    day = 1.0
    return [
        # K1 billing: bot -> agent (escalation) -> agent (transfer), then a chat repeat.
        contact("a1", at(0), handled_by="bot", escalated=True, queue="BOT", resolved=False),
        contact("a2", at(0, minutes=3), parent="a1", transferred=True, resolved=False),
        contact("a3", at(0, minutes=9), parent="a2", queue="Q2", resolved=True),
        contact("a4", at(2 * day), channel="chat", resolved=True),
        # K1 without reason twice (null reasons match), and K1 tech once.
        contact("n1", at(1), reason=None, resolved=True),
        contact("n2", at(3), reason=None, channel="email", resolved=True),
        contact("t1", at(1, hours=1), reason="tech", resolved=True),
        # Unknown customers: each customer-initiated contact is its own journey.
        contact("u1", at(1), customer=None, transferred=True),
        contact("u2", at(1, hours=1), customer=None),
        contact("u3", at(1, minutes=5), customer=None, parent="u1"),
        # A segment whose parent is not loaded.
        contact("o1", at(4), customer="K9", parent="gone"),
        # Outbound, and a transfer of it: no journey.
        contact("x1", at(5), direction="outbound"),
        contact("x2", at(5, minutes=4), parent="x1"),
        # K2: abandoned, then answered but disposition unresolved.
        contact("b1", at(0), customer="K2", abandoned=True),
        contact("b2", at(1), customer="K2", resolved=False, program="P2"),
        # K3: resolved by disposition, but the customer's survey says no.
        contact("s1", at(6), customer="K3", resolved=True, site="S2"),
    ]


def scenario_surveys() -> list[dict[str, Any]]:
    return [
        {"survey_id": "v1", "contact_id": "s1", "responded_at": at(7), "csat": 2,
         "resolved_reported": False},
        {"survey_id": "v2", "contact_id": "a2", "responded_at": at(1), "csat": 2},
        {"survey_id": "v3", "contact_id": "a4", "responded_at": at(3), "csat": 5},
        {"survey_id": "v4", "contact_id": "n2", "responded_at": at(4), "csat": 4},
        {"survey_id": "v5", "contact_id": "n2", "responded_at": at(4), "csat": None},
    ]


def sqlite_insert(con: Any, name: str, schema: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Create `name` with `schema` in an Ibis SQLite connection and insert rows by DB-API
    (timestamps as ISO text, as the Ibis SQLite backend stores them)."""
    con.create_table(name, schema=schema)
    columns = list(schema.names)
    marks = ", ".join("?" for _ in columns)

    def value(v: Any) -> Any:
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v

    con.con.executemany(f"INSERT INTO {name} VALUES ({marks})",
                        [tuple(value(row.get(c)) for c in columns) for row in rows])
