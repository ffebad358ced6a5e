"""The quality report limited by `where` (how the web app applies a user's scope): every
figure — accuracies, populations, samples and the Pareto — counts only the evaluations and
contacts with those values, never the others'."""

from __future__ import annotations

import math
from collections import Counter
from statistics import NormalDist
from typing import Any

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.report import build_qa_report
from cxpm.workspace import Workspace

from .conftest import (
    CONTACTS,
    OPERATION_EVALUATIONS,
    contact_dimension,
    contact_of,
    is_handled_in_october,
)

Z95 = NormalDist().inv_cdf(0.975)


def _report(ws: Workspace, **kwargs: Any):
    return build_qa_report(ws.warehouse.tables(), params=ws.metric_params(), **kwargs)


def _value_of(evaluation_id: str, dimension: str) -> Any:
    agent, contact_id = OPERATION_EVALUATIONS[evaluation_id][:2]
    if dimension == "agent_id":
        return agent
    return contact_dimension(contact_of(contact_id), dimension)


def _required(population: int) -> int:
    n0 = Z95 ** 2 * 0.25 / 0.05 ** 2
    return math.ceil(n0 / (1 + (n0 - 1) / population))


@pytest.mark.parametrize(("dimension", "value"), [("vendor", "V1"), ("vendor", "V2"),
                                                  ("site", "S2"), ("program", "P2"),
                                                  ("agent_id", "A1")])
def test_where_counts_only_the_chosen_evaluations(operation: Workspace, dimension: str,
                                                  value: str) -> None:
    mine = {e: v for e, v in OPERATION_EVALUATIONS.items() if _value_of(e, dimension) == value}
    others = set(OPERATION_EVALUATIONS) - set(mine)
    assert mine and others  # the filter really leaves evaluations out
    result = _report(operation, period="2026-10", where={dimension: [value]})
    assert len(result.rows) == 1
    row = result.rows[0]
    assert row.evaluations == len(mine)
    free = sum(not v[5] for v in mine.values())
    assert (row.customer_critical_accuracy.numerator,
            row.customer_critical_accuracy.denominator) == (free, len(mine))
    assert row.qa_score == pytest.approx(sum(v[4] for v in mine.values()) / len(mine))
    handled = sum(1 for c in CONTACTS if is_handled_in_october(c)
                  and (c["agent_id"] if dimension == "agent_id"
                       else contact_dimension(c, dimension)) == value)
    assert row.population == handled
    assert row.required == _required(handled)
    # The Pareto: the critical items failed in the chosen evaluations only.
    failed = Counter(item for v in mine.values() for item in ("cc", "bc", "comp")
                     if v[3][item] == "no")
    assert {p.item_id: p.errors for p in result.pareto} == dict(failed)


def test_where_with_grouping_keeps_only_the_chosen_groups(operation: Workspace) -> None:
    result = _report(operation, period="2026-10", by=["agent"], where={"vendor": ["V2"]})
    # A2's contacts c4 and c15 have no vendor: the roster's (V2) counts, for the
    # evaluation and for the population alike.
    assert [r.dimensions["agent_id"] for r in result.rows] == ["A2"]
    assert result.rows[0].population == sum(
        1 for c in CONTACTS if is_handled_in_october(c) and c["agent_id"] == "A2")
    assert result.rows[0].population == 4
    everyone = _report(operation, period="2026-10", by=["agent"])
    assert len(everyone.rows) > 1
    assert [r for r in everyone.rows if r.dimensions["agent_id"] == "A2"] == result.rows


def test_where_on_a_value_nobody_has_is_empty(operation: Workspace) -> None:
    result = _report(operation, period="2026-10", where={"vendor": ["nobody"]})
    assert (result.rows, result.pareto) == ([], [])


def test_where_on_an_item_dimension_is_refused(operation: Workspace) -> None:
    with pytest.raises(CxpmError, match="item_id"):
        _report(operation, period="2026-10", where={"item_id": ["cc"]})
