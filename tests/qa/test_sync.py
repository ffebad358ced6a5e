"""Saved evaluations in the warehouse: the metric engine's quality metrics by every dimension,
worked out in plain Python from the evaluations' hand-made scores; sync repairs and removes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from cxpm.metrics.engine import compute, to_records
from cxpm.qa.sync import QA_SOURCE, sync_evaluations
from cxpm.workspace import Workspace

from .conftest import OPERATION_EVALUATIONS, contact_dimension, contact_of, warehouse_rows

METRICS = ["customer_critical_accuracy", "business_critical_accuracy",
           "compliance_critical_accuracy", "noncritical_accuracy", "qa_score"]
DIMENSIONS = ["agent_id", "team", "program", "site", "vendor", "channel", "handled_by",
              "evaluator_id", "form_id"]


def dimension_value(evaluation_id: str, dimension: str) -> Any:
    agent, contact_id, evaluator, *_ = OPERATION_EVALUATIONS[evaluation_id]
    if dimension == "agent_id":
        return agent
    if dimension == "evaluator_id":
        return evaluator
    if dimension == "form_id":
        return "svc"
    return contact_dimension(contact_of(contact_id), dimension)


def expected_metrics(dimension: str) -> dict[Any, dict[str, float]]:
    groups: dict[Any, list[tuple]] = defaultdict(list)
    for evaluation_id, values in OPERATION_EVALUATIONS.items():
        groups[dimension_value(evaluation_id, dimension)].append(values[4:])
    out = {}
    for key, rows in groups.items():
        count = len(rows)
        errors = sum(r[4] for r in rows)
        opportunities = sum(r[5] for r in rows)
        out[key] = {
            "qa_score": sum(r[0] for r in rows) / count,
            "customer_critical_accuracy": sum(not r[1] for r in rows) / count,
            "business_critical_accuracy": sum(not r[2] for r in rows) / count,
            "compliance_critical_accuracy": sum(not r[3] for r in rows) / count,
            "noncritical_accuracy": (opportunities - errors) / opportunities,
        }
    return out


def october(ws: Workspace, by: list[str], **params: Any) -> list[dict[str, Any]]:
    return to_records(compute(ws.warehouse.tables(), METRICS, by=by, grain="all",
                              start=date(2026, 10, 1), end=date(2026, 10, 31),
                              params=ws.metric_params([f"{k}={v}" for k, v in params.items()])))


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_quality_metrics_by_dimension(operation: Workspace, dimension: str) -> None:
    expected = expected_metrics(dimension)
    got: dict[Any, dict[str, float]] = defaultdict(dict)
    for record in october(operation, [dimension]):
        got[record[dimension]][record["metric"]] = record["value"]
    assert set(got) == set(expected)
    for key, metrics in expected.items():
        assert got[key] == pytest.approx(metrics), key
    # The spec's point: the three critical accuracies are separate numbers.
    if dimension == "agent_id":
        assert expected["A1"]["customer_critical_accuracy"] == 2 / 4
        assert expected["A1"]["compliance_critical_accuracy"] == 3 / 4
        assert expected["A1"]["business_critical_accuracy"] == 1


def test_calibration_evaluations_only_with_the_parameter(operation: Workspace) -> None:
    (without,) = [r for r in october(operation, []) if r["metric"] ==
                  "customer_critical_accuracy"]
    (with_calibration,) = [r for r in october(operation, [], **{"qa.include_calibration":
                                                                 "true"})
                           if r["metric"] == "customer_critical_accuracy"]
    failed = sum(v[5] for v in OPERATION_EVALUATIONS.values())  # ev2, ev7, ev8
    total = len(OPERATION_EVALUATIONS)
    assert without["value"] == pytest.approx((total - failed) / total)
    # cal1 failed the customer-critical item too.
    assert with_calibration["value"] == pytest.approx((total - failed) / (total + 1))


def test_sync_repairs_and_removes(operation: Workspace) -> None:
    before = sorted(warehouse_rows(operation, "evaluations"), key=lambda r: r["evaluation_id"])
    operation.warehouse.con.raw_sql("DELETE FROM evaluation_items")
    operation.warehouse.con.raw_sql("DELETE FROM evaluations WHERE evaluation_id = 'ev1'")
    # A stale copy of an evaluation the app database does not hold.
    stale = {**before[0], "evaluation_id": "ghost"}
    import pyarrow as pa

    operation.warehouse.con.insert("evaluations", pa.Table.from_pylist(
        [stale], schema=operation.warehouse.table("evaluations").schema().to_pyarrow()))
    written = sync_evaluations(operation)
    assert written == len(before) == len(OPERATION_EVALUATIONS) + 2
    after = sorted(warehouse_rows(operation, "evaluations"), key=lambda r: r["evaluation_id"])
    assert after == before
    assert {r["source"] for r in after} == {QA_SOURCE}
    assert len(warehouse_rows(operation, "evaluation_items")) == 6 * len(before)
