"""Fixtures for ingest tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_helpers import writer_for


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv(name, rows, columns=contacts columns, delimiter=",") -> path"""
    return writer_for(tmp_path)
