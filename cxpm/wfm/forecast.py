"""Interval-level volume forecasting for one series on a regular grid of naive local times.

A series is a numpy array of counts on a grid of `interval_s` seconds that starts at local
midnight, so one week is `week_len` consecutive positions and "the same interval one week
earlier" is simply the position `week_len` back. Intervals of special days (holidays) and
detected outliers are NaN: models skip them instead of learning from them.

The operating calendar — which intervals of which weekdays have activity — is inferred from
the recent history; forecasts are produced only for active intervals (closed hours and closed
days get no forecast, and special days in the horizon are treated as closed).
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from scipy.ndimage import gaussian_filter1d

from cxpm.errors import CxpmError

DAY_S = 86_400
REFERENCE_WEEKS = 8
MIN_HISTORY_DAYS = 14
ACTIVE_SHARE = 0.25
OUTLIER_SCALE = 5.0
SMOOTHING_MINUTES = 12.0


@dataclass(frozen=True)
class Series:
    """Counts on a regular grid: `values[i]` is the interval starting at start + i·interval_s."""

    start: datetime
    interval_s: int
    values: np.ndarray

    @property
    def per_day(self) -> int:
        return DAY_S // self.interval_s

    @property
    def week_len(self) -> int:
        return 7 * self.per_day

    def time_at(self, position: int) -> datetime:
        return self.start + timedelta(seconds=position * self.interval_s)

    def position_of(self, moment: datetime) -> int:
        return int((moment - self.start).total_seconds()) // self.interval_s

    def head(self, end: datetime) -> Series:
        """The history up to and including the interval starting at `end`."""
        return Series(self.start, self.interval_s, self.values[: self.position_of(end) + 1])


def grid_step_s(starts: Sequence[datetime]) -> int:
    """The grid step: the most common gap between consecutive distinct interval starts (rows
    of zero calls may be left out, so some gaps span several steps; a stray row must not shrink
    the grid). Ties go to the gap that leaves the fewest starts off the grid, then the smaller.
    It must be at least a minute and divide a day."""
    distinct = sorted(set(starts))
    if len(distinct) < 2:
        raise CxpmError("cannot infer the interval length from fewer than two interval starts")
    gaps = Counter(int((b - a).total_seconds()) for a, b in itertools.pairwise(distinct))
    most = max(gaps.values())
    tied = sorted(gap for gap, count in gaps.items() if count == most)
    # only steps that divide a day qualify (a few dozen at most), so the count stays cheap
    valid = [gap for gap in tied if gap >= 60 and DAY_S % gap == 0]
    if not valid:
        raise CxpmError(f"interval starts are not on a regular grid that divides a day "
                        f"(most common step {tied[0]} s)")
    return min(valid, key=lambda gap: (sum(_seconds_from_midnight(s) % gap != 0
                                           for s in distinct), gap))


def _seconds_from_midnight(moment: datetime) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def off_grid(starts: Sequence[datetime], step: int) -> int | None:
    """The index of the first start that is not on the `step`-second grid from midnight."""
    for index, moment in enumerate(starts):
        if _seconds_from_midnight(moment) % step or moment.microsecond:
            return index
    return None


def infer_interval_s(starts: Sequence[datetime]) -> int:
    """The grid step (`grid_step_s`); every start must lie on that grid from midnight."""
    step = grid_step_s(starts)
    stray = off_grid(starts, step)
    if stray is not None:
        raise CxpmError(f"interval start {starts[stray]} is off the {step / 60:g}-minute grid "
                        f"from midnight that the other rows follow")
    return step


def series_from_points(starts: Sequence[datetime], counts: Sequence[float],
                       interval_s: int | None = None) -> Series:
    """A regular series from (interval start, count) points; missing grid points count 0."""
    if len(starts) != len(counts):
        raise CxpmError("interval starts and counts differ in length")
    if len(set(starts)) != len(starts):
        raise CxpmError("duplicate interval starts in the history")
    step = interval_s or infer_interval_s(starts)
    first = min(starts)
    start = datetime.combine(first.date(), datetime.min.time())
    last = max(starts)
    length = int((last - start).total_seconds()) // step + 1
    values = np.zeros(length)
    offsets = np.array([(s - start).total_seconds() for s in starts])
    if np.any(offsets % step):
        raise CxpmError(f"interval starts are not on the {step // 60}-minute grid")
    values[(offsets // step).astype(np.int64)] = np.asarray(counts, dtype=float)
    return Series(start, step, values)


def mask_special_days(series: Series, special_days: Iterable[date]) -> np.ndarray:
    """The series values with every interval of a special day set to NaN."""
    values = series.values.astype(float).copy()
    for day in special_days:
        first = series.position_of(datetime.combine(day, datetime.min.time()))
        lo, hi = max(first, 0), min(first + series.per_day, len(values))
        if lo < hi:
            values[lo:hi] = np.nan
    return values


def _recent_weeks(values: np.ndarray, week_len: int, weeks: int) -> np.ndarray:
    """The last `weeks` whole weeks as rows; column j is aligned with the j-th interval after
    the end of the history. Fewer rows when the history is shorter."""
    weeks = min(weeks, len(values) // week_len)
    if weeks < 1:
        raise CxpmError("too little history: at least one week is needed")
    return values[len(values) - weeks * week_len:].reshape(weeks, week_len)


def _trimmed_mean(rows: np.ndarray) -> np.ndarray:
    """Per column: mean of the non-NaN values, dropping the lowest and highest when at least
    four are present (robust to a holiday or an outage week). NaN where all are NaN."""
    ordered = np.sort(rows, axis=0)  # NaN sorts last
    present = (~np.isnan(rows)).sum(axis=0)
    trim = (present >= 4).astype(int)
    rank = np.arange(rows.shape[0])[:, None]
    keep = (rank >= trim) & (rank < present - trim)
    total = np.where(keep, np.nan_to_num(ordered), 0.0).sum(axis=0)
    count = keep.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def clean_outliers(values: np.ndarray, week_len: int, weeks: int = REFERENCE_WEEKS) -> np.ndarray:
    """Values far from the same interval's median over recent weeks set to NaN.

    Far means more than OUTLIER_SCALE robust spreads away, where the spread is the larger of
    the across-week MAD and a Poisson-like sqrt(median) + 1 floor, so quiet intervals with
    sparse counts are not flagged."""
    rows = _recent_weeks(values, week_len, weeks).copy()
    if rows.shape[0] < 3:
        return values
    median = np.nanmedian(np.where(np.isnan(rows).all(axis=0), 0.0, rows), axis=0)
    spread = np.maximum(1.4826 * np.nanmedian(np.abs(rows - median), axis=0),
                        np.sqrt(np.maximum(median, 0)) + 1.0)
    outlier = np.abs(rows - median) > OUTLIER_SCALE * spread
    cleaned = values.copy()
    tail = cleaned[len(values) - rows.size:].reshape(rows.shape)
    tail[outlier] = np.nan
    return cleaned


@dataclass(frozen=True)
class Calendar:
    """Whether each of the next `week_len` intervals after the history end is an open one."""

    active: np.ndarray

    def is_active(self, step: int) -> bool:
        return bool(self.active[(step - 1) % len(self.active)])


def infer_calendar(values: np.ndarray, week_len: int, weeks: int = REFERENCE_WEEKS) -> Calendar:
    """An interval of the week is open when it had activity in at least ACTIVE_SHARE of the
    recent weeks (at least one) in which it was observed."""
    rows = _recent_weeks(values, week_len, weeks)
    observed = (~np.isnan(rows)).sum(axis=0)
    busy = (np.nan_to_num(rows) > 0).sum(axis=0)
    needed = np.maximum(1, np.ceil(ACTIVE_SHARE * observed))
    return Calendar(busy >= needed)


# Models: history (NaN = unusable) + horizon steps -> forecast for steps 1..horizon.
Model = Callable[[np.ndarray, int, int], np.ndarray]


def _repeat_week(week: np.ndarray, horizon: int) -> np.ndarray:
    return np.resize(np.nan_to_num(week), horizon)


def seasonal_naive(values: np.ndarray, week_len: int, horizon: int) -> np.ndarray:
    """The same interval one week earlier (NaN history counts as 0)."""
    return _repeat_week(_recent_weeks(values, week_len, 1)[0], horizon)


def weekly_profile(values: np.ndarray, week_len: int, horizon: int) -> np.ndarray:
    """Trimmed mean of the same weekday-interval over the last REFERENCE_WEEKS weeks, lightly
    smoothed across neighbouring intervals (arrivals are Poisson-noisy at short intervals)."""
    profile = _trimmed_mean(_recent_weeks(values, week_len, REFERENCE_WEEKS))
    profile = np.where(np.isnan(profile), seasonal_naive(values, week_len, week_len), profile)
    sigma = SMOOTHING_MINUTES * 60 / (DAY_S * 7 / week_len)
    if sigma >= 0.5:
        profile = gaussian_filter1d(profile, sigma, mode="wrap")
    return _repeat_week(profile, horizon)


def _fill_with_profile(values: np.ndarray, week_len: int) -> np.ndarray:
    """NaN positions replaced by the weekly profile (statsforecast models need complete data)."""
    if not np.isnan(values).any():
        return values
    rows = values[len(values) % week_len:].reshape(-1, week_len) if len(values) >= week_len \
        else values[None, :]
    profile = np.nan_to_num(_trimmed_mean(rows))
    filled = values.copy()
    positions = np.flatnonzero(np.isnan(filled))
    shift = len(values) % week_len
    filled[positions] = profile[(positions - shift) % profile.size] if len(values) >= week_len \
        else 0.0
    return filled


@contextmanager
def quiet_fit() -> Iterator[None]:
    """Silence numeric RuntimeWarnings while a statsforecast model fits: on short or flat
    histories it divides by zero (e.g. ETS's σ² with no degrees of freedom left) and warns on
    stderr although the fit is still used or fails with an exception. Only warnings are
    silenced; exceptions pass through to the caller."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def daily_ets_profile(values: np.ndarray, week_len: int, horizon: int) -> np.ndarray:
    """Top-down: AutoETS with weekly seasonality forecasts daily totals; each day's total is
    spread over its intervals by the day's share in the weekly profile."""
    from statsforecast.models import AutoETS

    per_day = week_len // 7
    days = len(values) // per_day
    # the grid starts at midnight, so whole days are the leading days * per_day positions
    history = _fill_with_profile(values, week_len)[: days * per_day]
    daily = history.reshape(days, per_day).sum(axis=1)[-REFERENCE_WEEKS * 7:]
    phase = len(values) % per_day
    steps_days = -(-(phase + horizon) // per_day)
    try:
        with quiet_fit():
            totals = AutoETS(season_length=7, model="ZZZ").forecast(y=daily,
                                                                    h=steps_days)["mean"]
    except Exception:  # degenerate histories (all zero) make ETS fail: fall back to the profile
        return weekly_profile(values, week_len, horizon)
    # when the history ends mid-day, day 0 of `totals` is that (partly observed) day
    shaped = weekly_profile(values, week_len, steps_days * per_day - phase)
    padded = np.concatenate([np.zeros(phase), shaped])
    day_rows = padded.reshape(steps_days, per_day)
    share_total = day_rows.sum(axis=1, keepdims=True)
    scale = np.where(share_total > 0, np.maximum(totals, 0)[:, None] / np.maximum(share_total,
                                                                                  1e-12), 0.0)
    if phase:  # a partly observed first day keeps the profile's own level
        scale[0] = 1.0
    return (day_rows * scale).reshape(-1)[phase: phase + horizon]


def mstl(values: np.ndarray, week_len: int, horizon: int) -> np.ndarray:
    """MSTL with daily and weekly seasonality on the last four weeks (opt-in: see
    `candidate_models`)."""
    from statsforecast.models import MSTL

    per_day = week_len // 7
    history = _fill_with_profile(values, week_len)[-4 * week_len:]
    if len(history) < 2 * week_len:
        return weekly_profile(values, week_len, horizon)
    model = MSTL(season_length=[per_day, week_len])
    with quiet_fit():
        predicted = model.forecast(y=history, h=horizon)["mean"]
    return np.maximum(predicted, 0.0)


def ensemble(values: np.ndarray, week_len: int, horizon: int) -> np.ndarray:
    """Mean of the weekly profile and the top-down daily ETS forecast."""
    return (weekly_profile(values, week_len, horizon)
            + daily_ets_profile(values, week_len, horizon)) / 2


MODELS: dict[str, Model] = {
    "seasonal_naive": seasonal_naive,
    "weekly_profile": weekly_profile,
    "daily_ets_profile": daily_ets_profile,
    "ensemble": ensemble,
    "mstl": mstl,
}
BASELINE = "seasonal_naive"


def candidate_models(interval_s: int) -> list[str]:
    """Models tried by default. MSTL is opt-in (name it in `models`): its STL decomposition
    with a weekly period costs seconds per fit, against milliseconds for the others, and it
    did not beat the weekly profile on the data we measured (docs/forecasting.md)."""
    del interval_s  # the same list at every interval length for now
    return ["seasonal_naive", "weekly_profile", "daily_ets_profile", "ensemble"]


def parse_models(text: str | None) -> list[str] | None:
    """A comma-separated model list (None = the default candidates); names are checked."""
    if text is None or not text.strip():
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise CxpmError(f"unknown forecast model(s) {', '.join(unknown)}; choose from "
                        f"{', '.join(MODELS)}")
    return names


@dataclass(frozen=True)
class Forecast:
    """Forecast rows: interval starts at which the calendar expects activity, and volumes."""

    model: str
    interval_s: int
    starts: list[datetime]
    values: np.ndarray


def forecast_series(series: Series, train_end: datetime, horizon_days: float, *,
                    model: str = "weekly_profile",
                    special_days: Sequence[date] = ()) -> Forecast:
    """Forecast every interval in (train_end, train_end + horizon_days] that the calendar
    inferred from the history up to train_end expects to be open (special days are closed)."""
    if model not in MODELS:
        raise CxpmError(f"unknown forecast model {model!r}; choose from {', '.join(MODELS)}")
    check_train_end(series, train_end)
    history = series.head(train_end)
    values = clean_outliers(mask_special_days(history, special_days), history.week_len)
    horizon = round(horizon_days * DAY_S) // series.interval_s
    if horizon < 1:
        raise CxpmError("the horizon must cover at least one interval")
    # the baseline stays the plain "same interval one week earlier", uncleaned
    inputs = history.values.astype(float) if model == BASELINE else values
    predicted = np.maximum(MODELS[model](inputs, history.week_len, horizon), 0.0)
    calendar = infer_calendar(values, history.week_len)
    closed_days = set(special_days)
    starts: list[datetime] = []
    kept: list[float] = []
    for step in range(1, horizon + 1):
        moment = train_end + timedelta(seconds=step * series.interval_s)
        if calendar.is_active(step) and moment.date() not in closed_days:
            starts.append(moment)
            kept.append(float(predicted[step - 1]))
    return Forecast(model, series.interval_s, starts, np.asarray(kept))


def check_train_end(series: Series, train_end: datetime) -> None:
    offset = (train_end - series.start).total_seconds()
    if offset % series.interval_s:
        raise CxpmError(f"train-end {train_end} is not an interval start on the "
                        f"{series.interval_s // 60}-minute grid")
    if offset < MIN_HISTORY_DAYS * DAY_S - series.interval_s:
        raise CxpmError(f"too little history: train-end {train_end} leaves less than "
                        f"{MIN_HISTORY_DAYS} days of history (it starts {series.start:%Y-%m-%d})")
    last = series.time_at(len(series.values) - 1)
    if train_end > last + timedelta(days=1):
        raise CxpmError(f"train-end {train_end} is more than a day after the history's last "
                        f"interval ({last})")
