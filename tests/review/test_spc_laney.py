"""Laney p′ charts: limits against hand computation and plain Python, the σ_z = 1 case, an
overdispersed series, baselines, errors and the `cxpm spc --chart laney-p` JSON contract.

No published worked example of Laney (2002) with its numbers was found to test against (the
search turned up the formulas only, e.g. Minitab's "Methods and formulas for Laney P' Chart",
which agree with the ones below); the expected values here are computed by hand or with
plain Python from the definition."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpm.errors import CxpmError
from cxpm.metrics import params as params_module
from cxpm.metrics.params import resolve_params
from cxpm.review import spc as spc_module
from cxpm.review.findings import Review, build_review, chart_kind
from cxpm.review.spc import control_chart, laney_sigma_z
from cxpm.review.spc_rules import RULE_IDS
from cxpm.targets.store import list_targets
from cxpm.workspace import Workspace

from . import review_data as rd

# 24 of 100, 76 of 400, 16 of 100, 84 of 400
HAND_VALUES = [0.24, 0.19, 0.16, 0.21]
HAND_SIZES = [100, 400, 100, 400]
HAND_PERIODS = ["w1", "w2", "w3", "w4"]
# p̄ = (24 + 76 + 16 + 84) / (100 + 400 + 100 + 400) = 200 / 1000 = 0.2
# σ_p = √(0.2 × 0.8 / n) = 0.04 for n = 100, 0.02 for n = 400
# z = (0.24 − 0.2) / 0.04 = 1, (0.19 − 0.2) / 0.02 = −0.5, (0.16 − 0.2) / 0.04 = −1,
#     (0.21 − 0.2) / 0.02 = 0.5
# moving ranges of z: 1.5, 0.5, 1.5 → MR̄ = 3.5 / 3; σ_z = (3.5 / 3) / 1.128 ≈ 1.0342790
HAND_SIGMA_Z = 3.5 / 3 / 1.128
# n = 100: 0.2 ± 3 × 0.04 × σ_z = 0.2 ± 0.1241135 → 0.0758865 … 0.3241135
# n = 400: 0.2 ± 3 × 0.02 × σ_z = 0.2 ± 0.0620567 → 0.1379433 … 0.2620567
HAND_LIMITS = [(0.0758865, 0.3241135), (0.1379433, 0.2620567)] * 2


def laney_by_plain_python(values: list[float], sizes: list[float],
                          baseline: int) -> tuple[float, float, list[tuple[float, float]]]:
    """(p̄, σ_z, [(lcl, ucl)]) straight from Laney's definition."""
    counts = [v * n for v, n in zip(values, sizes, strict=True)]
    p_bar = sum(counts[:baseline]) / sum(sizes[:baseline])
    z = [(v - p_bar) / math.sqrt(p_bar * (1 - p_bar) / n)
         for v, n in zip(values[:baseline], sizes[:baseline], strict=True)]
    ranges = [abs(z[i] - z[i - 1]) for i in range(1, len(z))]
    sigma_z = sum(ranges) / len(ranges) / 1.128
    limits = []
    for n in sizes:
        half_width = 3 * math.sqrt(p_bar * (1 - p_bar) / n) * sigma_z
        limits.append((max(0.0, p_bar - half_width), min(1.0, p_bar + half_width)))
    return p_bar, sigma_z, limits


# limits


def test_laney_limits_by_hand() -> None:
    chart = control_chart(HAND_PERIODS, HAND_VALUES, chart="laney-p", denominators=HAND_SIZES)
    assert chart.chart == "laney-p"
    assert chart.center == pytest.approx(0.2)
    assert chart.sigma_z == pytest.approx(1.0342790, abs=1e-7)
    assert chart.sigma_z == pytest.approx(HAND_SIGMA_Z)
    assert chart.baseline == 4
    assert [(p.lcl, p.ucl) for p in chart.points] == [
        pytest.approx(limits, abs=1e-7) for limits in HAND_LIMITS]
    assert [p.signals for p in chart.points] == [[], [], [], []]
    assert [p.value for p in chart.points] == HAND_VALUES
    assert chart.moving_range is None
    assert laney_sigma_z(HAND_VALUES, HAND_SIZES, 0.2) == pytest.approx(HAND_SIGMA_Z)


