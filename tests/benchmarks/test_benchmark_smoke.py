"""The metric-engine benchmark runs end to end on a small N and its two paths agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "metrics_engine.py"


def test_engine_agrees_with_hand_written_duckdb(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARK), "--rows", "30000", "--repeat", "1",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "results agree: True" in out.stdout
    assert "ratio engine / hand" in out.stdout
