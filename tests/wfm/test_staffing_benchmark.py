"""The staffing benchmark runs end to end on a few hundred intervals and its answers agree
with pyworkforce (Erlang C) and with the plain-Python birth-death reference (Erlang A)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "staffing.py"


def test_staffing_benchmark_smoke() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARK), "--intervals", "300", "--baseline-sample", "100",
         "--reference-sample", "30", "--repeat", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "erlang-c answers equal on the sample: True" in out.stdout
    assert "birth-death reference: True" in out.stdout
    assert "speed-up vs pyworkforce" in out.stdout and "per 100k" in out.stdout
