"""Drawing the month's sample from a workspace: only handled contacts of the month not yet
evaluated, reproducible, --per-agent or --margin, evaluators by default the recent ones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.sample_plan import plan_sample
from cxpm.workspace import Workspace, init_workspace

from .conftest import (
    CALIBRATION_EVALUATION,
    CONTACTS,
    OPERATION_EVALUATIONS,
    SEPTEMBER_EVALUATION,
    is_handled_in_october,
    load_operation,
)

EVALUATED = {v[1] for v in OPERATION_EVALUATIONS.values()} | {
    CALIBRATION_EVALUATION[2], SEPTEMBER_EVALUATION[2]}
CANDIDATES = {c["contact_id"]: c["agent_id"] for c in CONTACTS
              if is_handled_in_october(c) and c["contact_id"] not in EVALUATED}


def test_per_agent_sample(operation: Workspace) -> None:
    # c9, c13-c18: handled in October, never evaluated (c5 was, in a calibration session).
    assert sorted(CANDIDATES) == ["c13", "c14", "c15", "c16", "c17", "c18", "c9"]
    plan = plan_sample(operation.warehouse.tables(), period="2026-10", per_agent=1, seed=7)
    drawn = plan.assignments.to_dicts()
    assert {r["contact_id"] for r in drawn} <= set(CANDIDATES)
    per_subject = Counter(r["subject_id"] for r in drawn)
    available = Counter(CANDIDATES.values())
    assert per_subject == {agent: min(1, count) for agent, count in available.items()}
    assert all(CANDIDATES[r["contact_id"]] == r["subject_id"] for r in drawn)
    # Evaluators: those who evaluated in the last three months, outside calibration.
    assert plan.evaluators == ["E1", "E2"]
    loads = Counter(r["evaluator_id"] for r in drawn)
    assert set(loads) <= {"E1", "E2"} and max(loads.values()) - min(loads.values()) <= 1
    summary = {r["subject_id"]: r for r in plan.summary.to_dicts()}
    assert {s: r["available"] for s, r in summary.items()} == dict(available)

    again = plan_sample(operation.warehouse.tables(), period="2026-10", per_agent=1, seed=7)
    assert again.assignments.equals(plan.assignments)


def test_margin_and_named_evaluators(operation: Workspace) -> None:
    # At most 3 candidates per agent: +-5% needs every one of them.
    plan = plan_sample(operation.warehouse.tables(), period="2026-10", margin=0.05,
                       evaluators=["Q1", "Q2", "Q3"])
    assert sorted(plan.assignments["contact_id"].to_list()) == sorted(CANDIDATES)
    assert plan.evaluators == ["Q1", "Q2", "Q3"]
    assert sorted(Counter(plan.assignments["evaluator_id"].to_list()).values()) == [2, 2, 3]
    assert plan.summary["shortfall"].sum() == 0


def test_errors(operation: Workspace, tmp_path: Path) -> None:
    tables = operation.warehouse.tables()
    with pytest.raises(CxpmError, match="either --per-agent N or --margin E"):
        plan_sample(tables, period="2026-10")
    with pytest.raises(CxpmError, match="either --per-agent N or --margin E"):
        plan_sample(tables, period="2026-10", per_agent=1, margin=0.05)
    with pytest.raises(CxpmError, match="no handled contacts without an evaluation in 2026-08"):
        plan_sample(tables, period="2026-08", per_agent=1)
    fresh = init_workspace(tmp_path / "fresh", "UTC")
    try:
        load_operation(fresh, tmp_path / "files")
        with pytest.raises(CxpmError, match="no evaluators"):
            plan_sample(fresh.warehouse.tables(), period="2026-10", per_agent=2)
        plan = plan_sample(fresh.warehouse.tables(), period="2026-10", per_agent=2,
                           evaluators=["Q1"])
        handled = Counter(c["agent_id"] for c in CONTACTS if is_handled_in_october(c))
        assert Counter(plan.assignments["subject_id"].to_list()) == \
            {agent: min(2, count) for agent, count in handled.items()}
    finally:
        fresh.close()
