"""`drill`: each child's part in a gap to target and in the change since last month (mix
and rate), on the drill operation of review_data.py. Expected figures are worked out by hand
or from the raw contact rows with plain Python."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpm.errors import CxpmError
from cxpm.review.drill import Drill, decompose, drill
from cxpm.targets.store import list_targets
from cxpm.workspace import Workspace

from . import review_data as rd
from .review_data import FEB, MAR

TOL = 1e-12


def run_drill(ws: Workspace, metric: str, child: str = "queue",
              where: dict[str, list[str]] | None = None, period: str = "2026-03") -> Drill:
    return drill(ws.warehouse.tables(), ws.metric_catalog(), metric=metric, child=child,
                 period=period, where=where, params=ws.metric_params(),
                 targets=list_targets(ws))


@pytest.fixture(scope="module")
def telecom_abandonment(drill_ws: Workspace) -> Drill:
    return run_drill(drill_ws, "abandonment_rate", where={"program": ["telecom"]})


def by_child(result: Drill) -> dict[str | None, Any]:
    return {c.child: c for c in result.children}


def test_abandonment_worked_by_hand(telecom_abandonment: Drill) -> None:
    """Telecom, target 0.15 (the telecom target, not the global 0.10).
    March: billing 3/12, sales 2/4, priority 0/4 → 5/20 = 0.25.
    February: billing 1/10, sales 1/6, legacy 2/4 → 4/20 = 0.20.
    Contributions w₁(r₁ − T): billing 0.6 × 0.10 = 0.06, sales 0.2 × 0.35 = 0.07,
    priority 0.2 × (−0.15) = −0.03, legacy 0.
    Mix (w₁ − w₀)(r₀ − R₀): billing 0.1 × (−0.1) = −0.01, sales −0.1 × (1/6 − 0.2) = 1/300,
    legacy −0.2 × 0.3 = −0.06, priority (new: r₀ = R₀) 0.
    Rate w₁(r₁ − r₀): billing 0.6 × 0.15 = 0.09, sales 0.2 × (0.5 − 1/6) = 1/15,
    priority 0.2 × (0 − 0.2) = −0.04, legacy (gone) 0."""
    result = telecom_abandonment
    assert result.metric == "abandonment_rate"
    assert (result.period, result.previous_period) == ("2026-03", "2026-02")
    assert result.where == {"program": ["telecom"]}
    assert result.value == pytest.approx(0.25, abs=TOL)
    assert result.previous_value == pytest.approx(0.20, abs=TOL)
    assert result.target == 0.15
    assert result.gap == pytest.approx(0.10, abs=TOL)
    assert result.change == pytest.approx(0.05, abs=TOL)
    children = by_child(result)
    assert set(children) == {"billing", "sales", "priority", "legacy"}
    expected = {  # volume, share, value, previous share, previous value, contribution, mix, rate
        "billing": (12, 0.6, 0.25, 0.5, 0.1, 0.06, -0.01, 0.09),
        "sales": (4, 0.2, 0.5, 0.3, 1 / 6, 0.07, 1 / 300, 1 / 15),
        "priority": (4, 0.2, 0.0, 0.0, None, -0.03, 0.0, -0.04),
        "legacy": (0, 0.0, None, 0.2, 0.5, 0.0, -0.06, 0.0),
    }
    for name, (volume, share, value, previous_share, previous_value, contribution, mix,
               rate) in expected.items():
        c = children[name]
        assert c.volume == volume, name
        assert c.share == pytest.approx(share, abs=TOL), name
        assert c.value == (None if value is None else pytest.approx(value, abs=TOL)), name
        assert c.previous_share == pytest.approx(previous_share, abs=TOL), name
        assert c.previous_value == (None if previous_value is None
                                    else pytest.approx(previous_value, abs=TOL)), name
        assert c.gap_contribution == pytest.approx(contribution, abs=TOL), name
        assert c.mix_effect == pytest.approx(mix, abs=TOL), name
        assert c.rate_effect == pytest.approx(rate, abs=TOL), name
    # largest contribution to the gap first
    assert [c.child for c in result.children] == ["sales", "billing", "priority", "legacy"]


def expected_children(value: Callable[[list[dict]], float],
                      volume: Callable[[list[dict]], float], program: str,
                      target: float | None) -> dict[str, tuple]:
    """(volume, share, value, contribution, mix, rate) per queue of `program`, from the raw
    contacts: the docstring formulas of cxpm.review.drill written out again."""
    rows = [r for r in rd.drill_contacts() if r["program"] == program]

    def groups(month: date) -> dict[str, tuple[float, float | None]]:
        out: dict[str, tuple[float, float | None]] = {}
        for queue in {r["queue"] for r in rows}:
            these = [r for r in rd.in_month(rows, month) if r["queue"] == queue]
            n = volume(these) if these else 0
            out[queue] = (n, value(these) if n else None)
        return out

    now, before = groups(MAR), groups(FEB)
    total_now = sum(n for n, _ in now.values())
    total_before = sum(n for n, _ in before.values())
    previous_rate = sum(n * r for n, r in before.values() if n) / total_before
    out = {}
    for queue in now:
        n1, r1 = now[queue]
        n0, r0 = before[queue]
        w1, w0 = n1 / total_now, n0 / total_before
        base = r0 if n0 else previous_rate
        contribution = None if target is None else (w1 * (r1 - target) if n1 else 0.0)
        out[queue] = (n1, w1, r1 if n1 else None, contribution,
                      (w1 - w0) * (base - previous_rate), w1 * (r1 - base) if n1 else 0.0)
    return out


CASES = {
    "abandonment_rate": (rd.abandonment_rate, len, 0.15),
    "service_level": (rd.service_level, rd.service_level_denominator, 0.80),
}


@pytest.mark.parametrize("metric", sorted(CASES))
def test_children_match_the_raw_rows(drill_ws: Workspace, metric: str) -> None:
    value, volume, target = CASES[metric]
    result = run_drill(drill_ws, metric, where={"program": ["telecom"]})
    assert result.target == target
    expected = expected_children(value, volume, "telecom", target)
    children = by_child(result)
    assert set(children) == set(expected)
    for queue, (n, share, r, contribution, mix, rate) in expected.items():
        c = children[queue]
        assert c.volume == n, queue
        assert c.share == pytest.approx(share, abs=TOL), queue
        assert c.value == (None if r is None else pytest.approx(r, abs=TOL)), queue
        assert c.gap_contribution == pytest.approx(contribution, abs=TOL), queue
        assert c.mix_effect == pytest.approx(mix, abs=TOL), queue
        assert c.rate_effect == pytest.approx(rate, abs=TOL), queue
    telecom = [r for r in rd.drill_contacts() if r["program"] == "telecom"]
    assert result.value == pytest.approx(value(rd.in_month(telecom, MAR)), abs=TOL)
    assert result.previous_value == pytest.approx(value(rd.in_month(telecom, FEB)), abs=TOL)
    # the parts add up to the whole
    assert sum(c.gap_contribution for c in result.children) == pytest.approx(
        result.gap, abs=TOL)
    assert sum(c.mix_effect + c.rate_effect for c in result.children) == pytest.approx(
        result.change, abs=TOL)


def test_without_filter_the_global_target_applies(drill_ws: Workspace) -> None:
    """Both programs: billing gathers telecom and retail (March 7/17, February 1/15)."""
    result = run_drill(drill_ws, "abandonment_rate")
    assert result.where == {}
    assert result.target == 0.10
    rows = rd.drill_contacts()
    assert result.value == pytest.approx(rd.abandonment_rate(rd.in_month(rows, MAR)), abs=TOL)
    billing = by_child(result)["billing"]
    assert billing.volume == 17
    assert billing.value == pytest.approx(7 / 17, abs=TOL)
    assert billing.previous_value == pytest.approx(1 / 15, abs=TOL)
    assert billing.gap_contribution == pytest.approx(17 / 25 * (7 / 17 - 0.10), abs=TOL)
    assert sum(c.gap_contribution for c in result.children) == pytest.approx(
        result.gap, abs=TOL)
    assert sum(c.mix_effect + c.rate_effect for c in result.children) == pytest.approx(
        result.change, abs=TOL)


def test_several_values_in_a_filter_use_no_target(drill_ws: Workspace) -> None:
    result = run_drill(drill_ws, "abandonment_rate",
                       where={"program": ["telecom", "retail"]})
    assert result.target is None and result.gap is None
    assert all(c.gap_contribution is None for c in result.children)
    assert sum(c.mix_effect + c.rate_effect for c in result.children) == pytest.approx(
        result.change, abs=TOL)


def test_another_child_dimension(drill_ws: Workspace) -> None:
    """By agent: abandoned contacts have no agent (child None)."""
    result = run_drill(drill_ws, "abandonment_rate", child="agent_id",
                       where={"program": ["telecom"]})
    children = by_child(result)
    assert children[None].value == 1.0 and children[None].volume == 5
    assert children["a1"].value == 0.0
    assert sum(c.volume for c in result.children) == 20


children_strategy = st.dictionaries(
    st.sampled_from("abcdef"),
    st.tuples(st.integers(min_value=1, max_value=10_000),
              st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)),
    min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(current=children_strategy, previous=children_strategy,
       target=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_decomposition_adds_up(current: dict, previous: dict, target: float) -> None:
    def mean(children: dict) -> float:
        return sum(n * r for n, r in children.values()) / sum(n for n, _ in children.values())

    effects = decompose({k: (float(n), r) for k, (n, r) in current.items()},
                        {k: (float(n), r) for k, (n, r) in previous.items()}, target)
    assert {e.child for e in effects} == set(current) | set(previous)
    scale = 1e-12 * (1 + abs(target) + max(abs(r) for _, r in [*current.values(),
                                                               *previous.values()]))
    assert sum(e.gap_contribution for e in effects) == pytest.approx(
        mean(current) - target, abs=scale)
    assert sum(e.mix_effect + e.rate_effect for e in effects) == pytest.approx(
        mean(current) - mean(previous), abs=scale)
    for e in effects:
        if e.child not in previous:  # new: no mix effect
            assert e.mix_effect == 0 and e.previous_share == 0
        if e.child not in current:  # gone: no rate effect, no part in the gap
            assert e.rate_effect == 0 and e.gap_contribution == 0 and e.share == 0


def test_decompose_without_previous_period_or_target() -> None:
    effects = decompose({"a": (3.0, 0.5), "b": (1.0, 1.0)}, {}, None)
    assert [(e.child, e.share, e.gap_contribution, e.mix_effect, e.rate_effect)
            for e in effects] == [("a", 0.75, None, None, None), ("b", 0.25, None, None, None)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"metric": "offered"}, "offered is a count"),
    ({"metric": "abandoned"}, "abandoned is a count"),
    ({"child": "program"}, "--by program is also filtered by --where"),
    ({"metric": "abandonment_rat"}, "unknown metric 'abandonment_rat'"),
    ({"child": "team"}, "cannot be split or filtered by team"),
    ({"where": {"colour": ["red"]}}, "cannot be split or filtered by colour"),
    ({"period": "2026-3-x"}, "period must be YYYY-MM"),
    ({"where": {"program": ["telcom"]}}, "no abandonment_rate data in 2026-03 or 2026-02 for "
                                         "program=telcom"),
    ({"period": "2025-06"}, "no abandonment_rate data in 2025-06 or 2025-05"),
])
def test_bad_input_is_refused(drill_ws: Workspace, kwargs: dict[str, Any],
                              message: str) -> None:
    args: dict[str, Any] = {"metric": "abandonment_rate", "where": {"program": ["telecom"]},
                            **kwargs}
    with pytest.raises(CxpmError, match=re.escape(message)):
        run_drill(drill_ws, **args)
