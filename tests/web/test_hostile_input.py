"""SQL injection and path traversal on every parameter of /api/metrics: a 400 or no rows,
never a server error, and the warehouse and app database unchanged."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web_helpers import WebFixture

from cxpm.schema import TABLES
from cxpm.store.models import User

PAYLOADS = [
    "x' OR 1=1 --",
    "'; DROP TABLE contacts;--",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "offered; DELETE FROM contacts",
    "1) OR (1=1",
    "\" OR \"\"=\"",
    "%00",
    "vendor\x00",
    "<script>alert(1)</script>",
    "a" * 5000,
]


def counts(web: WebFixture) -> dict[str, int]:
    tables = {name: web.workspace.warehouse.table(name).count().to_pyarrow().as_py()
              for name in TABLES}
    with Session(web.workspace.app_db) as session:
        tables["users"] = session.scalar(select(func.count()).select_from(User))
    return tables


def requests_for(payload: str) -> list[dict]:
    return [
        {"metric": payload},
        {"metric": "offered", "by": payload},
        {"metric": "offered", "grain": payload},
        {"metric": "offered", "interval_minutes": payload},
        {"metric": "offered", "from": payload},
        {"metric": "offered", "to": payload},
        {"metric": "offered", "where": payload},
        {"metric": "offered", "where": f"{payload}:acme"},
        {"metric": "offered", "where": f"vendor:{payload}"},
        {"metric": "offered", "where": f"program:{payload}", "by": "vendor"},
    ]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_parameters(web: WebFixture, payload: str) -> None:
    before = counts(web)
    for params in requests_for(payload):
        for role in ("analyst", "vendor"):
            response = web.client.get("/api/metrics", params=params,
                                      headers=web.headers(role))
            assert response.status_code in (200, 400), (params, response.text)
            if response.status_code == 200:
                # Only a filter value can pass validation; it matches no row.
                assert params.get("where", "").partition(":")[2] == payload
                assert all(r["value"] in (0, None) for r in response.json())
            else:
                assert response.json()["detail"]
    assert counts(web) == before


def test_filter_values_are_data_not_sql(web: WebFixture) -> None:
    """A value that would widen a filter if pasted into SQL matches nothing."""
    response = web.client.get("/api/metrics", headers=web.headers("analyst"), params={
        "metric": "offered", "by": "vendor", "where": "vendor:acme' OR '1'='1"})
    assert response.status_code == 200 and response.json() == []


def other_requests(payload: str) -> list[tuple[str, str, dict]]:
    """(method, url, request arguments) of every other route's parameters."""
    quoted = quote(payload, safe="")
    return [
        ("GET", "/api/metrics.csv", {"params": {"metric": "offered", "where": payload}}),
        ("GET", "/api/metrics.parquet", {"params": {"by": payload}}),
        ("GET", "/api/scorecard", {"params": {"period": payload}}),
        ("GET", "/api/scorecard", {"params": {"by": payload}}),
        ("GET", "/api/targets", {"params": {"metric": payload}}),
        ("GET", "/api/evaluations", {"params": {"period": payload}}),
        ("GET", f"/api/actions/{quoted}", {}),
        ("POST", "/api/actions/1/transition", {"json": {"state": payload}}),
        ("POST", "/api/actions", {"json": {"title": "t", "metric": payload}}),
        ("POST", "/api/actions", {"json": {"title": "t", "metric": "asa",
                                           "scope": {payload: "x"}}}),
        ("POST", "/api/targets", {"json": {"metric": payload, "value": 1,
                                           "valid_from": "2026-01-01"}}),
        ("POST", "/api/evaluations", {"json": [{
            "evaluation_id": payload, "form_id": payload, "agent_id": payload,
            "evaluated_at": payload, "answers": {payload: payload}}]}),
    ]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_parameters_on_other_routes(web: WebFixture, payload: str) -> None:
    before = counts(web)
    for method, url, arguments in other_requests(payload):
        response = web.client.request(method, url, headers=web.headers("admin"), **arguments)
        assert response.status_code in (200, 400, 404), (url, arguments, response.text)
        if response.status_code == 200:
            # Only a filter value can pass validation; it matches no row.
            assert url == "/api/metrics.csv", (url, arguments)
            assert response.text.count("\n") <= 1
        else:
            assert response.json()["detail"]
    assert counts(web) == before
