"""Fixtures of the awards tests: the small two-year operation of awards_data.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .awards_data import build_workspace


@pytest.fixture(scope="package")
def awards_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("awards"))
