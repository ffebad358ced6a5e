"""Shared by the forecasting tests: run `cxpm forecast ...` in-process."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest
import typer

from cxpm.cli import forecast_cmd
from cxpm.errors import CxpmError


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def cli_runner(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`cxpm forecast ...` on an app that has only the forecast commands, with the real
    entry point's error handling (CxpmError -> one line on stderr, exit 1)."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """test app"""

    forecast_cmd.register(app)

    def invoke(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["cxpm", *map(str, args)])
        capsys.readouterr()
        code = 0
        try:
            app()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except CxpmError as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = 1
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return invoke
