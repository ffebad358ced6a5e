"""The quality report: accuracies with Wilson intervals (textbook formula), evaluations done
against the sample each group needs, and the critical-error Pareto."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from statistics import NormalDist
from typing import Any

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.evaluations import save_evaluations
from cxpm.qa.form_store import import_form
from cxpm.qa.report import build_qa_report
from cxpm.workspace import Workspace, init_workspace

from .conftest import (
    CONTACTS,
    GOOD,
    OPERATION_EVALUATIONS,
    contact_dimension,
    contact_of,
    evaluation,
    is_handled_in_october,
    write_form,
)

Z95 = NormalDist().inv_cdf(0.975)


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def required_sample(population: int, margin: float = 0.05, p: float = 0.5) -> int:
    n0 = Z95 ** 2 * p * (1 - p) / margin ** 2
    return math.ceil(n0 / (1 + (n0 - 1) / population))


def report(ws: Workspace, by: list[str], top: int = 10, **params: Any):
    return build_qa_report(ws.warehouse.tables(), by=by, top=top,
                           params=ws.metric_params([f"{k}={v}" for k, v in params.items()]))


def group_of(evaluation_id: str, dimension: str) -> Any:
    agent, contact_id = OPERATION_EVALUATIONS[evaluation_id][:2]
    if dimension == "agent_id":
        return agent
    return contact_dimension(contact_of(contact_id), dimension)


def population_of(dimension: str) -> Counter:
    handled = [c for c in CONTACTS if is_handled_in_october(c)]
    return Counter(contact_dimension(c, dimension) for c in handled)


@pytest.mark.parametrize("dimension", ["program", "team", "site", "vendor"])
def test_accuracy_intervals_and_sample_adequacy(operation: Workspace, dimension: str) -> None:
    result = report(operation, [dimension])
    assert result.period == "2026-10"  # the latest month with evaluations
    assert result.by == [dimension]
    groups: dict[Any, list[tuple]] = defaultdict(list)
    for evaluation_id, values in OPERATION_EVALUATIONS.items():
        groups[group_of(evaluation_id, dimension)].append(values)
    population = population_of(dimension)
    rows = {row.dimensions[dimension]: row for row in result.rows}
    assert set(rows) == set(groups)
    adequacy = {}
    for key, evaluations in groups.items():
        row = rows[key]
        done = len(evaluations)
        assert row.evaluations == done
        for metric, flag in (("customer_critical_accuracy", 5),
                             ("business_critical_accuracy", 6),
                             ("compliance_critical_accuracy", 7)):
            free = sum(not v[flag] for v in evaluations)
            cell = getattr(row, metric)
            assert (cell.numerator, cell.denominator) == (free, done)
            assert cell.value == pytest.approx(free / done)
            assert (cell.low, cell.high) == pytest.approx(wilson(free, done))
        opportunities = sum(v[9] for v in evaluations)
        correct = opportunities - sum(v[8] for v in evaluations)
        assert (row.noncritical_accuracy.low, row.noncritical_accuracy.high) == \
            pytest.approx(wilson(correct, opportunities))
        assert row.qa_score == pytest.approx(sum(v[4] for v in evaluations) / done)
        assert row.population == population[key]
        assert row.required == required_sample(population[key])
        assert row.adequate is (done >= row.required)
        adequacy[key] = row.adequate
    if dimension in ("program", "team"):
        # Both outcomes occur, so the flag is really tested.
        assert set(adequacy.values()) == {True, False}
    if dimension in ("site", "vendor"):
        # c4 and c15 have no site or vendor of their own: they count where A2 works.
        assert population[rows_key := ("S2" if dimension == "site" else "V2")] == 4
        assert rows[rows_key].population == 4


def test_sample_parameters_set_the_requirement(operation: Workspace) -> None:
    result = report(operation, ["program"], **{"qa.sample.margin": 0.3,
                                               "qa.sample.confidence": 0.9})
    z = NormalDist().inv_cdf(0.95)
    n0 = z * z * 0.25 / 0.3 ** 2  # 7.5
    population = population_of("program")
    for row in result.rows:
        handled = population[row.dimensions["program"]]
        assert row.required == math.ceil(n0 / (1 + (n0 - 1) / handled))
    assert (result.confidence, result.margin) == (0.9, 0.3)
    # Intervals follow the confidence too.
    cell = result.rows[0].customer_critical_accuracy
    assert (cell.low, cell.high) == pytest.approx(wilson(cell.numerator, cell.denominator, z))


def test_wilson_bounds_of_a_perfect_record(operation: Workspace) -> None:
    rows = {row.dimensions["agent_id"]: row for row in report(operation, ["agent"]).rows}
    # A3: ev5 (bc failed) and ev6: customer-critical 2 of 2, business-critical 1 of 2.
    assert rows["A3"].customer_critical_accuracy.high == pytest.approx(1.0)
    assert rows["A3"].customer_critical_accuracy.low == pytest.approx(wilson(2, 2)[0])
    assert rows["A3"].business_critical_accuracy.value == 0.5


def test_grouping_without_a_population(operation: Workspace) -> None:
    result = report(operation, ["evaluator"])
    assert result.by == ["evaluator_id"]
    assert {r.dimensions["evaluator_id"] for r in result.rows} == {"E1", "E2"}
    assert all(r.population is None and r.required is None and r.adequate is None
               for r in result.rows)


def test_critical_error_pareto(operation: Workspace) -> None:
    errors: dict[str, Counter] = defaultdict(Counter)
    for agent, _, _, answers, *_ in OPERATION_EVALUATIONS.values():
        for item in ("cc", "bc", "comp"):
            if answers[item] == "no":
                errors[agent][item] += 1
    expected = []
    for agent in sorted(errors):
        ranked = sorted(errors[agent].items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(errors[agent].values())
        running = 0
        for item, count in ranked:
            running += count
            expected.append((agent, item, count, count / total, running / total))
    assert expected[:2] == [("A1", "cc", 2, 2 / 3, 2 / 3), ("A1", "comp", 1, 1 / 3, 1.0)]
    pareto = report(operation, ["agent"]).pareto
    got = [(p.dimensions["agent_id"], p.item_id, p.errors, p.share, p.cumulative_share)
           for p in pareto]
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    assert [x for g in got for x in g[3:]] == pytest.approx([x for e in expected
                                                              for x in e[3:]])
    assert {p.category for p in pareto if p.item_id == "cc"} == {"customer_critical"}
    top = report(operation, ["agent"], top=1).pareto
    first_of_each = [e[:2] for i, e in enumerate(expected) if i == 0
                     or expected[i - 1][0] != e[0]]
    assert [(p.dimensions["agent_id"], p.item_id) for p in top] == first_of_each


def test_period_and_empty_workspace(operation: Workspace, tmp_path) -> None:
    september = build_qa_report(operation.warehouse.tables(), period="2026-09",
                                params=operation.metric_params())
    (row,) = september.rows
    assert row.evaluations == 1 and row.qa_score == 100.0
    with pytest.raises(CxpmError, match="cannot be split by item"):
        report(operation, ["agent", "item"])
    empty = init_workspace(tmp_path / "empty", "UTC")
    try:
        with pytest.raises(CxpmError, match="no evaluations yet"):
            build_qa_report(empty.warehouse.tables(), params=empty.metric_params())
        # The default month is the latest with evaluations the metrics count: a later
        # calibration session does not move it to a month without any.
        import_form(empty, write_form(tmp_path), actor="ann")
        save_evaluations(empty, [
            evaluation("oct", "A1", GOOD, evaluated_at="2026-10-10T10:00:00"),
            evaluation("nov", "A1", GOOD, evaluated_at="2026-11-10T10:00:00", session="S")],
            actor="ann")
        assert report(empty, []).period == "2026-10"
        assert report(empty, [], **{"qa.include_calibration": "true"}).period == "2026-11"
    finally:
        empty.close()
