"""The load benchmark runs end to end on a small workspace: the server starts on loopback,
every scorecard variant answers, the clients see no error and the figures are printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"


def test_load_benchmark_small(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARK), "--rows", "20000", "--clients", "4",
         "--seconds", "2", "--baseline-seconds", "1", "--port", "8797",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(re.findall(r"^cold /api/scorecard .* \d+ rows$", out.stdout, re.M)) == 5
    loaded = re.search(r"GET /api/scorecard \(5 variants\), 4 clients, 2 s: ([\d,]+) answered, "
                       r"0 errors", out.stdout)
    assert loaded and int(loaded.group(1).replace(",", "")) > 0, out.stdout
    assert re.search(r"latency ms: p50 [\d.]+  p95 [\d.]+", out.stdout)
    assert "ratio p95 scorecard / p95 healthz" in out.stdout


def test_refuses_unbounded_runs(tmp_path: Path) -> None:
    for option, value in (("--clients", "1000"), ("--seconds", "100000")):
        out = subprocess.run([sys.executable, str(BENCHMARK), option, value, "--workdir",
                              str(tmp_path)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and "must be between" in out.stderr
