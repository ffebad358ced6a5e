"""Control-chart limits against hand computation, baselines, input errors and the CSV contract."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpm.errors import CxpmError
from cxpm.review.spc import control_chart, read_series_csv
from cxpm.review.spc_rules import RULE_IDS

PERIODS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]


# XmR limits


def test_xmr_limits_by_hand() -> None:
    # mean = 60 / 5 = 12; moving ranges 2, 1, 4, 3 -> MR-bar = 10 / 4 = 2.5
    # limits 12 ± 2.66 × 2.5 = 12 ± 6.65; moving-range UCL = 3.267 × 2.5 = 8.1675
    chart = control_chart(PERIODS[:5], [10, 12, 11, 15, 12], chart="xmr")
    assert chart.chart == "xmr"
    assert chart.center == pytest.approx(12)
    assert chart.baseline == 5
    for point in chart.points:
        assert point.ucl == pytest.approx(18.65)
        assert point.lcl == pytest.approx(5.35)
        assert point.signals == []
    assert [p.period for p in chart.points] == PERIODS[:5]
    assert [p.value for p in chart.points] == [10, 12, 11, 15, 12]
    assert chart.moving_range is not None
    assert chart.moving_range.center == pytest.approx(2.5)
    assert chart.moving_range.ucl == pytest.approx(8.1675)
    assert chart.moving_range.values == [None, 2, 1, 4, 3]


def test_xmr_limits_of_a_larger_series_from_plain_python() -> None:
    values = [5045, 4350, 4350, 3975, 4290, 4430, 4485, 4285, 3980, 3925, 3645, 3760, 3300,
              3685, 3463, 5200]
    mean = sum(values) / len(values)
    ranges = [abs(values[i] - values[i - 1]) for i in range(1, len(values))]
    mr_bar = sum(ranges) / len(ranges)
    chart = control_chart([f"p{i}" for i in range(len(values))], values, chart="xmr")
    assert chart.center == pytest.approx(mean)
    assert chart.points[0].ucl == pytest.approx(mean + 2.66 * mr_bar)
    assert chart.points[0].lcl == pytest.approx(mean - 2.66 * mr_bar)
    assert chart.moving_range is not None
    assert chart.moving_range.ucl == pytest.approx(3.267 * mr_bar)
    # 3σ with σ = MR-bar / 1.128 is the same distance to within rounding of the constants
    assert 3 * mr_bar / 1.128 == pytest.approx(2.66 * mr_bar, rel=1e-3)


def test_xmr_baseline_sets_limits_from_the_first_points_only() -> None:
    # first 5 points as in the hand example: centre 12, limits 5.35 .. 18.65
    chart = control_chart(PERIODS, [10, 12, 11, 15, 12, 30, 31], chart="xmr", baseline=5)
    assert chart.baseline == 5
    assert chart.center == pytest.approx(12)
    assert all(p.ucl == pytest.approx(18.65) for p in chart.points)
    assert all(p.lcl == pytest.approx(5.35) for p in chart.points)
    # the rules still run on every point against those limits; 2σ = 2.66 × 2.5 × 2/3 ≈ 4.43,
    # so 15 is not beyond 2σ and 30 alone is only we1; 31 completes 2 of 3 beyond 2σ
    assert [p.signals for p in chart.points][5:] == [["we1"], ["we1", "we2"]]
    assert chart.moving_range is not None
    assert chart.moving_range.center == pytest.approx(2.5)
    assert chart.moving_range.values == [None, 2, 1, 4, 3, 18, 1]


def test_xmr_without_baseline_uses_all_points() -> None:
    # mean = 121 / 7; moving ranges 2, 1, 4, 3, 18, 1 -> MR-bar = 29 / 6
    chart = control_chart(PERIODS, [10, 12, 11, 15, 12, 30, 31], chart="xmr")
    assert chart.baseline == 7
    assert chart.center == pytest.approx(121 / 7)
    assert chart.points[0].ucl == pytest.approx(121 / 7 + 2.66 * 29 / 6)
    assert chart.points[0].lcl == pytest.approx(121 / 7 - 2.66 * 29 / 6)


def test_xmr_two_points_is_enough() -> None:
    chart = control_chart(["a", "b"], [4, 6], chart="xmr")
    assert chart.center == pytest.approx(5)
    assert chart.points[1].ucl == pytest.approx(5 + 2.66 * 2)


def test_xmr_flat_baseline_flags_any_departure() -> None:
    chart = control_chart(["a", "b", "c", "d"], [7, 7, 7, 8], chart="xmr", baseline=3)
    assert chart.points[0].ucl == 7 and chart.points[0].lcl == 7
    assert [p.signals for p in chart.points] == [[], [], [], ["we1"]]


def test_xmr_ignores_denominators() -> None:
    with_denominators = control_chart(["a", "b", "c"], [1, 3, 2], chart="xmr",
                                      denominators=[10, 20, 30])
    assert with_denominators == control_chart(["a", "b", "c"], [1, 3, 2], chart="xmr")


# p-chart limits


def test_p_chart_limits_by_hand() -> None:
    # 5 of 50, 10 of 100, 6 of 40 -> p-bar = 21 / 190
    sizes = [50, 100, 40]
    chart = control_chart(["a", "b", "c"], [0.1, 0.1, 0.15], chart="p", denominators=sizes)
    p_bar = 21 / 190
    assert chart.chart == "p"
    assert chart.center == pytest.approx(p_bar)
    for point, n in zip(chart.points, sizes, strict=True):
        sigma = math.sqrt(p_bar * (1 - p_bar) / n)
        assert point.ucl == pytest.approx(p_bar + 3 * sigma)
        assert point.lcl == pytest.approx(max(0.0, p_bar - 3 * sigma))
    # n = 100: p-bar - 3σ is about 0.0165, above zero; n = 40: below zero, so clipped
    assert chart.points[1].lcl > 0
    assert chart.points[2].lcl == 0
    assert chart.moving_range is None
    assert "moving_range" not in chart.contract()


def test_p_chart_ucl_is_capped_at_one() -> None:
    # p-bar = 0.5 and n = 1: p-bar + 3σ = 2
    chart = control_chart(["a", "b"], [0.0, 1.0], chart="p", denominators=[1, 1])
    assert chart.center == pytest.approx(0.5)
    assert [(p.lcl, p.ucl) for p in chart.points] == [(0.0, 1.0), (0.0, 1.0)]
    assert [p.signals for p in chart.points] == [[], []]


def test_p_chart_baseline() -> None:
    # baseline: 10 of 100 and 30 of 100 -> p-bar = 0.2; the third point does not count
    chart = control_chart(["a", "b", "c"], [0.1, 0.3, 0.9], chart="p",
                          denominators=[100, 100, 100], baseline=2)
    assert chart.center == pytest.approx(0.2)
    sigma = math.sqrt(0.2 * 0.8 / 100)
    assert chart.points[2].ucl == pytest.approx(0.2 + 3 * sigma)
    # 0.3 is 2.5σ above (σ = 0.04), so 0.9 also completes 2 of 3 beyond 2σ
    assert chart.points[2].signals == ["we1", "we2"]
    assert chart.points[0].signals == []
    assert chart.points[1].signals == []


def test_p_chart_single_point() -> None:
    chart = control_chart(["a"], [0.25], chart="p", denominators=[40])
    assert chart.center == pytest.approx(0.25)
    assert chart.points[0].signals == []


def test_contract_keys() -> None:
    data = control_chart(["a", "b", "c"], [1, 3, 2], chart="xmr").contract()
    assert set(data) == {"chart", "center", "points", "baseline", "moving_range"}
    assert set(data["points"][0]) == {"period", "value", "ucl", "lcl", "signals"}
    assert set(data["moving_range"]) == {"center", "ucl", "values"}


# errors


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"periods": ["a"], "values": [1], "chart": "xmr"}, "at least 2 points"),
    ({"periods": [], "values": [], "chart": "p", "denominators": []}, "at least 1 points"),
    ({"periods": ["a", "b", "c"], "values": [1, 2, 3], "chart": "xmr", "baseline": 1},
     "baseline must be at least 2"),
    ({"periods": ["a", "b", "c"], "values": [1, 2, 3], "chart": "xmr", "baseline": 4},
     "larger than the series"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "chart": "p", "baseline": 0,
      "denominators": [5, 5]}, "baseline must be at least 1"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "chart": "p"}, "needs a denominator"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "chart": "p", "denominators": [5, 0]},
     "'b' must be greater than 0"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "chart": "p", "denominators": [5, -2]},
     "must be greater than 0"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "chart": "p", "denominators": [5, None]},
     "denominator for period 'b' is missing"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "chart": "p", "denominators": [5]},
     "1 denominators for 2 values"),
    ({"periods": ["a", "b"], "values": [1.5, 0.2], "chart": "p", "denominators": [5, 5]},
     "between 0 and 1"),
    ({"periods": ["a", "b"], "values": [0.5, -0.2], "chart": "p", "denominators": [5, 5]},
     "between 0 and 1"),
    ({"periods": ["a", "b"], "values": [1, "x"], "chart": "xmr"},
     "value for period 'b' is not a number"),
    ({"periods": ["a", "b"], "values": [1, None], "chart": "xmr"}, "not a number"),
    ({"periods": ["a", "b"], "values": [1, True], "chart": "xmr"}, "not a number"),
    ({"periods": ["a", "b"], "values": [1, float("nan")], "chart": "xmr"},
     "not a finite number"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "chart": "p", "denominators": [5, "n"]},
     "denominator for period 'b' is not a number"),
    ({"periods": ["a", "a"], "values": [1, 2], "chart": "xmr"}, "'a' appears more than once"),
    ({"periods": ["a", "b"], "values": [1], "chart": "xmr"}, "1 values for 2 periods"),
    ({"periods": ["a", "b"], "values": [1, 2], "chart": "c"}, "unknown chart 'c'"),
    ({"periods": ["a", "b"], "values": [1, 2], "chart": "xmr", "baseline": 1.5},
     "whole number"),
])
def test_bad_input_is_one_clear_error(kwargs: dict, message: str) -> None:
    periods, values = kwargs.pop("periods"), kwargs.pop("values")
    with pytest.raises(CxpmError, match=message) as caught:
        control_chart(periods, values, **kwargs)
    assert "\n" not in str(caught.value)


# the CSV contract


def write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_series_without_denominator(tmp_path: Path) -> None:
    path = write(tmp_path, "period,value,note\n2026-01,10,x\n2026-02,12.5,\n2026-03,-3,\n")
    assert read_series_csv(path) == (["2026-01", "2026-02", "2026-03"], [10.0, 12.5, -3.0],
                                     None)


def test_read_series_with_denominator_keeps_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, " Period , VALUE ,Denominator\n2026-02,0.5,10\n2026-01,0.25,8\n")
    assert read_series_csv(path) == (["2026-02", "2026-01"], [0.5, 0.25], [10.0, 8.0])


def test_read_series_blank_denominator_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "period,value,denominator\na,0.5,10\nb,0.25,\n")
    periods, values, denominators = read_series_csv(path)
    assert denominators == [10.0, None]
    with pytest.raises(CxpmError, match="denominator for period 'b' is missing"):
        control_chart(periods, values, chart="p", denominators=denominators)
    assert control_chart(periods, values, chart="xmr", denominators=denominators).center == 0.375


def test_read_series_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffperiod,value\na,1\n".encode())
    assert read_series_csv(path) == (["a"], [1.0], None)


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("period,value\n", "no data rows"),
    ("period,amount\na,1\n", "missing column\\(s\\) value"),
    ("when,amount\na,1\n", "missing column\\(s\\) period, value"),
    ("period,value\na,1\nb,abc\n", "line 3: value is not a number: 'abc'"),
    ("period,value\na,1\nb,\n", "line 3: value is empty"),
    ("period,value\na,1\n,2\n", "line 3: period is empty"),
    ("period,value\na,1\nb,inf\n", "line 3: value is not a finite number"),
    ("period,value,denominator\na,0.1,ten\n", "line 2: denominator is not a number: 'ten'"),
    ("period,value\na,1\nb,2\na,3\n", "line 4: period 'a' appears again \\(first on line 2\\)"),
])
def test_read_series_errors_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CxpmError, match=message) as caught:
        read_series_csv(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_read_series_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match="file not found"):
        read_series_csv(tmp_path / "nope.csv")


def test_read_series_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"period,value\n\xe9t\xe9,1\n")
    with pytest.raises(CxpmError, match="not a UTF-8 text file"):
        read_series_csv(path)


# properties


def check_signals_against_limits(chart_kind: str, values: list[float],
                                 denominators: list[int] | None) -> None:
    periods = [f"p{i}" for i in range(len(values))]
    chart = control_chart(periods, values, chart=chart_kind, denominators=denominators)
    for point in chart.points:
        assert set(point.signals) <= set(RULE_IDS)
        assert point.signals == [r for r in RULE_IDS if r in point.signals]
        beyond = point.value > point.ucl or point.value < point.lcl
        assert ("we1" in point.signals) == beyond


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2,
                max_size=40))
def test_xmr_signals_are_known_rules_and_we1_marks_every_point_beyond(
        values: list[float]) -> None:
    check_signals_against_limits("xmr", values, None)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=0, max_value=1),
                          st.integers(min_value=1, max_value=5000)), min_size=1, max_size=40))
def test_p_signals_are_known_rules_and_we1_marks_every_point_beyond(
        pairs: list[tuple[float, int]]) -> None:
    check_signals_against_limits("p", [v for v, _ in pairs], [n for _, n in pairs])
