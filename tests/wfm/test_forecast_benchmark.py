"""The forecast benchmark runs end to end on 3 queues and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "forecast.py"


def test_forecast_benchmark_smoke() -> None:
    out = subprocess.run([sys.executable, str(BENCHMARK), "--queues", "3", "--weeks", "8",
                          "--horizon-days", "7"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines())
    assert lines["queues"].startswith("3,")
    # queues open 12 h on six days: at most 6 × 24 half-hours per queue-week; the quietest
    # open half-hours of a low-volume queue may see too few calls to count as open
    rows = int(lines["forecast rows"].replace(",", ""))
    assert 0.9 * 3 * 6 * 24 <= rows <= 3 * 6 * 24
    assert "wall time" in lines and "peak memory" in lines