def test_laney_limits_of_a_longer_series_from_plain_python() -> None:
    values = [0.081, 0.094, 0.072, 0.101, 0.088, 0.069, 0.110, 0.092, 0.079, 0.085, 0.097,
              0.066]
    sizes = [1200, 950, 1430, 800, 1100, 1610, 720, 1000, 1340, 1250, 880, 1500]
    p_bar, sigma_z, limits = laney_by_plain_python(values, sizes, len(values))
    chart = control_chart([f"p{i}" for i in range(len(values))], values, chart="laney-p",
                          denominators=sizes)
    assert chart.center == pytest.approx(p_bar)
    assert chart.sigma_z == pytest.approx(sigma_z)
    assert [(p.lcl, p.ucl) for p in chart.points] == [pytest.approx(lim) for lim in limits]


def test_laney_widens_the_p_chart_by_sigma_z() -> None:
    values = [0.081, 0.094, 0.072, 0.101, 0.088, 0.069]
    sizes = [1200, 950, 1430, 800, 1100, 1610]
    periods = [f"p{i}" for i in range(len(values))]
    p_chart = control_chart(periods, values, chart="p", denominators=sizes)
    laney = control_chart(periods, values, chart="laney-p", denominators=sizes)
    assert laney.center == pytest.approx(p_chart.center)
    assert laney.sigma_z is not None and laney.sigma_z > 1
    for p_point, laney_point in zip(p_chart.points, laney.points, strict=True):
        assert laney_point.ucl - laney.center == pytest.approx(
            laney.sigma_z * (p_point.ucl - p_chart.center))
        assert laney.center - laney_point.lcl == pytest.approx(
            laney.sigma_z * (p_chart.center - p_point.lcl))


def test_sigma_z_of_one_gives_the_p_chart() -> None:
    # n = 100 and p̄ = 0.5: σ_p = √(0.25 / 100) = 0.05. Points 0.5 ± 0.05 × 0.564 alternate,
    # so z = ±0.564, every moving range is 1.128 and σ_z = 1.128 / 1.128 = 1.
    values = [0.5 + 0.05 * 0.564 * (-1) ** i for i in range(6)]
    periods = [f"p{i}" for i in range(6)]
    laney = control_chart(periods, values, chart="laney-p", denominators=[100] * 6)
    p_chart = control_chart(periods, values, chart="p", denominators=[100] * 6)
    assert laney.sigma_z == pytest.approx(1.0)
    assert laney.center == pytest.approx(p_chart.center) == pytest.approx(0.5)
    assert [(p.lcl, p.ucl) for p in laney.points] == [
        pytest.approx((p.lcl, p.ucl)) for p in p_chart.points]
    assert [(p.lcl, p.ucl) for p in laney.points] == [pytest.approx((0.35, 0.65))] * 6
    assert [p.signals for p in laney.points] == [p.signals for p in p_chart.points]
    assert p_chart.sigma_z is None
    assert "sigma_z" not in p_chart.contract()


def test_underdispersion_narrows_the_limits() -> None:
    # z = 0.2, −0.2, 0.2, −0.2 (n = 100, p̄ = 0.5, σ_p = 0.05): MR̄ = 0.4, σ_z = 0.4 / 1.128
    values = [0.51, 0.49, 0.51, 0.49]
    chart = control_chart(HAND_PERIODS, values, chart="laney-p", denominators=[100] * 4)
    sigma_z = 0.4 / 1.128
    assert chart.sigma_z == pytest.approx(sigma_z)
    assert chart.points[0].ucl == pytest.approx(0.5 + 3 * 0.05 * sigma_z)
    assert chart.points[0].lcl == pytest.approx(0.5 - 3 * 0.05 * sigma_z)


# overdispersion: what the p′ chart is for

# A busy queue: 20 000 contacts a week, abandon rate around 6.4 %, wandering by up to ±0.9
# points from week to week. Binomial σ_p = √(0.064 × 0.936 / 20000) ≈ 0.00173, so the
# p-chart's limits are 0.064 ± 0.0052 and most weeks fall outside them.
BUSY_DEVIATIONS = [0.004, 0.007, -0.006, -0.003, 0.008, 0.002, -0.007, -0.008, 0.006, 0.009,
                   -0.004, 0.003, -0.005, -0.009, 0.005, 0.007, -0.002, -0.006, 0.004, -0.005]
BUSY_VALUES = [0.064 + d for d in BUSY_DEVIATIONS]
BUSY_SIZES = [20000] * len(BUSY_VALUES)
BUSY_PERIODS = [f"2026-W{i + 1:02d}" for i in range(len(BUSY_VALUES))]


