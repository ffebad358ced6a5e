"""Every route this app has × every role × in and out of scope, against a matrix written
out by hand here (not read from cxpm.users.permissions)."""

from __future__ import annotations

import pytest
from web_helpers import ROLE_USER, WebFixture

from cxpm.qa.form_store import save_form
from cxpm.qa.forms import parse_form_toml
from cxpm.review.actions.model import ActionSpec
from cxpm.review.actions.store import create_action
from cxpm.users.permissions import ROLES

ALL = set(ROLES)
ACTION_READERS = {"admin", "analyst", "supervisor", "qa", "vendor"}
EXPORTERS = ACTION_READERS
# (method, path, query) -> roles allowed; None = public (no token needed)
MATRIX: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/api/openapi.json"): None,
    ("GET", "/api/docs"): None,
    ("GET", "/api/me"): ALL,
    ("GET", "/api/metrics"): ALL,
    ("GET", "/api/users"): {"admin"},
    ("POST", "/api/auth/revoke"): ALL,
    ("GET", "/api/scorecard"): ALL,
    ("GET", "/api/targets"): ALL,
    ("POST", "/api/targets"): {"admin", "analyst"},
    ("GET", "/api/evaluations"): ALL,
    ("POST", "/api/evaluations"): {"admin", "supervisor", "qa"},
    ("GET", "/api/actions"): ACTION_READERS,
    ("GET", "/api/actions/{action_id}"): ACTION_READERS,
    ("POST", "/api/actions"): {"admin", "analyst", "supervisor"},
    ("POST", "/api/actions/{action_id}/transition"): {"admin", "analyst", "supervisor"},
    ("GET", "/api/metrics.csv"): EXPORTERS,
    ("GET", "/api/metrics.parquet"): EXPORTERS,
}
SUCCESS = {("POST", "/api/auth/revoke"): 204, ("POST", "/api/actions"): 201}
# Each role's own scope, as an action's scope (admin, analyst and qa see everything).
ROLE_SCOPE = {"supervisor": {"site": "north"}, "agent": {"agent_id": "a1"},
              "vendor": {"vendor": "acme"}}
OTHER_SCOPE = {"supervisor": {"site": "south"}, "agent": {"agent_id": "a2"},
               "vendor": {"vendor": "globex"}}
MATRIX_FORM = """id = "matrix"
version = 1
title = "Matrix"
critical_failure = "zero_score"

[[sections]]
id = "main"
title = "Main"
weight = 1

  [[sections.items]]
  id = "greet"
  text = "Greeted"
  type = "yes_no"
  category = "non_critical"
"""


@pytest.fixture(scope="module")
def matrix_form(web: WebFixture) -> None:
    save_form(web.workspace, parse_form_toml(MATRIX_FORM, "matrix.toml"), actor="test")


def new_action(web: WebFixture, scope: dict[str, str]) -> int:
    return create_action(web.workspace, ActionSpec(title="matrix", metric="asa", scope=scope),
                         actor="test").id


def request_for(web: WebFixture, method: str, path: str, role: str) -> tuple[str, dict]:
    """The URL and body of a request the role may make within its scope."""
    if "{action_id}" in path:
        path = path.replace("{action_id}", str(new_action(web, ROLE_SCOPE.get(role, {}))))
    body = {
        ("POST", "/api/targets"): {"metric": "asa", "value": 20, "valid_from": "2026-01-01"},
        ("POST", "/api/actions"): {"title": "matrix", "metric": "asa"},
        ("POST", "/api/actions/{action_id}/transition"): {"state": "analysing"},
        ("POST", "/api/evaluations"): [{
            "evaluation_id": f"matrix-{role}", "form_id": "matrix", "agent_id": "a1",
            "evaluated_at": "2026-08-03T09:00", "answers": {"greet": "yes"}}],
    }
    key = (method, path if "/api/actions/" not in path else
           "/api/actions/{action_id}" + ("/transition" if path.endswith("transition") else ""))
    return path, ({"json": body[key]} if key in body else {})
# In scope: a query each role may run; out of scope: the same query asking for others.
IN_SCOPE = {"admin": "vendor:globex", "analyst": "vendor:globex", "qa": "vendor:globex",
            "supervisor": "site:north", "agent": "agent_id:a1", "vendor": "vendor:acme"}
OUT_OF_SCOPE = {"supervisor": "site:south", "agent": "agent_id:a2", "vendor": "vendor:globex"}


def test_matrix_covers_every_route(web: WebFixture) -> None:
    documented = {(method.upper(), path)
                  for path, item in web.client.get("/api/openapi.json").json()["paths"].items()
                  for method in item}
    undocumented = {("GET", "/api/openapi.json"), ("GET", "/api/docs")}
    assert documented | undocumented == set(MATRIX) | {("POST", "/api/auth/token")}


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_route_by_role(web: WebFixture, matrix_form: None, method: str, path: str,
                       role: str) -> None:
    allowed = MATRIX[(method, path)]
    # Revoking must not end the shared token.
    token = (web.fresh_token(ROLE_USER[role]) if path == "/api/auth/revoke"
             else web.tokens[role])
    url, body = request_for(web, method, path, role)
    response = web.client.request(method, url, headers={"Authorization": f"Bearer {token}"},
                                  **body)
    expected = 403 if allowed is not None and role not in allowed else SUCCESS.get(
        (method, path), 200)
    assert response.status_code == expected, response.text
    if allowed is not None:
        anonymous = web.client.request(method, url, **body)
        assert anonymous.status_code == 401


@pytest.mark.parametrize("role", sorted(OTHER_SCOPE))
def test_actions_out_of_scope_are_404(web: WebFixture, role: str) -> None:
    other = new_action(web, OTHER_SCOPE[role])
    everywhere = new_action(web, {})
    for action_id in (other, everywhere):
        for method, path, body in (
                ("GET", f"/api/actions/{action_id}", None),
                ("POST", f"/api/actions/{action_id}/transition", {"state": "analysing"})):
            allowed = MATRIX[(method, path.replace(str(action_id), "{action_id}"))]
            response = web.client.request(method, path, json=body, headers=web.headers(role))
            assert response.status_code == (404 if role in allowed else 403), response.text
        listed = web.client.get("/api/actions", headers=web.headers(role))
        if role in ACTION_READERS:
            assert action_id not in {a["id"] for a in listed.json()}


@pytest.mark.parametrize("role", ROLES)
def test_metrics_in_and_out_of_scope(web: WebFixture, role: str) -> None:
    def offered(where: str) -> list[dict]:
        response = web.client.get("/api/metrics", headers=web.headers(role),
                                  params={"metric": "offered", "where": where})
        assert response.status_code == 200
        return response.json()

    inside = offered(IN_SCOPE[role])
    assert len(inside) == 1 and inside[0]["value"] > 0
    if role in OUT_OF_SCOPE:
        assert offered(OUT_OF_SCOPE[role]) == []
