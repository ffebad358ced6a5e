"""Workspaces of tests/review/review_data.py, built once for the package. The review and drill
tests only read them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cxpm.workspace import Workspace, open_workspace

from . import review_data


def _open(path: Path) -> Iterator[Workspace]:
    ws = open_workspace(path)
    yield ws
    ws.close()


@pytest.fixture(scope="package")
def drill_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from _open(review_data.build_drill_workspace(tmp_path_factory.mktemp("drill")))


@pytest.fixture(scope="package")
def planted_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from _open(review_data.build_weekly_workspace(tmp_path_factory.mktemp("weekly"),
                                                        planted=True))


@pytest.fixture(scope="package")
def control_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from _open(review_data.build_weekly_workspace(tmp_path_factory.mktemp("weekly"),
                                                        planted=False))
