"""Control charts for a plain series: XmR (individuals and moving range), p-charts and Laney
p′ charts (p-charts widened for overdispersion).

`control_chart` computes the centre line, per-point limits and the Western Electric and trend
signals (cxpm.review.spc_rules); `read_series_csv` reads the plain-file contract (columns
period,value[,denominator]). docs/spc.md defines every figure returned here.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from itertools import pairwise
from numbers import Real
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.files import read_user_text
from cxpm.review.spc_rules import find_signals

ChartKind = Literal["xmr", "p", "laney-p"]
CHART_KINDS: tuple[str, ...] = ("xmr", "p", "laney-p")
PROPORTION_CHARTS: tuple[str, ...] = ("p", "laney-p")

# Constants for moving ranges of two consecutive points: 2.66 = 3 / d2 with d2 = 1.128, and
# 3.267 = D4. The individuals sigma is taken as a third of the 2.66 MR-bar limit distance so
# that the rule zones and the limits agree to the last digit.
XMR_LIMIT_FACTOR = 2.66
MR_UCL_FACTOR = 3.267
# d2 for ranges of two: Laney's σ_z is the average moving range of the z-scores over d2.
D2 = 1.128

REQUIRED_COLUMNS = ("period", "value")
DENOMINATOR_COLUMN = "denominator"


class ChartPoint(BaseModel):
    period: str
    value: float
    ucl: float
    lcl: float
    signals: list[str]


class MovingRangeChart(BaseModel):
    """The moving-range companion of an XmR chart; `values[0]` is None (no predecessor)."""

    center: float
    ucl: float
    values: list[float | None]


class ControlChart(BaseModel):
    chart: ChartKind
    center: float
    points: list[ChartPoint]
    baseline: int
    """How many leading points the centre and limits were computed from."""
    moving_range: MovingRangeChart | None = None
    sigma_z: float | None = None
    """Laney p′ only: the spread of the points' z-scores; the p-chart limits are widened
    (σ_z > 1) or narrowed (σ_z < 1) by this factor."""

    def contract(self) -> dict[str, Any]:
        """The JSON contract: chart, center, points, baseline, plus moving_range for XmR and
        sigma_z for Laney p′."""
        data = self.model_dump()
        for optional in ("moving_range", "sigma_z"):
            if data[optional] is None:
                del data[optional]
        return data


def _number(value: Any, what: str, period: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise CxpmError(f"{what} for period {period!r} is not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise CxpmError(f"{what} for period {period!r} is not a finite number: {value!r}")
    return number


def _check_periods(periods: Sequence[Any]) -> list[str]:
    labels = [str(p) for p in periods]
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise CxpmError(f"period {label!r} appears more than once")
        seen.add(label)
    return labels


def _limit_count(baseline: int | None, points: int, minimum: int, chart: str) -> int:
    if baseline is None:
        return points
    if isinstance(baseline, bool) or not isinstance(baseline, int):
        raise CxpmError(f"baseline must be a whole number of points, got {baseline!r}")
    if baseline < minimum:
        raise CxpmError(f"baseline must be at least {minimum} points for a {chart} chart, "
                        f"got {baseline}")
    if baseline > points:
        raise CxpmError(f"baseline of {baseline} points is larger than the series "
                        f"({points} points)")
    return baseline


def _xmr(periods: list[str], values: list[float], limit_count: int) -> ControlChart:
    base = values[:limit_count]
    center = sum(base) / len(base)
    base_ranges = [abs(b - a) for a, b in pairwise(base)]
    mr_bar = sum(base_ranges) / len(base_ranges)
    sigma = XMR_LIMIT_FACTOR * mr_bar / 3
    ucl, lcl = center + 3 * sigma, center - 3 * sigma
    signals = find_signals(values, center, [sigma] * len(values))
    points = [ChartPoint(period=p, value=v, ucl=ucl, lcl=lcl, signals=s)
              for p, v, s in zip(periods, values, signals, strict=True)]
    ranges: list[float | None] = [None]
    ranges += [abs(b - a) for a, b in pairwise(values)]
    return ControlChart(chart="xmr", center=center, points=points, baseline=limit_count,
                        moving_range=MovingRangeChart(center=mr_bar, ucl=MR_UCL_FACTOR * mr_bar,
                                                      values=ranges))


def _proportion_sizes(periods: list[str], values: list[float],
                      denominators: Sequence[Any] | None, chart_name: str) -> list[float]:
    """The denominators of a proportion chart, checked, with every value checked to be a
    proportion."""
    if denominators is None:
        raise CxpmError(f"a {chart_name} needs a denominator for every point "
                        f"(column denominator)")
    if len(denominators) != len(values):
        raise CxpmError(f"{len(denominators)} denominators for {len(values)} values")
    sizes: list[float] = []
    for period, value, raw in zip(periods, values, denominators, strict=True):
        if raw is None:
            raise CxpmError(f"denominator for period {period!r} is missing")
        size = _number(raw, "denominator", period)
        if size <= 0:
            raise CxpmError(f"denominator for period {period!r} must be greater than 0, "
                            f"got {raw!r}")
        if not 0 <= value <= 1:
            raise CxpmError(f"value for period {period!r} is a proportion and must be between "
                            f"0 and 1, got {value!r}")
        sizes.append(size)
    return sizes


def _pooled_proportion(values: list[float], sizes: list[float]) -> float:
    return sum(v * n for v, n in zip(values, sizes, strict=True)) / sum(sizes)


def _proportion_chart(chart: ChartKind, periods: list[str], values: list[float],
                      center: float, sigmas: list[float], limit_count: int,
                      sigma_z: float | None = None) -> ControlChart:
    """Limits centre ± 3σ_i clipped to [0, 1], and the rules against the per-point σ_i."""
    signals = find_signals(values, center, sigmas)
    points = [ChartPoint(period=p, value=v, ucl=min(1.0, center + 3 * s),
                         lcl=max(0.0, center - 3 * s), signals=sig)
              for p, v, s, sig in zip(periods, values, sigmas, signals, strict=True)]
    return ControlChart(chart=chart, center=center, points=points, baseline=limit_count,
                        sigma_z=sigma_z)


def _p(periods: list[str], values: list[float], denominators: Sequence[Any] | None,
       limit_count: int) -> ControlChart:
    sizes = _proportion_sizes(periods, values, denominators, "p-chart")
    center = _pooled_proportion(values[:limit_count], sizes[:limit_count])
    sigmas = [math.sqrt(center * (1 - center) / n) for n in sizes]
    return _proportion_chart("p", periods, values, center, sigmas, limit_count)


def laney_sigma_z(values: Sequence[float], sizes: Sequence[float], center: float) -> float:
    """Laney's σ_z: the average moving range of the z-scores z_i = (p_i − p̄) / σ_pi, over
    1.128. Needs at least two points. When p̄ is 0 or 1 every binomial σ_pi is 0 and every
    limit-setting point equals p̄, so each z is taken as 0 (on the centre line); so is the z
    of any point whose σ_pi underflows to 0."""
    if len(values) < 2 or len(sizes) != len(values):
        raise CxpmError(f"sigma_z needs at least 2 points with a denominator each, got "
                        f"{len(values)} values and {len(sizes)} denominators")
    sigmas = [math.sqrt(center * (1 - center) / n) for n in sizes]
    scores = [(v - center) / sigma if sigma > 0 else 0.0
              for v, sigma in zip(values, sigmas, strict=True)]
    ranges = [abs(b - a) for a, b in pairwise(scores)]
    return sum(ranges) / len(ranges) / D2


def _laney_p(periods: list[str], values: list[float], denominators: Sequence[Any] | None,
             limit_count: int) -> ControlChart:
    sizes = _proportion_sizes(periods, values, denominators, "laney-p chart")
    center = _pooled_proportion(values[:limit_count], sizes[:limit_count])
    sigma_z = laney_sigma_z(values[:limit_count], sizes[:limit_count], center)
    # σ_i of the p′ chart is the binomial σ_pi scaled by σ_z: the rule zones (1σ, 2σ) are
    # then zones of the z-scores in units of σ_z, as Laney's chart of z would draw them.
    sigmas = [math.sqrt(center * (1 - center) / n) * sigma_z for n in sizes]
    return _proportion_chart("laney-p", periods, values, center, sigmas, limit_count,
                             sigma_z=sigma_z)


def control_chart(periods: Sequence[Any], values: Sequence[Any], *, chart: ChartKind,
                  denominators: Sequence[Any] | None = None,
                  baseline: int | None = None) -> ControlChart:
    """A control chart of a series in time order.

    chart "xmr": individuals with limits centre ± 2.66 × average moving range; denominators are
    not used. chart "p": proportions (0..1) with limits from each point's denominator.
    chart "laney-p": the p-chart's limits widened (or narrowed) by σ_z, the spread of the
    points' z-scores (Laney p′, for overdispersed proportions such as busy queues).
    The centre and limits (and σ_z) come from all points, or from the first `baseline`
    points; the rules are applied to every point against those limits."""
    if chart not in CHART_KINDS:
        raise CxpmError(f"unknown chart {chart!r} (expected one of {', '.join(CHART_KINDS)})")
    labels = _check_periods(periods)
    if len(values) != len(labels):
        raise CxpmError(f"{len(values)} values for {len(labels)} periods")
    numbers = [_number(v, "value", p) for p, v in zip(labels, values, strict=True)]
    # XmR and Laney p′ need one moving range; a p-chart's limits come from one point
    minimum = 1 if chart == "p" else 2
    if len(numbers) < minimum:
        raise CxpmError(f"a {chart} chart needs at least {minimum} points, got {len(numbers)}")
    limit_count = _limit_count(baseline, len(numbers), minimum, chart)
    if chart == "xmr":
        return _xmr(labels, numbers, limit_count)
    if chart == "laney-p":
        return _laney_p(labels, numbers, denominators, limit_count)
    return _p(labels, numbers, denominators, limit_count)


def _parse_number(text: str | None, what: str, path: Path, line: int) -> float:
    cleaned = (text or "").strip()
    if not cleaned:
        raise CxpmError(f"{path}, line {line}: {what} is empty")
    try:
        number = float(cleaned)
    except ValueError:
        raise CxpmError(f"{path}, line {line}: {what} is not a number: {cleaned!r}") from None
    if not math.isfinite(number):
        raise CxpmError(f"{path}, line {line}: {what} is not a finite number: {cleaned!r}")
    return number


def read_series_csv(path: Path) -> tuple[list[str], list[float], list[float | None] | None]:
    """(periods, values, denominators) from a CSV with header period,value[,denominator].

    Rows stay in file order. Denominators are None when the column is absent; an empty
    denominator cell is None (only the proportion charts need it, and name the period that
    lacks one)."""
    path = Path(path)
    periods: list[str] = []
    values: list[float] = []
    denominators: list[float | None] = []
    first_line: dict[str, int] = {}
    try:
        with io.StringIO(read_user_text(Path(path)), newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if not header:
                raise CxpmError(f"{path}: the file is empty (expected a header with columns "
                                f"period,value[,denominator])")
            names = [name.strip().lower() for name in header]
            missing = [column for column in REQUIRED_COLUMNS if column not in names]
            if missing:
                raise CxpmError(f"{path}: missing column(s) {', '.join(missing)} (expected "
                                f"period,value[,denominator])")
            reader.fieldnames = names
            has_denominator = DENOMINATOR_COLUMN in names
            for row in reader:
                line = reader.line_num
                period = (row.get("period") or "").strip()
                if not period:
                    raise CxpmError(f"{path}, line {line}: period is empty")
                if period in first_line:
                    raise CxpmError(f"{path}, line {line}: period {period!r} appears again "
                                    f"(first on line {first_line[period]})")
                first_line[period] = line
                periods.append(period)
                values.append(_parse_number(row.get("value"), "value", path, line))
                if has_denominator:
                    cell = row.get(DENOMINATOR_COLUMN)
                    denominators.append(_parse_number(cell, "denominator", path, line)
                                        if (cell or "").strip() else None)
    except csv.Error as exc:
        raise CxpmError(f"{path}: cannot read the file ({exc})") from exc
    if not periods:
        raise CxpmError(f"{path}: no data rows (only a header)")
    return periods, values, denominators if has_denominator else None