def test_overdispersed_series_p_chart_flags_many_laney_few() -> None:
    p_bar, sigma_z, limits = laney_by_plain_python(BUSY_VALUES, BUSY_SIZES, len(BUSY_VALUES))
    assert p_bar == pytest.approx(0.064)  # the deviations add up to 0
    beyond_binomial = sum(1 for d in BUSY_DEVIATIONS
                          if abs(d) > 3 * math.sqrt(0.064 * 0.936 / 20000))
    assert beyond_binomial == 10  # the weeks with |deviation| ≥ 0.006

    p_chart = control_chart(BUSY_PERIODS, BUSY_VALUES, chart="p", denominators=BUSY_SIZES)
    laney = control_chart(BUSY_PERIODS, BUSY_VALUES, chart="laney-p", denominators=BUSY_SIZES)
    assert sum(1 for p in p_chart.points if "we1" in p.signals) == beyond_binomial
    assert sum(1 for p in p_chart.points if p.signals) >= len(BUSY_VALUES) // 2

    assert laney.sigma_z == pytest.approx(sigma_z)
    assert laney.sigma_z is not None and laney.sigma_z > 3
    assert [(p.lcl, p.ucl) for p in laney.points] == [pytest.approx(lim) for lim in limits]
    assert [p.period for p in laney.points if p.signals] == []


def test_laney_still_flags_a_real_shift_against_a_baseline() -> None:
    # limits from the 20 ordinary weeks; then two weeks at 10 % abandon
    values = [*BUSY_VALUES, 0.10, 0.10]
    sizes = [*BUSY_SIZES, 20000, 20000]
    periods = [*BUSY_PERIODS, "2026-W21", "2026-W22"]
    p_bar, sigma_z, limits = laney_by_plain_python(values, sizes, 20)
    chart = control_chart(periods, values, chart="laney-p", denominators=sizes, baseline=20)
    assert chart.baseline == 20
    assert chart.center == pytest.approx(p_bar)
    assert chart.sigma_z == pytest.approx(sigma_z)
    assert limits[-1][1] < 0.10
    assert [p.signals for p in chart.points[:20]] == [[]] * 20
    assert chart.points[20].signals == ["we1"]
    assert chart.points[21].signals == ["we1", "we2"]


# baseline


def test_baseline_takes_centre_and_sigma_z_from_the_first_points_only() -> None:
    # the hand series, then 30 of 100: p̄ and σ_z stay those of the hand example
    values = [*HAND_VALUES, 0.30]
    sizes = [*HAND_SIZES, 100]
    chart = control_chart([*HAND_PERIODS, "w5"], values, chart="laney-p", denominators=sizes,
                          baseline=4)
    assert chart.baseline == 4
    assert chart.center == pytest.approx(0.2)
    assert chart.sigma_z == pytest.approx(HAND_SIGMA_Z)
    assert (chart.points[4].lcl, chart.points[4].ucl) == pytest.approx(HAND_LIMITS[0], abs=1e-7)
    # 0.30 is (0.30 − 0.2) / (0.04 × σ_z) ≈ 2.417 σ above: inside the limits, beyond 2σ
    assert chart.points[4].signals == []
    without = control_chart([*HAND_PERIODS, "w5"], values, chart="laney-p",
                            denominators=sizes)
    assert without.baseline == 5
    assert without.center == pytest.approx(230 / 1100)  # (200 + 30) / (1000 + 100)
    assert without.sigma_z == pytest.approx(laney_by_plain_python(values, sizes, 5)[1])


def test_rules_use_the_widened_zones() -> None:
    # After the hand baseline, two points of 28.2 % at n = 100 are 0.082 / 0.04 = 2.05 σ_p
    # above the centre: beyond 2σ on the p-chart (we2 on the second), but only
    # 0.082 / (0.04 × 1.0343) ≈ 1.98 σ on the p′ chart, so no we2 there.
    values = [*HAND_VALUES, 0.282, 0.282]
    sizes = [*HAND_SIZES, 100, 100]
    periods = [*HAND_PERIODS, "w5", "w6"]
    p_chart = control_chart(periods, values, chart="p", denominators=sizes, baseline=4)
    laney = control_chart(periods, values, chart="laney-p", denominators=sizes, baseline=4)
    assert p_chart.points[5].signals == ["we2"]
    assert laney.points[5].signals == []


def test_flat_zero_baseline_collapses_the_limits() -> None:
    # p̄ = 0: every binomial σ_p is 0, each baseline z is taken as 0, so σ_z = 0
    chart = control_chart(["a", "b", "c", "d"], [0.0, 0.0, 0.0, 0.05], chart="laney-p",
                          denominators=[40, 50, 60, 40], baseline=3)
    assert chart.center == 0
    assert chart.sigma_z == 0
    assert [(p.lcl, p.ucl) for p in chart.points] == [(0.0, 0.0)] * 4
    assert [p.signals for p in chart.points] == [[], [], [], ["we1"]]


