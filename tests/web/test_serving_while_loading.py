"""Loading data while the server runs: `cxpm ingest` in another process writes between
requests (the server lets go of the DuckDB file after each piece of work), waits while a
request holds it, and the next request answers from the new data version."""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, contact_rows

from cxpm.ingest import ingest
from cxpm.schema import get_table
from cxpm.users.accounts import add_user
from cxpm.workspace import init_workspace

CLI = [sys.executable, "-m", "cxpm"]


def write_contacts(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, get_table("contacts").column_names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def inbound(rows: list[dict]) -> int:
    return sum(1 for r in rows if r["direction"] == "inbound")


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    from cxpm.web.app import create_app

    for name in ("CXPM_WORKSPACE", "CXPM_TIMEZONE", "CXPM_WAREHOUSE_URL", "CXPM_APP_DB_URL",
                 "CXPM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    rows = contact_rows()
    first, second = rows[:30], rows[30:]
    ws = init_workspace(tmp_path / "ws", "UTC")
    ingest(ws, "contacts", [write_contacts(tmp_path / "first.csv", first)])
    add_user(ws, "ada", role="admin", scope=None, password=PASSWORD, actor="test")
    ws.close()
    app = create_app(ws.path)
    with TestClient(app) as client:
        token = client.post("/api/auth/token",
                            json={"username": "ada", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        yield (client, headers, app.state.web, ws.path,
               write_contacts(tmp_path / "second.csv", second), first, second)


def offered(client: TestClient, headers: dict) -> int:
    response = client.get("/api/metrics", params={"metric": "offered"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()[0]["value"]


def run_ingest(workspace: Path, csv_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "ingest", "contacts", str(csv_path), "--workspace",
                           str(workspace), "--format", "json"],
                          capture_output=True, text=True, timeout=120, check=False)


def test_ingest_in_another_process_while_serving(served) -> None:
    client, headers, state, workspace, second_csv, first, second = served
    assert offered(client, headers) == inbound(first)
    version = state.workspace.data_version()
    hits = state.cache.hits
    assert offered(client, headers) == inbound(first)
    assert state.cache.hits == hits + 1  # same data version: answered from the cache

    done = run_ingest(workspace, second_csv)
    assert done.returncode == 0, done.stderr
    assert state.workspace.data_version() != version
    assert offered(client, headers) == inbound(first) + inbound(second)


def test_ingest_waits_for_a_request_in_progress(served) -> None:
    client, headers, state, workspace, second_csv, first, second = served
    holding = threading.Event()
    release = threading.Event()

    def long_request() -> None:
        with state.warehouse():
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=long_request)
    worker.start()
    assert holding.wait(10)
    process = subprocess.Popen([*CLI, "ingest", "contacts", str(second_csv), "--workspace",
                                str(workspace)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stderr.readline()))
    reader.start()
    reader.join(90)  # the ingest says it waits for the file the request holds
    try:
        assert first_line and first_line[0].startswith("Waiting for the warehouse")
        assert process.poll() is None
    finally:
        release.set()
        worker.join()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert offered(client, headers) == inbound(first) + inbound(second)


def test_a_failed_ingest_keeps_the_data_version(served, tmp_path: Path) -> None:
    client, headers, state, workspace, _, first, _ = served
    version = state.workspace.data_version()
    broken = tmp_path / "broken.csv"
    broken.write_text("not,a,contacts,file\n1,2,3,4\n", encoding="utf-8")
    done = run_ingest(workspace, broken)
    assert done.returncode != 0
    assert state.workspace.data_version() == version
    assert offered(client, headers) == inbound(first)


def test_gives_up_clearly_when_the_file_stays_busy(served) -> None:
    _, _, state, workspace, second_csv, *_ = served
    (workspace / "cxpm.toml").write_text(
        (workspace / "cxpm.toml").read_text(encoding="utf-8").replace(
            "[workspace]\n", "[workspace]\nwarehouse_wait_seconds = 1\n", 1), encoding="utf-8")
    with state.warehouse():
        done = run_ingest(workspace, second_csv)
    assert done.returncode == 1
    assert "in use by another process" in done.stderr
    assert "Traceback" not in done.stderr
