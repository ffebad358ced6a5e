"""Hand-built journeys with one of each friction kind, written straight into a workspace's
warehouse as the journeys and journey_steps tables of .notes/journeys-spec.md (so these tests
do not depend on the stitching), plus the contacts, surveys and costs behind them.

The workspace is in UTC, so local time = UTC time. Every expected value in the tests is worked
out by hand from the rows below.

Journeys (program P1, vendor V1, site S1 unless said otherwise; handle seconds in brackets):
  J1 K1 billing: c1 bot chat billing_bot (60) -> c2 agent chat billing, child of c1 (300,
     resolved)                                                         escalation
  J2 K2 billing: c3 bot billing_bot (40) -> c4 agent billing, child of c3 (200) -> c5 agent
     tech, child of c4 (100, resolved)                         escalation, transfer billing→tech
  J3 K3 billing, site S2 (no costs there): c6 voice billing abandoned, handled_by null (0) ->
     c7 agent voice billing (400, resolved)                              abandon then retry
  J4 K4 billing: c8 agent email billing (200, resolved) -> c9 agent voice billing (300) ->
     c14 agent voice billing (100, resolved)          channel switch email→voice, repeat
  J5 unknown customer: c10 bot billing_bot (50) -> c11 agent billing, child (250)  escalation
  J6 K1 tech: c12 bot billing_bot (30) -> c13 agent tech, child (150, resolved)     escalation
  J7 K5 billing: c15 agent voice billing (100, resolved) -> c16 agent voice billing (120,
     resolved)                                                                     repeat
  J8 K6 billing: c17 bot chat billing_bot (20, resolved)                        no friction
  J9 K7 billing, February: c18 agent voice billing (100) -> c19 agent voice billing, child
     of c18 (80)                                                  transfer billing→billing
  J10 K8 billing: c20 voice billing abandoned, handled_by null (0)               no friction
Outside journeys: c21, an outbound agent call (480 s) in P1/S1/V1, January.
Costs: P1/S1/V1 January, labor 1000 + technology 250 = 1250; January handle time of all its
contacts = 360 + 340 + 600 + 300 + 180 + 220 + 20 + 480 (outbound) = 2500 s -> 0.5 per second.
Surveys (CSAT): c2 5, c5 2, c7 4, c9 2, c11 4, c12 3, c13 1, c16 5, c17 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import ibis
import pyarrow as pa

from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema
from cxpm.workspace import Workspace

JOURNEY_COLUMNS: dict[str, pa.DataType] = {
    "journey_id": pa.string(), "customer_id": pa.string(), "reason": pa.string(),
    "unknown_customer": pa.bool_(), "started_at": pa.timestamp("us"),
    "ended_at": pa.timestamp("us"), "local_time": pa.timestamp("us"),
    "contacts": pa.int64(), "segments": pa.int64(), "channels": pa.int64(),
    "first_channel": pa.string(), "last_channel": pa.string(), "program": pa.string(),
    "site": pa.string(), "vendor": pa.string(), "queue": pa.string(),
    "handled_by": pa.string(), "resolved": pa.bool_(), "handle_s": pa.float64(),
    "bot_steps": pa.int64(), "agent_steps": pa.int64(), "escalations": pa.int64(),
    "transfers": pa.int64(), "abandoned_steps": pa.int64(), "built_at": pa.timestamp("us"),
}
STEP_COLUMNS: dict[str, pa.DataType] = {
    "journey_id": pa.string(), "step": pa.int64(), "contact_id": pa.string(),
    "parent_contact_id": pa.string(), "customer_initiated": pa.bool_(),
    "customer_id": pa.string(), "reason": pa.string(), "channel": pa.string(),
    "queue": pa.string(), "program": pa.string(), "site": pa.string(), "vendor": pa.string(),
    "handled_by": pa.string(), "agent_id": pa.string(), "arrived_at": pa.timestamp("us"),
    "answered_at": pa.timestamp("us"), "ended_at": pa.timestamp("us"),
    "abandoned": pa.bool_(), "transferred": pa.bool_(), "escalated": pa.bool_(),
    "resolved": pa.bool_(), "handle_s": pa.float64(), "local_time": pa.timestamp("us"),
}
BUILT_AT = datetime(2026, 3, 1)


@dataclass(frozen=True)
class Step:
    contact_id: str
    arrived: str
    handled_by: str | None
    channel: str
    queue: str
    handle_s: float = 0.0
    parent: str | None = None
    abandoned: bool = False
    resolved: bool | None = None
    site: str = "S1"


@dataclass(frozen=True)
class Journey:
    journey_id: str
    customer_id: str | None
    reason: str
    steps: tuple[Step, ...]


def _bot(cid: str, arrived: str, handle: float, **kw: Any) -> Step:
    return Step(cid, arrived, "bot", "chat", "billing_bot", handle, **kw)


def _agent(cid: str, arrived: str, channel: str, queue: str, handle: float,
           **kw: Any) -> Step:
    return Step(cid, arrived, "agent", channel, queue, handle, **kw)


def _abandon(cid: str, arrived: str, **kw: Any) -> Step:
    return Step(cid, arrived, None, "voice", "billing", 0.0, abandoned=True, **kw)


JOURNEYS: tuple[Journey, ...] = (
    Journey("J1", "K1", "billing", (
        _bot("c1", "2026-01-05T10:00", 60),
        _agent("c2", "2026-01-05T10:02", "chat", "billing", 300, parent="c1", resolved=True),
    )),
    Journey("J2", "K2", "billing", (
        _bot("c3", "2026-01-06T09:00", 40),
        _agent("c4", "2026-01-06T09:01", "chat", "billing", 200, parent="c3"),
        _agent("c5", "2026-01-06T09:06", "chat", "tech", 100, parent="c4", resolved=True),
    )),
    Journey("J3", "K3", "billing", (
        _abandon("c6", "2026-01-07T08:00", site="S2"),
        _agent("c7", "2026-01-07T08:10", "voice", "billing", 400, resolved=True, site="S2"),
    )),
    Journey("J4", "K4", "billing", (
        _agent("c8", "2026-01-08T10:00", "email", "billing", 200, resolved=True),
        _agent("c9", "2026-01-09T10:00", "voice", "billing", 300),
        _agent("c14", "2026-01-10T10:00", "voice", "billing", 100, resolved=True),
    )),
    Journey("J5", None, "billing", (
        _bot("c10", "2026-01-10T11:00", 50),
        _agent("c11", "2026-01-10T11:01", "chat", "billing", 250, parent="c10"),
    )),
    Journey("J6", "K1", "tech", (
        _bot("c12", "2026-01-12T12:00", 30),
        _agent("c13", "2026-01-12T12:01", "chat", "tech", 150, parent="c12", resolved=True),
    )),
    Journey("J7", "K5", "billing", (
        _agent("c15", "2026-01-13T09:00", "voice", "billing", 100, resolved=True),
        _agent("c16", "2026-01-15T09:00", "voice", "billing", 120, resolved=True),
    )),
    Journey("J8", "K6", "billing", (
        _bot("c17", "2026-01-14T15:00", 20, resolved=True),
    )),
    Journey("J9", "K7", "billing", (
        _agent("c18", "2026-02-03T09:00", "voice", "billing", 100),
        _agent("c19", "2026-02-03T09:05", "voice", "billing", 80, parent="c18"),
    )),
    Journey("J10", "K8", "billing", (
        _abandon("c20", "2026-01-20T16:00"),
    )),
)

SURVEYS = {"c2": 5, "c5": 2, "c7": 4, "c9": 2, "c11": 4, "c12": 3, "c13": 1, "c16": 5,
           "c17": 5}
OUTBOUND = {"contact_id": "c21", "arrived": "2026-01-21T10:00", "handle_s": 480.0}
COSTS = (("labor", 1000.0), ("technology", 250.0))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _children(journey: Journey) -> set[str]:
    return {s.parent for s in journey.steps if s.parent}


def step_rows(journeys: Sequence[Journey] = JOURNEYS) -> list[dict[str, Any]]:
    rows = []
    for journey in journeys:
        parents = _children(journey)
        for number, step in enumerate(journey.steps, start=1):
            arrived = at(step.arrived)
            answered = None if step.abandoned else arrived + timedelta(seconds=10)
            children = [s for s in journey.steps if s.parent == step.contact_id]
            rows.append({
                "journey_id": journey.journey_id, "step": number,
                "contact_id": step.contact_id, "parent_contact_id": step.parent,
                "customer_initiated": step.parent is None,
                "customer_id": journey.customer_id, "reason": journey.reason,
                "channel": step.channel, "queue": step.queue, "program": "P1",
                "site": step.site, "vendor": "V1", "handled_by": step.handled_by,
                "agent_id": None if step.handled_by is None else f"{step.handled_by}-1",
                "arrived_at": arrived, "answered_at": answered,
                "ended_at": (answered or arrived) + timedelta(seconds=step.handle_s or 30),
                "abandoned": step.abandoned,
                "transferred": step.contact_id in parents and step.handled_by == "agent",
                "escalated": bool(children) and step.handled_by == "bot",
                "resolved": step.resolved, "handle_s": step.handle_s, "local_time": arrived,
            })
    return rows


def journey_rows(steps: Sequence[dict[str, Any]],
                 journeys: Sequence[Journey] = JOURNEYS) -> list[dict[str, Any]]:
    rows = []
    for journey in journeys:
        mine = [s for s in steps if s["journey_id"] == journey.journey_id]
        if not mine:
            continue
        ci = [s for s in mine if s["customer_initiated"]]
        first, last = ci[0], ci[-1]
        rows.append({
            "journey_id": journey.journey_id, "customer_id": journey.customer_id,
            "reason": journey.reason, "unknown_customer": journey.customer_id is None,
            "started_at": first["arrived_at"], "ended_at": max(s["ended_at"] for s in mine),
            "local_time": first["arrived_at"], "contacts": len(ci), "segments": len(mine),
            "channels": len({s["channel"] for s in mine}),
            "first_channel": first["channel"], "last_channel": last["channel"],
            "program": first["program"], "site": first["site"], "vendor": first["vendor"],
            "queue": first["queue"], "handled_by": first["handled_by"],
            "resolved": not last["abandoned"] and last["resolved"] is not False,
            "handle_s": sum(s["handle_s"] for s in mine),
            "bot_steps": sum(s["handled_by"] == "bot" for s in mine),
            "agent_steps": sum(s["handled_by"] == "agent" for s in mine),
            "escalations": sum(bool(s["escalated"]) for s in mine),
            "transfers": sum(bool(s["transferred"]) for s in mine),
            "abandoned_steps": sum(s["abandoned"] for s in mine), "built_at": BUILT_AT,
        })
    return rows


def contact_rows(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [{**{k: s[k] for k in ("contact_id", "parent_contact_id", "customer_id", "channel",
                                  "handled_by", "queue", "program", "site", "vendor",
                                  "agent_id", "arrived_at", "answered_at", "ended_at",
                                  "abandoned", "transferred", "escalated", "reason",
                                  "resolved")},
             "direction": "inbound", "talk_s": s["handle_s"], "hold_s": 0.0, "wrap_s": 0.0}
            for s in steps]
    arrived = at(OUTBOUND["arrived"])
    rows.append({"contact_id": OUTBOUND["contact_id"], "customer_id": "K9",
                 "channel": "voice", "direction": "outbound", "handled_by": "agent",
                 "queue": "outreach", "program": "P1", "site": "S1", "vendor": "V1",
                 "agent_id": "agent-1", "arrived_at": arrived, "answered_at": arrived,
                 "ended_at": arrived + timedelta(seconds=OUTBOUND["handle_s"]),
                 "abandoned": False, "talk_s": OUTBOUND["handle_s"]})
    return rows


def survey_rows() -> list[dict[str, Any]]:
    return [{"survey_id": f"s-{cid}", "contact_id": cid, "responded_at": at("2026-02-20T00:00"),
             "csat": csat} for cid, csat in SURVEYS.items()]


def cost_rows() -> list[dict[str, Any]]:
    return [{"period_start": at("2026-01-01T00:00"), "period_end": at("2026-02-01T00:00"),
             "program": "P1", "site": "S1", "vendor": "V1", "cost_type": kind,
             "amount": amount, "currency": "EUR"} for kind, amount in COSTS]


def _table(rows: Sequence[dict[str, Any]], columns: dict[str, pa.DataType]) -> pa.Table:
    schema = pa.schema(list(columns.items()))
    return pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=schema)


def _canonical(ws: Workspace, name: str, rows: Sequence[dict[str, Any]]) -> None:
    table = TABLES[name]
    schema = arrow_schema(table)
    # UTC workspace: local time is the time column itself.
    full = [{**r, "local_time": r[table.time_column], "source": "friction_data",
             "batch_id": "b1"} for r in rows]
    data = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in full],
                                schema=schema)
    ws.warehouse.con.insert(name, ibis.memtable(data))


def write_journey_tables(ws: Workspace, steps: Sequence[dict[str, Any]],
                         journeys: Sequence[dict[str, Any]]) -> None:
    con = ws.warehouse.con
    for name, rows, columns in (("journey_steps", steps, STEP_COLUMNS),
                                ("journeys", journeys, JOURNEY_COLUMNS)):
        data = _table(rows, columns)
        # Ibis's own DROP (create_table overwrite=True, drop_table) renders empty with the
        # installed sqlglot; drop in SQL, then create from a schema.
        con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
        con.create_table(name, schema=ibis.Schema.from_pyarrow(data.schema))
        con.insert(name, ibis.memtable(data))


def build(ws: Workspace, *, costs: bool = True, surveys: bool = True) -> None:
    """Write the journeys above and the canonical rows behind them into `ws`."""
    steps = step_rows()
    write_journey_tables(ws, steps, journey_rows(steps))
    _canonical(ws, "contacts", contact_rows(steps))
    if surveys:
        _canonical(ws, "surveys", survey_rows())
    if costs:
        _canonical(ws, "costs", cost_rows())