# errors


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"periods": ["a"], "values": [0.1], "denominators": [10]},
     "a laney-p chart needs at least 2 points"),
    ({"periods": ["a", "b", "c"], "values": [0.1, 0.2, 0.3], "denominators": [5, 5, 5],
      "baseline": 1}, "baseline must be at least 2 points for a laney-p chart"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2]}, "a laney-p chart needs a denominator"),
    ({"periods": ["a", "b"], "values": [0.1, 1.2], "denominators": [5, 5]},
     "between 0 and 1"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "denominators": [5, 0]},
     "'b' must be greater than 0"),
    ({"periods": ["a", "b"], "values": [0.1, 0.2], "denominators": [5, None]},
     "denominator for period 'b' is missing"),
])
def test_bad_input_is_one_clear_error(kwargs: dict, message: str) -> None:
    periods, values = kwargs.pop("periods"), kwargs.pop("values")
    with pytest.raises(CxpmError, match=message) as caught:
        control_chart(periods, values, chart="laney-p", **kwargs)
    assert "\n" not in str(caught.value)


def test_sigma_z_needs_two_points() -> None:
    with pytest.raises(CxpmError, match="at least 2 points"):
        laney_sigma_z([0.1], [10], 0.1)


# properties


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=0, max_value=1),
                          st.integers(min_value=1, max_value=5000)), min_size=2, max_size=30))
def test_laney_signals_are_known_rules_and_we1_marks_every_point_beyond(
        pairs: list[tuple[float, int]]) -> None:
    values, sizes = [v for v, _ in pairs], [n for _, n in pairs]
    chart = control_chart([f"p{i}" for i in range(len(pairs))], values, chart="laney-p",
                          denominators=sizes)
    assert chart.sigma_z is not None and chart.sigma_z >= 0
    for point in chart.points:
        assert 0 <= point.lcl <= chart.center <= point.ucl <= 1
        assert point.signals == [r for r in RULE_IDS if r in point.signals]
        assert ("we1" in point.signals) == (point.value > point.ucl or point.value < point.lcl)


# the CLI


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "series.csv"
    path.write_text(text, encoding="utf-8")
    return path


HAND_CSV = "period,value,denominator\n" + "".join(
    f"{p},{v},{n}\n" for p, v, n in zip(HAND_PERIODS, HAND_VALUES, HAND_SIZES, strict=True))


def test_cli_laney_json_contract(cli, tmp_path: Path) -> None:
    result = cli("spc", write(tmp_path, HAND_CSV), "--chart", "laney-p", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"chart", "center", "points", "baseline", "sigma_z"}
    assert data["chart"] == "laney-p"
    assert data["center"] == pytest.approx(0.2)
    assert data["baseline"] == 4
    assert data["sigma_z"] == pytest.approx(HAND_SIGMA_Z)
    assert all(set(p) == {"period", "value", "ucl", "lcl", "signals"} for p in data["points"])
    assert [p["period"] for p in data["points"]] == HAND_PERIODS
    assert [(p["lcl"], p["ucl"]) for p in data["points"]] == [
        pytest.approx(limits, abs=1e-7) for limits in HAND_LIMITS]
    assert [p["signals"] for p in data["points"]] == [[]] * 4


def test_cli_laney_baseline_and_table(cli, tmp_path: Path) -> None:
    path = write(tmp_path, HAND_CSV + "w5,0.5,100\n")
    result = cli("spc", path, "--chart", "LANEY-P", "--baseline", "4")
    assert result.exit_code == 0, result.stderr
    summary = " ".join(result.stdout.split())
    assert "Laney p′ chart: centre 20.0%, sigma_z 1.03" in summary
    assert "limits from the first 4 of 5 points" in summary
    assert "1 of 5 points signal: w5 we1" in summary


def test_cli_laney_without_denominator_is_one_line(cli, tmp_path: Path) -> None:
    result = cli("spc", write(tmp_path, "period,value\na,0.1\nb,0.2\n"), "--chart", "laney-p")
    assert result.exit_code == 1
    assert "a laney-p chart needs a denominator" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_moving_ranges_of_z_are_taken_between_neighbours() -> None:
    # the hand series with its 2nd and 4th points swapped: p̄ stays 0.2, but
    # z = 1, 0.5, −1, −0.5 → moving ranges 0.5, 1.5, 0.5 → MR̄ = 2.5 / 3 (was 3.5 / 3)
    values = [0.24, 0.21, 0.16, 0.19]
    sizes = [100, 400, 100, 400]
    chart = control_chart(HAND_PERIODS, values, chart="laney-p", denominators=sizes)
    z = [1, 0.5, -1, -0.5]
    assert chart.center == pytest.approx(0.2)
    assert chart.sigma_z == pytest.approx(sum(abs(b - a) for a, b in pairwise(z)) / 3 / 1.128)
    assert chart.sigma_z == pytest.approx(2.5 / 3 / 1.128)


