"""Each run rule on hand-made series: where it must fire, and near misses where it must not.

Most series use centre 0 and sigma 1, so a value reads directly as its distance in sigmas."""

from __future__ import annotations

import pytest

from cxpm.review.spc import control_chart
from cxpm.review.spc_rules import RULE_IDS, find_signals


def signals_of(values: list[float], center: float = 0.0, sigma: float = 1.0) -> list[list[str]]:
    return find_signals(values, center, [sigma] * len(values))


def where(signals: list[list[str]], rule: str) -> list[int]:
    return [i for i, found in enumerate(signals) if rule in found]


def test_rule_ids_are_the_contract() -> None:
    assert RULE_IDS == ("we1", "we2", "we3", "we4", "trend")


# we1: a point beyond 3 sigma


def test_we1_fires_on_each_point_beyond_three_sigma_either_side() -> None:
    assert signals_of([0, 0.5, 3.5, 0, -3.2]) == [[], [], ["we1"], [], ["we1"]]


def test_we1_point_exactly_at_three_sigma_does_not_signal() -> None:
    assert signals_of([0, 3.0, 0, -3.0, 0]) == [[]] * 5


def test_we1_uses_the_given_centre_and_sigma() -> None:
    # centre 100, sigma 5: 86 is 2.8 sigma below, 116 is 3.2 sigma above
    assert signals_of([100, 86, 100, 116], center=100, sigma=5) == [[], [], [], ["we1"]]


# we2: 2 of 3 consecutive beyond 2 sigma on the same side


def test_we2_fires_on_the_second_point_beyond_two_sigma() -> None:
    assert signals_of([0, 2.5, 0.5, 2.1, 0]) == [[], [], [], ["we2"], []]


def test_we2_below_the_centre() -> None:
    assert signals_of([0, -2.5, -2.2, 0]) == [[], [], ["we2"], []]


def test_we2_opposite_sides_do_not_signal() -> None:
    assert signals_of([0, 2.5, -2.5, 0]) == [[]] * 4
    assert signals_of([0, 2.5, 0.5, -2.1]) == [[]] * 4


def test_we2_is_not_listed_on_a_point_that_is_not_beyond() -> None:
    # the third point completes a 3-window holding 2 beyond, but is not beyond itself
    assert signals_of([0, 2.5, 2.5, 0.5]) == [[], [], ["we2"], []]


def test_we2_point_exactly_at_two_sigma_does_not_count() -> None:
    assert signals_of([0, 2.0, 2.5, 0]) == [[]] * 4


def test_we2_needs_both_points_within_three() -> None:
    assert signals_of([2.5, 0, 2.5]) == [[], [], ["we2"]]
    assert signals_of([2.5, 0, 0, 2.5]) == [[]] * 4


def test_we2_at_the_start_of_a_series() -> None:
    # two points beyond among the first two are already 2 of any 3 that contain them
    assert signals_of([2.5, 2.5]) == [[], ["we2"]]


def test_we2_counts_points_beyond_three_sigma_too() -> None:
    assert signals_of([0, 3.5, 2.5]) == [[], ["we1"], ["we2"]]


# we3: 4 of 5 consecutive beyond 1 sigma on the same side


def test_we3_fires_on_the_fourth_point_beyond_one_sigma() -> None:
    assert signals_of([0, 1.5, 1.2, 0.5, 1.1, 1.3, 0]) == [[], [], [], [], [], ["we3"], []]


def test_we3_below_the_centre() -> None:
    assert where(signals_of([0, -1.5, -1.2, -1.1, -1.3]), "we3") == [4]


def test_we3_mixed_sides_do_not_signal() -> None:
    assert signals_of([0, 1.5, -1.5, 1.5, -1.5, 1.5]) == [[]] * 6


def test_we3_point_exactly_at_one_sigma_does_not_count() -> None:
    assert signals_of([0, 1.0, 1.5, 1.5, 1.5, 0]) == [[]] * 6


def test_we3_three_of_five_do_not_signal() -> None:
    assert signals_of([1.5, 0, 1.5, 0, 1.5]) == [[]] * 5


def test_we3_is_not_listed_on_a_point_that_is_not_beyond() -> None:
    assert signals_of([0, 1.5, 1.5, 1.5, 1.5, 0.5]) == [[], [], [], [], ["we3"], []]


def test_we3_at_the_start_of_a_series() -> None:
    assert where(signals_of([1.5, 1.5, 1.5, 1.5]), "we3") == [3]


# we4: 8 in a row on one side of the centre


