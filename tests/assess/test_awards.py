"""Awards on the small operation of awards_data.py: every expected index is worked out here
from the raw rows with plain Python, then compared with what cxpm computes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from cxpm.assess.awards import Awards, build_awards
from cxpm.assess.composite import attainment
from cxpm.errors import CxpmError
from cxpm.metrics.catalog import load_catalog
from cxpm.targets.store import list_targets
from cxpm.workspace import Workspace, open_workspace

from .awards_data import OPERATION

HIGHER = {"csat", "nps", "customer_critical_accuracy", "business_critical_accuracy",
          "compliance_critical_accuracy", "revenue_per_contact"}
COMPONENT_METRICS = {
    "experience": ("csat", "nps"),  # first_contact_resolution has no target: never counts
    "quality": ("customer_critical_accuracy", "business_critical_accuracy",
                "compliance_critical_accuracy"),
    "cost": ("cost_per_contact", "cost_per_resolved_contact"),
    "revenue": ("revenue_per_contact",),
}
EQUAL = {name: 1.0 for name in COMPONENT_METRICS}


def hand_values(program: str, year: int) -> dict[str, float | None]:
    """Metric values of a program-year from the raw rows (every contact is answered)."""
    spec = OPERATION[(program, year)]
    contacts, surveys, evaluations = spec["contacts"], spec["surveys"], spec["evaluations"]
    answered = len(contacts)
    resolved = sum(1 for done, _ in contacts if done)
    cost = sum(spec["costs"])
    values: dict[str, float | None] = {
        "csat": (sum(1 for _, csat, _ in surveys if csat >= 4) / len(surveys)
                 if surveys else None),
        "nps": (100 * (sum(1 for *_, nps in surveys if nps >= 9)
                       - sum(1 for *_, nps in surveys if nps <= 6)) / len(surveys)
                if surveys else None),
        "cost_per_contact": cost / answered,
        "cost_per_resolved_contact": cost / resolved,
        "revenue_per_contact": sum(revenue for _, revenue in contacts) / answered,
    }
    for position, metric in enumerate(COMPONENT_METRICS["quality"], start=1):
        values[metric] = 1 - sum(e[position] for e in evaluations) / len(evaluations)
    return values


def hand_target(metric: str, program: str, year: int) -> float:
    """The targets of awards_data.target_specs as they apply in December of `year`."""
    if metric == "csat":
        return 0.9 if program == "B" else 0.8  # B's own target is more specific
    if metric == "cost_per_contact":
        return 6.0 if year == 2025 else 5.0
    return {"nps": 40, "customer_critical_accuracy": 0.9, "business_critical_accuracy": 0.9,
            "compliance_critical_accuracy": 0.95, "cost_per_resolved_contact": 8.0,
            "revenue_per_contact": 10.0}[metric]


def hand_components(program: str, year: int) -> dict[str, float | None]:
    values = hand_values(program, year)
    scores: dict[str, float | None] = {}
    for name, metrics in COMPONENT_METRICS.items():
        ratios = []
        for metric in metrics:
            if values[metric] is None:
                continue
            target = hand_target(metric, program, year)
            ratio = (values[metric] / target if metric in HIGHER
                     else target / values[metric])
            ratios.append(min(max(ratio, 0.0), 1.5))
        scores[name] = sum(ratios) / len(ratios) if ratios else None
    return scores


def hand_index(program: str, year: int, weights: Mapping[str, float] = EQUAL) -> float | None:
    scores = hand_components(program, year)
    weighted = {name: w for name, w in weights.items() if w > 0}
    if any(scores[name] is None for name in weighted):
        return None
    return sum(w * scores[name] for name, w in weighted.items()) / sum(weighted.values())


@pytest.fixture
def ws(awards_workspace: Path) -> Iterator[Workspace]:
    workspace = open_workspace(awards_workspace)
    yield workspace
    workspace.close()


def awards_for(ws: Workspace, *overrides: str, year: int = 2026, by: str = "program",
               catalog: Any = None) -> Awards:
    return build_awards(ws.warehouse.tables(), catalog or ws.metric_catalog(),
                        list_targets(ws), year=year, by=by,
                        params=ws.metric_params(list(overrides)))


def test_superior_ranking_matches_the_hand_worked_index(ws: Workspace) -> None:
    awards = awards_for(ws)
    # Worked out once by hand for A in 2026: experience mean(1.0/0.8, min(75/40, 1.5)) =
    # 1.375; quality mean(1/0.9, 1/0.9, 1/0.95); cost mean(5/8, 8/8) = 0.8125; revenue 1.
    a_2026 = (1.375 + (2 / 0.9 + 1 / 0.95) / 3 + 0.8125 + 1.0) / 4
    assert hand_index("A", 2026) == pytest.approx(a_2026)
    expected = sorted((p for p in ("A", "B") if hand_index(p, 2026) is not None),
                      key=lambda p: -hand_index(p, 2026))
    ranked = [e for e in awards.superior if e.rank is not None]
    assert [e.group for e in ranked] == expected == ["A", "B"]
    assert [e.rank for e in ranked] == [1, 2]
    for entry in ranked:
        assert entry.index == pytest.approx(hand_index(entry.group, 2026))
        scores = {c.component: c.score for c in entry.components}
        assert scores == pytest.approx(hand_components(entry.group, 2026))
    assert awards.weights == EQUAL


def test_breakdown_shows_value_target_and_attainment(ws: Workspace) -> None:
    entry = next(e for e in awards_for(ws).superior if e.group == "B")
    metrics = {m.metric: m for c in entry.components for m in c.metrics}
    values = hand_values("B", 2026)
    for metric in ("csat", "cost_per_contact", "revenue_per_contact"):
        assert metrics[metric].value == pytest.approx(values[metric])
        assert metrics[metric].target == hand_target(metric, "B", 2026)
    # B's cost per contact (15 / 5 = 3) beats its target of 5 by more than half: capped.
    assert metrics["cost_per_contact"].attainment == 1.5
    assert metrics["csat"].target == 0.9  # B's own target wins over the global 0.8
    assert metrics["first_contact_resolution"].value == 1.0  # nobody called twice
    assert metrics["first_contact_resolution"].attainment is None
    assert metrics["first_contact_resolution"].note == "no target"


def test_group_without_surveys_gets_no_index(ws: Workspace) -> None:
    awards = awards_for(ws)
    last = awards.superior[-1]
    assert (last.group, last.rank, last.index) == ("C", None, None)
    assert last.status == "insufficient data"
    assert last.missing == ["experience"]
    experience = next(c for c in last.components if c.component == "experience")
    assert experience.status == "insufficient data" and experience.score is None
    assert {m.metric: m.note for m in experience.metrics} == {
        "csat": "no value", "nps": "no value", "first_contact_resolution": "no target"}
    # The components C does have are still shown, computed as for everyone else.
    quality = next(c for c in last.components if c.component == "quality")
    assert quality.score == pytest.approx(hand_components("C", 2026)["quality"])


def test_transformation_ranks_the_change_of_the_index(ws: Workspace) -> None:
    awards = awards_for(ws)
    changes = {p: hand_index(p, 2026) - hand_index(p, 2025) for p in ("A", "B")}
    assert changes["B"] > changes["A"]  # the order differs from superior performance
    ranked = [e for e in awards.transformation if e.rank is not None]
    assert [e.group for e in ranked] == ["B", "A"]
    for entry in ranked:
        assert entry.change == pytest.approx(changes[entry.group])
        assert entry.previous_index == pytest.approx(hand_index(entry.group, 2025))
        previous = hand_components(entry.group, 2025)
        current = hand_components(entry.group, 2026)
        assert {c.component: c.change for c in entry.components} == pytest.approx(
            {name: current[name] - previous[name] for name in current})
    # 2025 is judged against the 2025 cost-per-contact target (6), 2026 against 5.
    cost = next(c for c in ranked[0].components if c.component == "cost")
    assert (cost.metrics[0].previous_target, cost.metrics[0].target) == (6.0, 5.0)
    last = awards.transformation[-1]
    assert (last.group, last.rank, last.change) == ("C", None, None)
    assert last.previous_index == pytest.approx(hand_index("C", 2025))
    assert last.missing == ["2026: experience"]


def test_weights_change_the_ranking(ws: Workspace) -> None:
    weights = {**EQUAL, "cost": 3.0}
    expected = sorted(("A", "B"), key=lambda p: -hand_index(p, 2026, weights))
    assert expected == ["B", "A"]  # B's cheap contacts now outweigh A's experience
    awards = awards_for(ws, "awards.weight.cost=3")
    ranked = [e for e in awards.superior if e.rank is not None]
    assert [e.group for e in ranked] == expected
    for entry in ranked:
        assert entry.index == pytest.approx(hand_index(entry.group, 2026, weights))


def test_zero_weight_drops_the_missing_component(ws: Workspace) -> None:
    weights = {**EQUAL, "experience": 0.0}
    awards = awards_for(ws, "awards.weight.experience=0")
    by_group = {e.group: e for e in awards.superior}
    assert by_group["C"].rank is not None
    for program in ("A", "B", "C"):
        assert by_group[program].index == pytest.approx(hand_index(program, 2026, weights))


def test_metric_without_the_grouping_dimension_is_unavailable(ws: Workspace) -> None:
    # A workspace redefining revenue per contact from agent states, which have no program.
    catalog = load_catalog([{"id": "revenue_per_contact", "source": "agent_states",
                             "filter": "duration_s > 0", "numerator": "duration_s",
                             "denominator": "1"}])
    awards = awards_for(ws, catalog=catalog)
    assert [u.metric for u in awards.unavailable] == ["revenue_per_contact"]
    assert "program" in awards.unavailable[0].reason
    assert all(e.rank is None and "revenue" in e.missing for e in awards.superior)
    revenue = next(c for c in awards.superior[0].components if c.component == "revenue")
    assert revenue.metrics[0].note.startswith("unavailable: ")
    without_revenue = awards_for(ws, "awards.weight.revenue=0", catalog=catalog)
    weights = {**EQUAL, "revenue": 0.0}
    assert {e.group: e.index for e in without_revenue.superior if e.rank} == pytest.approx(
        {p: hand_index(p, 2026, weights) for p in ("A", "B")})


def test_by_site_pools_the_programs_of_a_site(ws: Workspace) -> None:
    awards = awards_for(ws, by="site")
    # S2 holds B and C; C has no 2026 surveys but B's count, so S2 has an experience score.
    assert {e.group for e in awards.superior} == {"S1", "S2"}
    s1 = next(e for e in awards.superior if e.group == "S1")
    assert s1.index == pytest.approx(hand_index("A", 2026))  # S1 is program A alone


@pytest.mark.parametrize(("value", "target", "higher", "expected"), [
    (0.9, 0.8, True, 0.9 / 0.8),
    (4.0, 5.0, False, 1.25),
    (2.0, 5.0, False, 1.5),  # capped
    (-20.0, 40.0, True, 0.0),  # a negative NPS attains nothing, not less than nothing
    (0.0, 5.0, False, 1.5),  # a cost of 0 cannot be beaten
])
def test_attainment_rule(value: float, target: float, higher: bool, expected: float) -> None:
    ratio, note = attainment(value, target, "higher" if higher else "lower")
    assert ratio == pytest.approx(expected) and note is None


def test_attainment_needs_a_positive_target() -> None:
    ratio, note = attainment(10.0, 0.0, "higher")
    assert ratio is None and "not above 0" in note


@pytest.mark.parametrize(("kwargs", "overrides", "message"), [
    ({"by": "queue"}, [], "awards group by program, site, vendor"),
    ({"year": 2030}, [], "no program has data in 2030"),
    ({}, [f"awards.weight.{c}=0" for c in EQUAL], "every awards.weight.* parameter is 0"),
])
def test_bad_requests_are_clear_errors(ws: Workspace, kwargs: dict[str, Any],
                                       overrides: list[str], message: str) -> None:
    with pytest.raises(CxpmError, match=message.replace("*", r"\*").replace(".", r"\.")):
        awards_for(ws, *overrides, **kwargs)