# the review with review.proportion_chart = "laney-p"


def test_proportion_chart_kinds_agree_with_the_parameter() -> None:
    assert params_module.PROPORTION_CHARTS == spc_module.PROPORTION_CHARTS
    assert resolve_params()["review.proportion_chart"] == "p"
    assert resolve_params({"review.proportion_chart": "laney-p"})[
        "review.proportion_chart"] == "laney-p"
    with pytest.raises(CxpmError, match=r"'review\.proportion_chart' must be one of p, laney-p"):
        resolve_params({"review.proportion_chart": "laney"})


def review_of(ws: Workspace, **params: str) -> Review:
    return build_review(ws.warehouse.tables(), ws.metric_catalog(),
                        params={**ws.metric_params(), **params}, targets=list_targets(ws))


def test_review_charts_proportions_as_laney_p_when_asked(planted_ws: Workspace) -> None:
    """The planted week of review_data (14 of 21 contacts abandoned in the week of
    2026-03-16) against a p′ chart of weekly abandonment over the complete weeks."""
    default = review_of(planted_ws)
    laney = review_of(planted_ws, **{"review.proportion_chart": "laney-p"})
    rows = rd.weekly_contacts(planted=True)
    first = min(r["_arrived"].date() for r in rows)
    weeks = {monday: these for monday, these in sorted(rd.by_week(rows).items())
             if monday >= first and monday + timedelta(days=6) <= rd.DATA_END}
    values = [sum(r["_abandoned"] for r in these) / len(these) for these in weeks.values()]
    sizes = [len(these) for these in weeks.values()]
    p_bar, sigma_z, limits = laney_by_plain_python(values, sizes, len(values))
    planted_index = list(weeks).index(rd.PLANTED_WEEK)
    assert values[planted_index] == pytest.approx(14 / 21)
    assert values[planted_index] > limits[planted_index][1]  # still beyond the p′ limit

    signal = [f for f in laney.findings if f.kind == "signal"
              and f.metric == "abandonment_rate"
              and f.period == datetime(2026, 3, 16).isoformat()]
    assert len(signal) == 1
    assert signal[0].chart == "laney-p"
    assert "we1" in signal[0].signals
    assert signal[0].target == pytest.approx(p_bar)  # the centre line
    # every proportion signal is a p′ one, the other metrics keep their XmR charts, and the
    # target findings do not depend on the chart
    for finding in laney.findings:
        if finding.kind == "signal":
            kind = chart_kind(planted_ws.metric_catalog().get(finding.metric))
            assert finding.chart == ("laney-p" if kind == "p" else "xmr"), finding
    assert [f for f in laney.findings if f.kind != "signal"] == [
        f for f in default.findings if f.kind != "signal"]
    assert {f.chart for f in default.findings if f.kind == "signal"} <= {"p", "xmr"}
    # Abandonment varies more than a binomial here (σ_z > 1): the p′ zones are wider, so each
    # week's p′ signals are among its p-chart signals (we4 and trend do not depend on σ).
    assert sigma_z > 1
    p_weeks = {f.period: f.signals for f in default.findings
               if f.kind == "signal" and f.metric == "abandonment_rate"}
    laney_weeks = {f.period: f.signals for f in laney.findings
                   if f.kind == "signal" and f.metric == "abandonment_rate"}
    for period, rules in laney_weeks.items():
        assert set(rules) <= set(p_weeks[period])


def test_cli_review_param_selects_laney_p(cli, planted_ws: Workspace) -> None:
    result = cli("review", "--workspace", planted_ws.path, "--param",
                 "review.proportion_chart=laney-p", "--format", "json")
    assert result.exit_code == 0, result.stderr
    signals = [f for f in result.json()["findings"] if f["kind"] == "signal"]
    assert {f["chart"] for f in signals if f["metric"] == "abandonment_rate"} == {"laney-p"}
    bad = cli("review", "--workspace", planted_ws.path, "--param",
              "review.proportion_chart=laney")
    assert bad.exit_code == 1
    assert "must be one of p, laney-p" in bad.stderr
