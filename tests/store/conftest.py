"""An app database per test on SQLite and PostgreSQL (the `app_db_url` fixture of
tests/conftest.py), emptied before each test, and a workspace that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData

from cxpm.config import DATABASE_URL_ENV
from cxpm.store.db import open_engine
from cxpm.workspace import Workspace, init_workspace


def empty(engine: Engine) -> None:
    """Drop every table (the previous test's schema and data, Alembic's version table)."""
    tables = MetaData()
    tables.reflect(engine)
    tables.drop_all(engine)


@pytest.fixture
def app_engine(app_db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on the empty app database."""
    engine = open_engine(app_db_url, tmp_path)
    empty(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app_workspace(app_engine: Engine, app_db_url: str, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A new workspace whose app database is `app_db_url`, chosen by CXPM_DATABASE_URL as a
    deployment would."""
    monkeypatch.setenv(DATABASE_URL_ENV, app_db_url)
    workspace = init_workspace(tmp_path / "ws", "UTC")
    assert workspace.app_db.url.render_as_string(hide_password=False) == app_db_url
    yield workspace
    workspace.close()
