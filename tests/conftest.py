"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxpm.workspace import Workspace, init_workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh, empty workspace in UTC."""
    ws = init_workspace(tmp_path / "ws", "UTC")
    yield ws
    ws.close()


@pytest.fixture(autouse=True)
def _no_workspace_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's CXPM_* settings."""
    for name in ("CXPM_WORKSPACE", "CXPM_TIMEZONE", "CXPM_WAREHOUSE_URL", "CXPM_APP_DB_URL"):
        monkeypatch.delenv(name, raising=False)
