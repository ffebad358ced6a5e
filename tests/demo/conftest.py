"""A small demo shared by the demo tests (14 days at a quarter of the volume), built once:
its raw files are the simulation's output, its workspace holds them loaded and scored."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cxpm.demo.build import DemoResult, build_demo

SMALL = {"days": 14, "scale": 0.25, "seed": 11}


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    workspace, result = build_demo(tmp_path_factory.mktemp("demo") / "ws", **SMALL)
    workspace.close()
    return result


@pytest.fixture(scope="session")
def small_run(small_demo: DemoResult) -> dict[str, list[Path]]:
    """What simulate_operation wrote (build_demo runs it with the same arguments)."""
    return small_demo.files


@pytest.fixture(scope="session")
def rows(small_run: dict[str, list[Path]]) -> dict[str, list[dict[str, str]]]:
    """Every CSV table's rows as plain dicts of strings, read with the csv module."""
    out = {}
    for table, paths in small_run.items():
        if paths[0].suffix != ".csv":
            continue
        out[table] = []
        for path in paths:
            with path.open(newline="", encoding="utf-8") as handle:
                out[table].extend(csv.DictReader(handle))
    return out
