"""GET /api/metrics.csv and .parquet: the files of `cxpm metrics compute --output`, within
the caller's scope."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from web_helpers import WebFixture

QUERY = {"metric": ["offered", "aht"], "by": "vendor", "grain": "day"}


def export(web: WebFixture, role: str, kind: str, **params):
    return web.client.get(f"/api/metrics.{kind}", params=params, headers=web.headers(role))


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_same_file_as_the_cli(web: WebFixture, cli, tmp_path, kind: str) -> None:
    output = tmp_path / f"out.{kind}"
    result = cli("metrics", "compute", "--format", kind, "--output", str(output), "-w",
                 str(web.workspace.path), "--metric", "offered", "--metric", "aht",
                 "--by", "vendor", "--grain", "day")
    assert result.exit_code == 0, result.stderr
    response = export(web, "analyst", kind, **QUERY)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="metrics.{kind}"'
    if kind == "csv":
        assert response.content == output.read_bytes()
    else:
        assert pq.read_table(io.BytesIO(response.content)).equals(pq.read_table(output))


def test_vendor_export_is_its_own(web: WebFixture) -> None:
    acme = sum(1 for r in web.rows if r["vendor"] == "acme" and r["direction"] != "outbound")
    table = pq.read_table(io.BytesIO(export(web, "vendor", "parquet", metric="offered",
                                            by="site").content))
    assert sum(table.column("value").to_pylist()) == acme
    lines = export(web, "vendor", "csv", metric="offered", by="vendor").text.splitlines()
    assert len(lines) == 2 and '"acme"' in lines[1]
    other = export(web, "vendor", "csv", metric="offered", by="vendor", where="vendor:globex")
    assert other.status_code == 200 and other.text.splitlines() == lines[:1]


def test_permissions_and_bad_input(web: WebFixture) -> None:
    assert export(web, "agent", "csv").status_code == 403
    assert web.client.get("/api/metrics.parquet").status_code == 401
    assert export(web, "analyst", "csv", metric="offered'--").status_code == 400
    assert export(web, "analyst", "parquet", by="../../etc").status_code == 400
    assert export(web, "vendor", "csv", metric="forecast_accuracy_volume").status_code == 403