def test_we4_fires_on_the_eighth_point_in_a_row() -> None:
    assert signals_of([-0.5] + [0.5] * 8) == [[]] * 8 + [["we4"]]


def test_we4_fires_on_every_point_that_extends_the_run() -> None:
    assert where(signals_of([0.5] * 10), "we4") == [7, 8, 9]


def test_we4_below_the_centre() -> None:
    assert where(signals_of([-0.3] * 8), "we4") == [7]


def test_we4_seven_in_a_row_do_not_signal() -> None:
    assert signals_of([-0.5] + [0.5] * 7 + [-0.5]) == [[]] * 9


def test_we4_a_point_on_the_centre_breaks_the_run() -> None:
    assert signals_of([0.5] * 4 + [0.0] + [0.5] * 4) == [[]] * 9


def test_we4_a_point_on_the_other_side_breaks_the_run() -> None:
    assert signals_of([0.5] * 4 + [-0.1] + [0.5] * 4) == [[]] * 9


# trend: 6 in a row steadily rising or falling


def test_trend_fires_on_the_sixth_rising_point() -> None:
    assert signals_of([0, 0.1, 0.2, 0.3, 0.4, 0.5]) == [[]] * 5 + [["trend"]]


def test_trend_falling() -> None:
    assert signals_of([0.5, 0.4, 0.3, 0.2, 0.1, 0.0]) == [[]] * 5 + [["trend"]]


def test_trend_across_the_centre() -> None:
    assert where(signals_of([-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.3]), "trend") == [5]


def test_trend_fires_on_every_point_that_extends_it() -> None:
    assert where(signals_of([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), "trend") == [5, 6]


def test_trend_five_rising_do_not_signal() -> None:
    assert signals_of([0.5, 0, 0.1, 0.2, 0.3, 0.4]) == [[]] * 6


def test_trend_a_flat_pair_breaks_it() -> None:
    assert signals_of([0, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5]) == [[]] * 7


def test_trend_a_reversal_breaks_it() -> None:
    assert signals_of([0, 0.1, 0.2, 0.15, 0.3, 0.4, 0.5]) == [[]] * 7


# several rules on one point, in rule order


def test_several_rules_on_one_point_are_listed_in_rule_order() -> None:
    # 8 above the centre, each rising; the last two beyond 2 sigma, the last beyond 3
    values = [0.1, 0.2, 0.3, 1.1, 1.2, 1.3, 2.5, 3.5]
    assert signals_of(values)[-1] == ["we1", "we2", "we3", "we4", "trend"]


# per-point zones on a p-chart


def test_p_chart_zones_follow_each_points_denominator() -> None:
    # the first two points set p-bar = 0.5; sigma is sqrt(0.25 / n): 0.05 at n=100, 0.1 at n=25
    chart = control_chart(["a", "b", "c", "d"], [0.5, 0.5, 0.66, 0.66], chart="p",
                          denominators=[100, 100, 100, 25], baseline=2)
    # 0.66 is 3.2 sigma above at n=100, only 1.6 sigma at n=25
    assert [p.signals for p in chart.points] == [[], [], ["we1"], []]


def test_p_chart_we2_uses_per_point_sigma() -> None:
    # 0.62 is 2.4 sigma above at n=100 but 1.2 sigma at n=25
    chart = control_chart(["a", "b", "c", "d", "e"], [0.5, 0.5, 0.62, 0.5, 0.62], chart="p",
                          denominators=[100, 100, 100, 100, 100], baseline=2)
    assert [p.signals for p in chart.points][-1] == ["we2"]
    chart = control_chart(["a", "b", "c", "d", "e"], [0.5, 0.5, 0.62, 0.5, 0.62], chart="p",
                          denominators=[100, 100, 100, 100, 25], baseline=2)
    assert [p.signals for p in chart.points][-1] == []


def test_value_exactly_on_the_reported_limit_does_not_signal() -> None:
    base = [10, 12, 11, 15, 12]
    first = control_chart([str(i) for i in range(5)], base, chart="xmr")
    ucl, lcl = first.points[0].ucl, first.points[0].lcl
    chart = control_chart([str(i) for i in range(7)], [*base, ucl, lcl], chart="xmr",
                          baseline=5)
    assert chart.points[5].ucl == ucl and chart.points[6].lcl == lcl
    assert "we1" not in chart.points[5].signals
    assert "we1" not in chart.points[6].signals


def test_signals_need_matching_lengths() -> None:
    with pytest.raises(ValueError):
        find_signals([1.0, 2.0], 0.0, [1.0])
