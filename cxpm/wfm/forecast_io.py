"""Plain-series files: read `interval_start,calls` history, write `interval_start,forecast`."""

from __future__ import annotations

import csv
import math
from datetime import date, datetime
from pathlib import Path

from cxpm.errors import CxpmError
from cxpm.files import atomic_output
from cxpm.wfm.forecast import Forecast, Series, grid_step_s, off_grid, series_from_points

INPUT_COLUMNS = ("interval_start", "calls")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_local_time(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CxpmError(f"{what}: expected a local time 'YYYY-MM-DD HH:MM:SS', "
                        f"got {text!r}") from None
    if moment.tzinfo is not None:
        raise CxpmError(f"{what}: expected a naive local time without a time-zone offset, "
                        f"got {text!r}")
    return moment


def parse_special_days(texts: list[str] | tuple[str, ...] | str | None) -> list[date]:
    """Special days from a list (or a comma-separated string) of YYYY-MM-DD dates."""
    if texts is None:
        return []
    items = texts.split(",") if isinstance(texts, str) else list(texts)
    days = []
    for item in items:
        if not str(item).strip():
            continue
        try:
            days.append(date.fromisoformat(str(item).strip()))
        except ValueError:
            raise CxpmError(f"special day {item!r} is not a YYYY-MM-DD date") from None
    return days


def read_series_csv(path: Path) -> Series:
    """A history file with columns interval_start (naive local time) and calls (count ≥ 0)."""
    if not path.is_file():
        raise CxpmError(f"{path}: no such file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in INPUT_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CxpmError(f"{path.name}: missing column(s) {', '.join(missing)}; expected "
                                f"{','.join(INPUT_COLUMNS)}")
            starts: list[datetime] = []
            counts: list[float] = []
            for line, row in enumerate(reader, start=2):
                starts.append(parse_local_time(row["interval_start"] or "",
                                               f"{path.name} line {line}"))
                try:
                    value = float(row["calls"])
                except (TypeError, ValueError):
                    raise CxpmError(f"{path.name} line {line}: calls is not a number: "
                                    f"{row['calls']!r}") from None
                if not math.isfinite(value):
                    raise CxpmError(f"{path.name} line {line}: calls must be a finite number, "
                                    f"got {row['calls']!r}")
                if value < 0:
                    raise CxpmError(f"{path.name} line {line}: calls must be ≥ 0, got {value}")
                counts.append(value)
    except UnicodeDecodeError:
        raise CxpmError(f"{path.name}: not a UTF-8 text CSV file") from None
    if not starts:
        raise CxpmError(f"{path.name}: no data rows")
    first_line: dict[datetime, int] = {}
    for line, start in enumerate(starts, start=2):
        if start in first_line:
            raise CxpmError(f"{path.name} line {line}: duplicate interval start {start} "
                            f"(also on line {first_line[start]})")
        first_line[start] = line
    try:
        step = grid_step_s(starts)
        stray = off_grid(starts, step)
        if stray is not None:
            raise CxpmError(f"line {stray + 2}: interval start {starts[stray]} is off the "
                            f"{step / 60:g}-minute grid from midnight that the other rows follow")
        return series_from_points(starts, counts, step)
    except CxpmError as exc:
        raise CxpmError(f"{path.name}: {exc}") from None


def write_forecast_csv(forecast: Forecast, path: Path) -> None:
    """Write `interval_start,forecast` rows; a failed write leaves no partial file."""
    with atomic_output(path) as temporary, temporary.open(
            "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["interval_start", "forecast"])
        for start, value in zip(forecast.starts, forecast.values, strict=True):
            writer.writerow([start.strftime(TIME_FORMAT), f"{value:.4f}"])
