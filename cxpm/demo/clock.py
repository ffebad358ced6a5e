"""Local calendar days of the simulated operation expressed as UTC epoch seconds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from cxpm.errors import CxpmError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CxpmError(f"unknown time zone {name!r}; use an IANA name such as America/New_York")\
            from None


def local_to_utc_seconds(day: date, tz: ZoneInfo, seconds_of_day: int = 0) -> int:
    local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(seconds=seconds_of_day)
    # Re-attach the zone so the offset is the one in force at that wall-clock time.
    local = local.replace(tzinfo=None).replace(tzinfo=tz)
    return int(local.timestamp())


def day_bases(days: list[date], tz: ZoneInfo) -> np.ndarray:
    """UTC seconds of local midnight per day, using the offset in force at 04:00 local.

    Operating hours start after any daylight-saving switch, so every simulated event of the
    day is placed at the right wall-clock time by adding seconds of day to this base.
    """
    return np.array([local_to_utc_seconds(d, tz, 4 * 3600) - 4 * 3600 for d in days],
                    dtype=np.int64)


def iso_utc(seconds: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC strings with Z; entries < 0 mean null and become empty strings."""
    seconds = np.asarray(seconds, dtype=np.int64)
    out = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s", timezone="UTC")
    out = out.astype(object)
    out[seconds < 0] = None
    return out
