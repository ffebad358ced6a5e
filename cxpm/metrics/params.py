"""Metric parameters and their defaults (draft: owned by the metrics engine work)."""

from __future__ import annotations

from typing import Any

DEFAULT_PARAMS: dict[str, Any] = {
    "service_level.threshold_s": 20,
    "service_level.threshold_s_by_channel.email": 86400,
    "short_abandon.threshold_s": 5,
    "repeat.window_days": 7,
    "repeat.match_reason": True,
}
