"""Shared fixtures, including `cli`: the real `cxpm` entry point run in-process."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cxpm.cli.main import run
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


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    def invoke(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["cxpm", *map(str, args)])
        capsys.readouterr()
        code = 0
        try:
            run()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return invoke
