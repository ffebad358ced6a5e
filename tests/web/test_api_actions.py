"""Corrective actions over the API: list, detail, create, transitions; scope and workflow."""

from __future__ import annotations

import pytest
from web_helpers import WebFixture

from cxpm.review.actions.model import ActionSpec
from cxpm.review.actions.store import create_action


@pytest.fixture(scope="module")
def by_vendor(web: WebFixture) -> dict[str, int]:
    return {vendor: create_action(web.workspace, ActionSpec(
        title=f"{vendor} api", metric="asa", scope={"vendor": vendor}), actor="test").id
        for vendor in ("acme", "globex")}


def get(web: WebFixture, role: str, path: str):
    return web.client.get(path, headers=web.headers(role))


def post(web: WebFixture, role: str, path: str, body: dict):
    return web.client.post(path, json=body, headers=web.headers(role))


def test_list_and_show_like_the_cli(web: WebFixture, cli, by_vendor: dict[str, int]) -> None:
    ws = str(web.workspace.path)
    listed = cli("actions", "list", "--format", "json", "-w", ws)
    assert listed.exit_code == 0, listed.stderr
    assert get(web, "analyst", "/api/actions").json() == listed.json()
    shown = cli("actions", "show", str(by_vendor["acme"]), "--format", "json", "-w", ws)
    assert shown.exit_code == 0, shown.stderr
    assert get(web, "admin", f"/api/actions/{by_vendor['acme']}").json() == shown.json()


def test_scope(web: WebFixture, by_vendor: dict[str, int]) -> None:
    mine = get(web, "vendor", "/api/actions").json()
    assert mine and {a["scope"].get("vendor") for a in mine} == {"acme"}
    assert get(web, "vendor", f"/api/actions/{by_vendor['acme']}").status_code == 200
    hidden = get(web, "vendor", f"/api/actions/{by_vendor['globex']}")
    assert hidden.status_code == 404
    assert get(web, "vendor", "/api/actions/999999").json() == hidden.json() | {
        "detail": "no corrective action 999999"}
    # Advancing another vendor's action: as absent.
    assert post(web, "supervisor", f"/api/actions/{by_vendor['globex']}/transition",
                {"state": "analysing"}).status_code == 404


def test_create_and_walk_the_workflow(web: WebFixture) -> None:
    created = post(web, "analyst", "/api/actions", {
        "title": "slow answers", "metric": "asa", "scope": {"site": "south"},
        "due_date": "2026-12-01"})
    assert created.status_code == 201, created.text
    action = created.json()
    assert (action["state"], action["scope"], action["origin"]) == (
        "open", {"site": "south"}, "manual")
    path = f"/api/actions/{action['id']}/transition"
    illegal = post(web, "analyst", path, {"state": "verifying"})
    assert illegal.status_code == 400
    assert illegal.json()["allowed"] == ["analysing"]
    for step in ({"state": "analysing"}, {"state": "acting"},
                 {"state": "verifying", "implemented_on": "2026-09-01"},
                 {"state": "closed-effective", "note": "fixed"}):
        response = post(web, "admin", path, step)
        assert response.status_code == 200, response.text
        assert response.json()["state"] == step["state"]
    closed = get(web, "analyst", f"/api/actions/{action['id']}").json()
    assert closed["verification"]["verified_by"] == "ada"
    assert closed["verification"]["result"] == "effective"


def test_verifying_needs_the_implementation_date(web: WebFixture) -> None:
    action = post(web, "admin", "/api/actions", {"title": "t", "metric": "aht"}).json()
    path = f"/api/actions/{action['id']}/transition"
    for state in ("analysing", "acting"):
        assert post(web, "admin", path, {"state": state}).status_code == 200
    refused = post(web, "admin", path, {"state": "verifying"})
    assert refused.status_code == 400
    assert "implementation date" in refused.json()["detail"]
    assert refused.json()["allowed"] == ["verifying", "analysing"]


def test_scoped_creator_stays_in_scope(web: WebFixture) -> None:
    own = post(web, "supervisor", "/api/actions", {"title": "north", "metric": "asa"})
    assert own.status_code == 201 and own.json()["scope"] == {"site": "north"}
    wider = post(web, "supervisor", "/api/actions",
                 {"title": "south", "metric": "asa", "scope": {"site": "south"}})
    assert wider.status_code == 400


@pytest.mark.parametrize("body", [
    {"title": "", "metric": "asa"}, {"title": "x", "metric": "nope"},
    {"title": "x", "metric": "asa", "scope": {"team": "red"}},
    {"title": "x", "metric": "asa", "due_date": "soon"}, {"title": "x"},
    {"title": "x", "metric": "asa", "origin": "import"},
])
def test_bad_action_is_400(web: WebFixture, body: dict) -> None:
    response = post(web, "analyst", "/api/actions", body)
    assert response.status_code == 400, response.text


def test_bad_transition_and_id_are_400(web: WebFixture, by_vendor: dict[str, int]) -> None:
    path = f"/api/actions/{by_vendor['acme']}/transition"
    assert post(web, "admin", path, {"state": "x' OR 1=1"}).status_code == 400
    assert post(web, "admin", path, {}).status_code == 400
    assert get(web, "admin", "/api/actions/..%2F..%2Fetc").status_code in (400, 404)
    assert get(web, "admin", "/api/actions/1 OR 1=1").status_code == 400


def test_permissions(web: WebFixture) -> None:
    assert get(web, "agent", "/api/actions").status_code == 403
    assert post(web, "qa", "/api/actions", {"title": "t", "metric": "asa"}).status_code == 403
    assert web.client.get("/api/actions").status_code == 401
