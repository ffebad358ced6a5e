"""Migration 0006 upgrades and downgrades on SQLite."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from cxpm.store.db import MIGRATIONS
from cxpm.workspace import Workspace


def _run(workspace: Workspace, action, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with workspace.app_db.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def _state(workspace: Workspace) -> tuple[set[str], set[str]]:
    inspector = inspect(workspace.app_db)
    return (set(inspector.get_table_names()),
            {c["name"] for c in inspector.get_columns("users")})


def test_down_and_up(workspace: Workspace) -> None:
    tables, columns = _state(workspace)
    assert {"auth_tokens", "login_failures"} <= tables
    assert {"password_hash", "disabled", "last_login_at", "password_changed_at"} <= columns
    _run(workspace, command.downgrade, "0005")
    tables, columns = _state(workspace)
    assert not {"auth_tokens", "login_failures"} & tables
    assert columns == {"id", "username", "role", "scope_kind", "scope_value", "created_at"}
    _run(workspace, command.upgrade, "head")
    assert {"auth_tokens", "login_failures"} <= _state(workspace)[0]
