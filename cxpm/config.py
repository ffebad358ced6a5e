"""Workspace settings: cxpm.toml in the workspace folder, overridable by CXPM_* env vars."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cxpm.errors import CxpmError

CONFIG_FILE = "cxpm.toml"
WORKSPACE_ENV = "CXPM_WORKSPACE"
DEFAULT_WAREHOUSE_URL = "duckdb:///warehouse.duckdb"
DEFAULT_APP_DB_URL = "sqlite:///app.db"
DEFAULT_WAREHOUSE_WAIT_SECONDS = 60.0
# Selects the app database, e.g. postgresql+psycopg://cxpm@db.example/cxpm; it wins over
# CXPM_APP_DB_URL and cxpm.toml's app_db_url (docs/deployment.md).
DATABASE_URL_ENV = "CXPM_DATABASE_URL"


def timezone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone, or None when it is one."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}; use an IANA name such as UTC or Europe/London"
    return None


def _valid_timezone(name: str) -> str:
    problem = timezone_problem(name)
    if problem:
        raise ValueError(problem)
    return name


# A pydantic field type for an IANA time-zone name (workspace settings, mapping files).
TimezoneName = Annotated[str, AfterValidator(_valid_timezone)]


def check_timezone(name: str) -> str:
    """Return `name` when it is an IANA time zone; a clear error otherwise."""
    problem = timezone_problem(name)
    if problem:
        raise CxpmError(problem)
    return name


class _DatabaseUrlSource(PydanticBaseSettingsSource):
    """CXPM_DATABASE_URL, the conventional name for the app database, as `app_db_url`."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        url = os.environ.get(DATABASE_URL_ENV)
        return {"app_db_url": url} if url else {}


class Settings(BaseSettings):
    """What cxpm.toml holds. Env vars CXPM_TIMEZONE, CXPM_WAREHOUSE_URL, CXPM_APP_DB_URL win;
    CXPM_DATABASE_URL wins over CXPM_APP_DB_URL."""

    model_config = SettingsConfigDict(env_prefix="CXPM_", extra="forbid")

    timezone: TimezoneName = "UTC"
    warehouse_url: str = DEFAULT_WAREHOUSE_URL
    app_db_url: str = DEFAULT_APP_DB_URL
    # How long to wait for an embedded warehouse another process is using (a running
    # ingest, or the web server in the middle of a query) before giving up.
    warehouse_wait_seconds: float = Field(default=DEFAULT_WAREHOUSE_WAIT_SECONDS, ge=0,
                                          le=3600)
    # Metric parameter overrides, dotted keys as in `--param` (see `cxpm metrics explain`).
    params: dict[str, Any] = Field(default_factory=dict)
    # Workspace metric definitions that add to or override the built-in catalog.
    metrics: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables override what the file says.
        return _DatabaseUrlSource(settings_cls), env_settings, init_settings


def _flatten_file(data: dict[str, Any]) -> dict[str, Any]:
    """Map the sections of cxpm.toml onto Settings fields."""
    flat: dict[str, Any] = {}
    flat.update(data.get("workspace", {}))
    if "params" in data:
        flat["params"] = _dotted(data["params"])
    if "metrics" in data:
        flat["metrics"] = data["metrics"]
    unknown = set(data) - {"workspace", "params", "metrics"}
    if unknown:
        raise CxpmError(f"{CONFIG_FILE}: unknown section(s) {', '.join(sorted(unknown))}")
    return flat


def _dotted(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested TOML tables into dotted keys: {a: {b: 1}} -> {"a.b": 1}."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_dotted(value, name + "."))
        else:
            out[name] = value
    return out


def load_settings(workspace: Path) -> Settings:
    """Read and validate `workspace/cxpm.toml`."""
    path = workspace / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CxpmError(f"{path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CxpmError(f"{path}: invalid TOML: {exc}") from None
    try:
        return Settings(**_flatten_file(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise CxpmError(f"{path}: {problems}") from None


def resolve_workspace(option: Path | None) -> Path:
    """The workspace folder: --workspace, else $CXPM_WORKSPACE, else the current folder."""
    candidate = option or (Path(os.environ[WORKSPACE_ENV]) if os.environ.get(WORKSPACE_ENV)
                           else None)
    if candidate is None:
        candidate = Path.cwd()
        if not (candidate / CONFIG_FILE).is_file():
            raise CxpmError(
                "no cxpm workspace here: run `cxpm init PATH` to create one, then pass "
                "--workspace PATH or set CXPM_WORKSPACE"
            )
    candidate = candidate.expanduser().resolve()
    if not (candidate / CONFIG_FILE).is_file():
        raise CxpmError(
            f"{candidate} is not a cxpm workspace (no {CONFIG_FILE}); create it with "
            f"`cxpm init {candidate}`"
        )
    return candidate


def render_config(timezone: str, params: dict[str, Any]) -> str:
    """The text of a new cxpm.toml, with every metric parameter at its default."""
    import tomli_w

    doc = {
        "workspace": {
            "timezone": timezone,
            "warehouse_url": DEFAULT_WAREHOUSE_URL,
            "app_db_url": DEFAULT_APP_DB_URL,
        },
        "params": params,
    }
    header = (
        "# cxpm workspace settings.\n"
        "# [workspace] timezone is the reporting time zone: it defines intervals, days and\n"
        "# months. URLs are relative to this folder for embedded stores; env vars\n"
        "# CXPM_TIMEZONE, CXPM_WAREHOUSE_URL and CXPM_DATABASE_URL (or CXPM_APP_DB_URL)\n"
        "# override them; the app DB may be PostgreSQL (docs/deployment.md).\n"
        "# [params] are metric parameters (see `cxpm metrics explain ID`); any of them can be\n"
        "# overridden per call with --param KEY=VALUE.\n"
        "# Add [[metrics]] tables to define or override metrics (see docs/metrics.md).\n\n"
    )
    return header + tomli_w.dumps(doc)
