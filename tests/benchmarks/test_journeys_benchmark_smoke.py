"""The journeys benchmark runs end to end on a small N and both sides give every contact the
same journey id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "journeys.py"


def test_build_journeys_agrees_with_hand_written_duckdb(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARK), "--rows", "20000", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "journey ids agree: True" in out.stdout
    assert "ratio cxpm / hand" in out.stdout
