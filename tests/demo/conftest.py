"""A small simulated operation shared by the demo tests (14 days at a quarter of the volume)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cxpm.demo import simulate_operation

SMALL = {"days": 14, "scale": 0.25, "seed": 11}


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return simulate_operation(tmp_path_factory.mktemp("demo"), **SMALL)


@pytest.fixture(scope="session")
def rows(small_run: dict[str, list[Path]]) -> dict[str, list[dict[str, str]]]:
    """Every table's rows as plain dicts of strings, read with the csv module."""
    out = {}
    for table, paths in small_run.items():
        out[table] = []
        for path in paths:
            with path.open(newline="", encoding="utf-8") as handle:
                out[table].extend(csv.DictReader(handle))
    return out
