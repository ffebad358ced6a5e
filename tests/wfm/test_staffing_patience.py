"""Mean patience from contacts: abandonments over all time waited, by queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pytest

from cxpm.schema import get_table
from cxpm.warehouse import arrow_schema
from cxpm.wfm.staffing_data import estimate_patience
from cxpm.workspace import init_workspace

T0 = datetime(2024, 3, 4, 9, 0)


def contact(i: int, queue: str, wait_s: float, abandoned: bool, *, handled_by: str = "agent"
            ) -> dict:
    arrived = T0 + timedelta(minutes=i)
    left = arrived + timedelta(seconds=wait_s)
    return {"contact_id": f"c{i}", "queue": queue, "handled_by": handled_by,
            "direction": "inbound", "arrived_at": arrived,
            "answered_at": None if abandoned else left,
            "ended_at": left if abandoned else left + timedelta(seconds=200),
            "abandoned": abandoned}


ROWS = [
    contact(0, "billing", 30, False), contact(1, "billing", 0, False),
    contact(2, "billing", 90, True), contact(3, "billing", 60, True),
    contact(4, "billing", 20, False),
    contact(5, "sales", 10, False), contact(6, "sales", 15, False),
    contact(7, "billing", 500, True, handled_by="bot"),  # not an agent queue: ignored
]


def test_patience_is_abandonments_over_all_waiting_time() -> None:
    table = ibis.memtable(pa.Table.from_pylist(ROWS))
    result = {row["queue"]: row for row in estimate_patience(table).to_pylist()}
    billing_waits = [30, 0, 90, 60, 20]
    assert result["billing"]["queued"] == 5 and result["billing"]["abandoned"] == 2
    assert result["billing"]["waited_s"] == pytest.approx(sum(billing_waits))
    assert result["billing"]["patience_s"] == pytest.approx(sum(billing_waits) / 2)
    assert result["sales"]["patience_s"] is None  # nothing abandoned: no estimate


def test_patience_from_the_warehouse(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", "UTC")
    schema = arrow_schema(get_table("contacts"))
    columns = {name: [row.get(name) for row in ROWS] for name in schema.names}
    columns["local_time"] = columns["arrived_at"]
    ws.warehouse.con.insert("contacts", pa.table(columns, schema=schema))
    result = estimate_patience(ws.warehouse.table("contacts"),
                               start=T0 + timedelta(minutes=2))
    ws.close()
    rows = {row["queue"]: row for row in result.to_pylist()}
    assert rows["billing"]["patience_s"] == pytest.approx((90 + 60 + 20) / 2)


def test_censoring_correction_recovers_exponential_patience() -> None:
    # Waits censored by answering: patience ~ Exp(mean 120 s), answer time ~ Exp(mean 60 s).
    rng = np.random.default_rng(7)
    patience = rng.exponential(120, 20_000)
    answer = rng.exponential(60, 20_000)
    abandoned = patience < answer
    waits = np.minimum(patience, answer)
    rows = [{"contact_id": str(i), "queue": "q", "handled_by": "agent",
             "direction": "inbound", "arrived_at": T0,
             "answered_at": None if abandoned[i] else T0 + timedelta(seconds=float(waits[i])),
             "ended_at": T0 + timedelta(seconds=float(waits[i]) + 1),
             "abandoned": bool(abandoned[i])} for i in range(len(waits))]
    rows_table = pa.Table.from_pylist(rows)
    estimate = estimate_patience(ibis.memtable(rows_table)).to_pylist()[0]["patience_s"]
    naive = float(waits[abandoned].mean())  # the abandoners' mean wait: far too short
    assert estimate == pytest.approx(120, rel=0.05)
    assert naive < 60
