"""Numbers as people read them, shared by the command line, reports and the web app."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any


def format_value(value: Any, unit: str | None = None) -> str:
    """A number as a person reads it: ratios as percentages, seconds with one decimal."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if unit == "ratio":
            return f"{value * 100:.1f}%"
        if unit in ("count", "contacts") and value.is_integer():
            return f"{value:,.0f}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def json_ready(data: Any) -> Any:
    """NaN and infinities have no JSON spelling: they become null (CLI and API alike)."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: json_ready(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_ready(v) for v in data]
    return data
