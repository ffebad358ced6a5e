"""Sparklines as inline SVG polylines: no script, nothing the page's policy would block."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH, HEIGHT, PAD = 84, 22, 2


def sparkline_points(values: Sequence[float | None]) -> list[str]:
    """SVG polyline `points` strings, one per run of months with a value (a gap where a
    month has none); empty when fewer than two values are known."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return []
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    runs: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
            continue
        x = PAD + i * step
        y = HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)
        runs[-1].append(f"{x:.1f},{y:.1f}")
    return [" ".join(run) for run in runs if run]
