from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from cxpm.config import load_settings, resolve_workspace
from cxpm.errors import CxpmError
from cxpm.metrics.params import DEFAULT_PARAMS
from cxpm.schema import TABLES
from cxpm.store.db import record_audit, table_names
from cxpm.store.models import AuditLog
from cxpm.workspace import init_workspace


def test_init_creates_config_warehouse_and_migrated_app_db(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ops", "Asia/Jerusalem")
    config = tomllib.loads((tmp_path / "ops" / "cxpm.toml").read_text())
    assert config["workspace"]["timezone"] == "Asia/Jerusalem"
    assert config["workspace"]["warehouse_url"] == "duckdb:///warehouse.duckdb"
    assert config["workspace"]["app_db_url"] == "sqlite:///app.db"
    assert config["params"] == DEFAULT_PARAMS
    assert set(TABLES) <= set(ws.warehouse.con.list_tables())
    assert (tmp_path / "ops" / "warehouse.duckdb").exists()
    assert {"alembic_version", "audit_log", "users"} <= set(table_names(ws.app_db))
    ws.close()


def test_audit_rows_round_trip(workspace) -> None:
    with Session(workspace.app_db) as session:
        record_audit(session, actor="ana", action="update", entity="target", entity_id="7",
                     before={"value": 0.8}, after={"value": 0.85})
        session.commit()
        row = session.query(AuditLog).one()
    assert (row.actor, row.before, row.after) == ("ana", {"value": 0.8}, {"value": 0.85})


def test_init_refuses_existing_workspace_and_bad_timezone(tmp_path: Path) -> None:
    init_workspace(tmp_path / "a").close()
    with pytest.raises(CxpmError, match="already a cxpm workspace"):
        init_workspace(tmp_path / "a")
    with pytest.raises(CxpmError, match="unknown time zone 'Mars/Base'"):
        init_workspace(tmp_path / "b", "Mars/Base")
    assert not (tmp_path / "b").exists()


def test_resolve_workspace_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_workspace(tmp_path / "one").close()
    init_workspace(tmp_path / "two").close()
    monkeypatch.chdir(tmp_path / "one")
    assert resolve_workspace(None) == tmp_path / "one"
    monkeypatch.setenv("CXPM_WORKSPACE", str(tmp_path / "two"))
    assert resolve_workspace(None) == tmp_path / "two"
    assert resolve_workspace(tmp_path / "one") == tmp_path / "one"


def test_missing_workspace_errors_say_how_to_create_one(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CxpmError, match="cxpm init"):
        resolve_workspace(None)
    with pytest.raises(CxpmError, match="not a cxpm workspace"):
        resolve_workspace(tmp_path / "nowhere")


def test_env_vars_override_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_workspace(tmp_path / "w").close()
    monkeypatch.setenv("CXPM_TIMEZONE", "Europe/Paris")
    assert load_settings(tmp_path / "w").timezone == "Europe/Paris"


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    init_workspace(tmp_path / "w").close()
    config = tmp_path / "w" / "cxpm.toml"
    config.write_text('[workspace]\ntimezone = "Nowhere/Land"\n')
    with pytest.raises(CxpmError, match=r"timezone: .*unknown time zone"):
        load_settings(tmp_path / "w")
    config.write_text("[workspace\n")
    with pytest.raises(CxpmError, match="invalid TOML"):
        load_settings(tmp_path / "w")
    config.write_text("[wrkspace]\n")
    with pytest.raises(CxpmError, match="unknown section"):
        load_settings(tmp_path / "w")


def test_time_zone_cannot_change_under_loaded_data(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from cxpm.ingest import ingest
    from cxpm.workspace import open_workspace

    path = tmp_path / "w"
    init_workspace(path, "Europe/Paris").close()
    # Nothing loaded yet: a new time zone is simply adopted.
    monkeypatch.setenv("CXPM_TIMEZONE", "Asia/Tokyo")
    open_workspace(path).warehouse  # noqa: B018 - opening runs the check
    source = tmp_path / "c.csv"
    source.write_text("contact_id,arrived_at,abandoned\nc1,2026-01-01T00:00:00Z,false\n")
    ws = open_workspace(path)
    ingest(ws, "contacts", [source])
    ws.close()
    monkeypatch.setenv("CXPM_TIMEZONE", "Europe/Paris")
    with pytest.raises(CxpmError, match="loaded in time zone Asia/Tokyo"):
        open_workspace(path).warehouse  # noqa: B018
    monkeypatch.setenv("CXPM_TIMEZONE", "Asia/Tokyo")
    ws = open_workspace(path)
    assert ws.warehouse.table("contacts").count().to_pyarrow().as_py() == 1
    ws.close()
