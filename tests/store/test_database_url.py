"""Choosing the app database: CXPM_DATABASE_URL over CXPM_APP_DB_URL over cxpm.toml, the
PostgreSQL driver, and passwords kept out of every message."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxpm.config import load_settings
from cxpm.errors import CxpmError
from cxpm.store.db import database_url, mask_url, open_engine
from cxpm.workspace import Workspace, init_workspace, open_workspace


def test_precedence(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    config = workspace.path / "cxpm.toml"
    config.write_text(config.read_text().replace('"sqlite:///app.db"', '"sqlite:///file.db"'))
    assert load_settings(workspace.path).app_db_url == "sqlite:///file.db"
    monkeypatch.setenv("CXPM_APP_DB_URL", "sqlite:///legacy.db")
    assert load_settings(workspace.path).app_db_url == "sqlite:///legacy.db"
    monkeypatch.setenv("CXPM_DATABASE_URL", "postgresql+psycopg://cx@db.example/cxpm")
    assert load_settings(workspace.path).app_db_url == "postgresql+psycopg://cx@db.example/cxpm"


def test_embedded_sqlite_is_the_default(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws")
    try:
        assert workspace.app_db.url.database == str(tmp_path / "ws" / "app.db")
        assert (tmp_path / "ws" / "app.db").is_file()
    finally:
        workspace.close()


@pytest.mark.parametrize("url", ["postgresql://cx:pw@db/cxpm", "postgres://cx:pw@db/cxpm"])
def test_postgres_urls_use_psycopg(url: str, tmp_path: Path) -> None:
    assert database_url(url, tmp_path).drivername == "postgresql+psycopg"


def test_masking() -> None:
    assert mask_url("postgresql+psycopg://cx:s3cr:et@db:5432/cxpm") == \
        "postgresql+psycopg://cx:***@db:5432/cxpm"
    assert mask_url("sqlite:///app.db") == "sqlite:///app.db"


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://cx:hunter2@db/cxpm", "cxpm supports sqlite and postgresql"),
    ("not a url :hunter2@", "is not a database URL"),
])
def test_bad_urls_name_the_problem_not_the_password(url: str, message: str,
                                                    tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match=message) as excinfo:
        open_engine(url, tmp_path)
    assert "hunter2" not in str(excinfo.value)


def test_unreachable_server_is_one_line_without_the_password(
        workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 1 on the loopback: nothing listens there, the connection is refused at once.
    monkeypatch.setenv("CXPM_DATABASE_URL",
                       "postgresql+psycopg://cx:hunter2@127.0.0.1:1/cxpm?connect_timeout=3")
    reopened = open_workspace(workspace.path)
    with pytest.raises(CxpmError) as excinfo:
        reopened.app_db  # noqa: B018 (opening it connects)
    text = str(excinfo.value)
    assert "hunter2" not in text and "\n" not in text
    assert text.startswith("cannot open app database 'postgresql+psycopg://cx:***@127.0.0.1:1/")
