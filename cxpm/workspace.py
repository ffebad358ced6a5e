"""A workspace: a folder with cxpm.toml, the warehouse and the app database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from cxpm.config import CONFIG_FILE, Settings, check_timezone, load_settings, render_config
from cxpm.errors import CxpmError
from cxpm.store.db import migrate, open_engine
from cxpm.warehouse import Warehouse, connect

# Rewritten (a random value) after every committed warehouse write; see data_version.
DATA_VERSION_FILE = ".data-version"

if TYPE_CHECKING:
    from cxpm.metrics.catalog import Catalog


class Workspace:
    """Opened lazily: reading settings touches neither store."""

    def __init__(self, path: Path, settings: Settings | None = None) -> None:
        self.path = path
        self.settings = settings or load_settings(path)
        self._warehouse_checked = False
        # Told (with the reason) when the warehouse is held by another process and opening
        # it has to wait; the CLI shows it.
        self.on_warehouse_wait: Callable[[str], None] | None = None

    @property
    def timezone(self) -> str:
        return self.settings.timezone

    def today(self) -> date:
        """Today in the workspace's reporting time zone."""
        return datetime.now(UTC).astimezone(ZoneInfo(self.timezone)).date()

    @cached_property
    def warehouse(self) -> Warehouse:
        con = connect(self.settings.warehouse_url, self.path,
                      wait_seconds=self.settings.warehouse_wait_seconds,
                      on_wait=self.on_warehouse_wait)
        warehouse = Warehouse(con, on_commit=self.new_data_version)
        if not self._warehouse_checked:
            # A workspace made by an older cxpm gains the tables and columns added since.
            warehouse.ensure_tables()
            warehouse.check_timezone(self.timezone)
            self._warehouse_checked = True
        return warehouse

    def close_warehouse(self) -> None:
        """Let go of the warehouse, so another process may write to it; the next use of
        `warehouse` opens it again."""
        if "warehouse" in self.__dict__:
            self.__dict__.pop("warehouse").con.disconnect()

    def data_version(self) -> str:
        """Changes whenever data is committed to the warehouse through cxpm, by any process:
        results computed at one version stay true until the next."""
        try:
            return (self.path / DATA_VERSION_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return "0"

    def new_data_version(self) -> None:
        marker = self.path / DATA_VERSION_FILE
        temporary = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
        temporary.write_text(uuid.uuid4().hex, encoding="utf-8")
        os.replace(temporary, marker)

    @cached_property
    def app_db(self) -> Engine:
        engine = open_engine(self.settings.app_db_url, self.path)
        # A workspace made by an older cxpm gains the tables added since.
        migrate(engine)
        return engine

    def metric_params(self, overrides: Sequence[str] = ()) -> dict[str, Any]:
        """Metric parameters: defaults, then cxpm.toml [params], then `overrides` (K=V)."""
        from cxpm.metrics.params import resolve_params

        return resolve_params(self.settings.params, overrides)

    def metric_catalog(self) -> Catalog:
        """Built-in metrics plus the workspace's [[metrics]] definitions."""
        from cxpm.metrics.catalog import load_catalog

        return load_catalog(self.settings.metrics)

    @property
    def raw_dir(self) -> Path:
        """Where raw files generated inside the workspace (e.g. by the demo) are kept."""
        return self.path / "raw"

    def close(self) -> None:
        self.close_warehouse()
        if "app_db" in self.__dict__:
            self.app_db.dispose()
            del self.__dict__["app_db"]


def default_params() -> dict[str, Any]:
    """Every metric parameter at its default, for a new cxpm.toml."""
    from cxpm.metrics.params import DEFAULT_PARAMS

    return dict(DEFAULT_PARAMS)


def init_workspace(path: Path, timezone: str = "UTC", *, exist_ok: bool = False) -> Workspace:
    """Create a workspace folder: cxpm.toml, the warehouse tables and the migrated app DB."""
    check_timezone(timezone)
    path = path.expanduser().resolve()
    config = path / CONFIG_FILE
    if config.exists() and not exist_ok:
        raise CxpmError(f"{path} is already a cxpm workspace ({CONFIG_FILE} exists)")
    if path.exists() and not path.is_dir():
        raise CxpmError(f"{path} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        settings = (load_settings(path) if config.exists()
                    else Settings(timezone=timezone, params=default_params()))
        workspace = Workspace(path, settings)
        workspace.warehouse.ensure_tables()
        workspace.warehouse.check_timezone(workspace.timezone)
        workspace.app_db  # noqa: B018 (opening it creates and migrates the app database)
        # Written last: a folder whose set-up failed is not mistaken for a workspace.
        if not config.exists():
            config.write_text(render_config(timezone, default_params()), encoding="utf-8")
    except OSError as exc:
        raise CxpmError(f"cannot create a workspace in {path}: {exc.strerror or exc}") from None
    return workspace


def open_workspace(path: Path | str) -> Workspace:
    """Open an existing workspace (the caller resolved `path`)."""
    return Workspace(Path(path))
