"""Shared fixtures, including `cli`: the real `cxpm` entry point run in-process."""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
    for name in ("CXPM_WORKSPACE", "CXPM_TIMEZONE", "CXPM_WAREHOUSE_URL", "CXPM_APP_DB_URL",
                 "CXPM_DATABASE_URL"):
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


# A PostgreSQL server for the app-DB tests (.ci/run starts one and sets it): a URL whose
# user may create databases, e.g. postgresql+psycopg://postgres:pw@127.0.0.1:5432/postgres.
POSTGRES_ENV = "CXPM_TEST_POSTGRES_URL"


def _fresh_postgres_database(server_url: str, label: str) -> Iterator[str]:
    """Create a database with a unique name on the server, yield its URL, drop it after."""
    server = make_url(server_url)
    name = "cxpm_test_" + re.sub(r"[^a-z0-9]+", "_", label.lower())[-30:] + "_" \
        + uuid.uuid4().hex[:8]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def app_db_url(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty app database, once on SQLite and once on PostgreSQL (when
    CXPM_TEST_POSTGRES_URL names a server; skipped otherwise). One database per test module:
    tests that need an empty one clear it (tests/store/conftest.py)."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("app-db") / "app.db")
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"PostgreSQL variant: set {POSTGRES_ENV} to a server URL to run it "
                    "(.ci/run starts a throwaway server)")
    yield from _fresh_postgres_database(server, request.module.__name__)
