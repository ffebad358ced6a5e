"""The engine on a real workspace warehouse (DuckDB file), local periods in a non-UTC zone."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from cxpm.metrics.engine import compute, explain, to_records
from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema
from cxpm.workspace import init_workspace


def test_compute_on_a_workspace_warehouse(tmp_path):
    ws = init_workspace(tmp_path / "ws", "America/New_York")
    schema = arrow_schema(TABLES["contacts"])
    # 2024-02-01 03:00 UTC is 2024-01-31 22:00 in New York: it belongs to January.
    rows = [
        {"contact_id": "a", "arrived_at": datetime(2024, 2, 1, 3, 0),
         "answered_at": datetime(2024, 2, 1, 3, 0, 10), "abandoned": False, "talk_s": 100.0,
         "local_time": datetime(2024, 1, 31, 22, 0), "channel": "voice"},
        {"contact_id": "b", "arrived_at": datetime(2024, 2, 1, 6, 0),
         "answered_at": None, "abandoned": True, "ended_at": datetime(2024, 2, 1, 6, 1),
         "local_time": datetime(2024, 2, 1, 1, 0), "channel": "voice"},
    ]
    ws.warehouse.con.insert("contacts", pa.Table.from_pylist(
        [{c: r.get(c) for c in schema.names} for r in rows], schema=schema))
    try:
        tables = ws.warehouse.tables()
        got = to_records(compute(tables, ["offered", "service_level"], grain="month"))
        assert got == [
            {"period_start": "2024-01-01T00:00:00", "metric": "offered", "value": 1.0,
             "numerator": None, "denominator": None},
            {"period_start": "2024-01-01T00:00:00", "metric": "service_level", "value": 1.0,
             "numerator": 1.0, "denominator": 1.0},
            {"period_start": "2024-02-01T00:00:00", "metric": "offered", "value": 1.0,
             "numerator": None, "denominator": None},
            # Abandoned after 60 s > 20 s: 0 answered within T / 1.
            {"period_start": "2024-02-01T00:00:00", "metric": "service_level", "value": 0.0,
             "numerator": 0.0, "denominator": 1.0},
        ]
        # Every built-in compiles on the (empty) tables of a fresh workspace.
        from cxpm.metrics.catalog import load_catalog

        for definition in load_catalog():
            assert "SELECT" in explain(definition.id, tables).sql
        empty = to_records(compute(tables, ["csat", "occupancy", "cost_per_contact"]))
        assert [r["value"] for r in empty] == [None, None, None]
    finally:
        ws.close()


def test_attrition_on_an_empty_roster_by_month(tmp_path):
    ws = init_workspace(tmp_path / "ws", "UTC")
    try:
        result = compute(ws.warehouse.tables(), ["attrition_rate_annualized"], grain="month")
        assert result.num_rows == 0
    finally:
        ws.close()


@pytest.mark.parametrize("metric", ["offered", "attrition_rate_annualized"])
def test_result_schema_is_stable_when_empty(tmp_path, metric):
    ws = init_workspace(tmp_path / "ws", "UTC")
    try:
        result = compute(ws.warehouse.tables(), [metric], by=["site"], grain="day")
        assert result.schema.names == ["site", "period_start", "metric", "value", "numerator",
                                       "denominator"]
        assert result.schema.field("period_start").type == pa.timestamp("us")
    finally:
        ws.close()
