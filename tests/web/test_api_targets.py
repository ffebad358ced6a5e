"""GET /api/targets (as `cxpm targets list --format json`) and POST /api/targets."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_helpers import WebFixture

from cxpm.store.models import AuditLog

BODY = {"metric": "asa", "scope": {"vendor": "globex"}, "valid_from": "2026-07-01",
        "value": 20, "warning": 30, "owner": "ops", "rationale": "api test"}


def post(web: WebFixture, role: str, body: dict):
    return web.client.post("/api/targets", json=body, headers=web.headers(role))


def test_set_then_list_like_the_cli(web: WebFixture, cli) -> None:
    saved = post(web, "analyst", BODY)
    assert saved.status_code == 200, saved.text
    target = saved.json()
    assert {k: target[k] for k in BODY} == BODY | {"valid_from": "2026-07-01"}
    assert target["direction"] == "lower"
    again = post(web, "admin", BODY | {"value": 25})  # same metric, scope, start: updated
    assert again.json()["id"] == target["id"] and again.json()["value"] == 25
    expected = cli("targets", "list", "--format", "json", "-w", str(web.workspace.path))
    assert expected.exit_code == 0, expected.stderr
    listed = web.client.get("/api/targets", headers=web.headers("analyst"))
    assert listed.status_code == 200 and listed.json() == expected.json()
    assert [t["id"] for t in listed.json() if t["metric"] == "asa"] == [target["id"]]
    # The vendor user (acme) gets the same list less targets limited to other vendors.
    vendor = web.client.get("/api/targets", headers=web.headers("vendor")).json()
    assert vendor == [t for t in expected.json() if t["scope"].get("vendor", "acme") == "acme"]
    assert target["id"] not in {t["id"] for t in vendor}
    only = web.client.get("/api/targets", params={"metric": "asa"},
                          headers=web.headers("agent")).json()
    assert {t["metric"] for t in only} == {"asa"}


def test_audited_with_the_user(web: WebFixture) -> None:
    saved = post(web, "analyst", BODY | {"metric": "aht", "value": 300, "warning": None})
    assert saved.status_code == 200, saved.text
    with Session(web.workspace.app_db) as session:
        actors = session.scalars(select(AuditLog.actor).where(
            AuditLog.entity == "target",
            AuditLog.entity_id == str(saved.json()["id"]))).all()
    assert actors == ["ana"]


@pytest.mark.parametrize("change", [
    {"metric": "nope"}, {"metric": "asa'--"}, {"value": "x"}, {"valid_from": "2026-13-01"},
    {"scope": {"../x": "y"}}, {"extra": 1}, {"value": None},
    {"metric": "offered"},  # no better direction: no target possible
])
def test_bad_target_is_400(web: WebFixture, change: dict) -> None:
    response = post(web, "admin", BODY | change)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_only_writers_may_set(web: WebFixture) -> None:
    for role in ("supervisor", "qa", "agent", "vendor"):
        assert post(web, role, BODY).status_code == 403
    assert web.client.post("/api/targets", json=BODY).status_code == 401


def test_a_scoped_writer_sets_targets_only_within_its_scope(web: WebFixture) -> None:
    from web_helpers import PASSWORD

    from cxpm.users.accounts import add_user

    add_user(web.workspace, "tam", role="analyst", scope="vendor=acme", password=PASSWORD,
             actor="test")
    headers = {"Authorization": f"Bearer {web.fresh_token('tam')}"}
    body = BODY | {"metric": "aht", "value": 280, "warning": None, "valid_from": "2019-01-01"}
    refused = web.client.post("/api/targets", json=body, headers=headers)
    assert refused.status_code == 403 and "outside your scope" in refused.json()["detail"]
    unscoped = web.client.post("/api/targets", json=body | {"scope": {"site": "north"}},
                               headers=headers)
    assert unscoped.status_code == 200, unscoped.text
    assert unscoped.json()["scope"] == {"site": "north", "vendor": "acme"}
