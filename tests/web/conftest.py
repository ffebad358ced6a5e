"""A small workspace served by the app: contacts of two vendors, one user per role."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, USERS, WebFixture, contact_rows

from cxpm.ingest import ingest
from cxpm.schema import get_table
from cxpm.users.accounts import add_user
from cxpm.workspace import init_workspace


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebFixture]:
    from cxpm.web.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        for name in ("CXPM_WORKSPACE", "CXPM_TIMEZONE", "CXPM_WAREHOUSE_URL",
                     "CXPM_APP_DB_URL"):
            mp.delenv(name, raising=False)
        folder = tmp_path_factory.mktemp("web")
        ws = init_workspace(folder / "ws", "UTC")
        rows = contact_rows()
        path = folder / "contacts.csv"
        columns = get_table("contacts").column_names
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        summary = ingest(ws, "contacts", [path])
        assert (summary.loaded, summary.quarantined) == (len(rows), 0)
        for username, (role, scope) in USERS.items():
            add_user(ws, username, role=role, scope=scope, password=PASSWORD, actor="test")
        ws.close()
        app = create_app(ws.path)
        with TestClient(app) as client:
            fixture = WebFixture(client, app.state.web.workspace, rows)
            for username, (role, _) in USERS.items():
                response = fixture.login(username)
                assert response.status_code == 200, response.text
                fixture.tokens[role] = response.json()["access_token"]
            yield fixture
