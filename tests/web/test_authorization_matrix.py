"""Every route this app has × every role × in and out of scope, against a matrix written
out by hand here (not read from cxpm.users.permissions)."""

from __future__ import annotations

import pytest
from web_helpers import ROLE_USER, WebFixture

from cxpm.users.permissions import ROLES

ALL = set(ROLES)
# (method, path, query) -> roles allowed; None = public (no token needed)
MATRIX: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/api/openapi.json"): None,
    ("GET", "/api/docs"): None,
    ("GET", "/api/me"): ALL,
    ("GET", "/api/metrics"): ALL,
    ("GET", "/api/users"): {"admin"},
    ("POST", "/api/auth/revoke"): ALL,
}
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
def test_route_by_role(web: WebFixture, method: str, path: str, role: str) -> None:
    allowed = MATRIX[(method, path)]
    # Revoking must not end the shared token.
    token = (web.fresh_token(ROLE_USER[role]) if path == "/api/auth/revoke"
             else web.tokens[role])
    response = web.client.request(method, path, headers={"Authorization": f"Bearer {token}"})
    expected = 403 if allowed is not None and role not in allowed else (
        204 if path == "/api/auth/revoke" else 200)
    assert response.status_code == expected, response.text
    if allowed is not None:
        anonymous = web.client.request(method, path)
        assert anonymous.status_code == 401


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
