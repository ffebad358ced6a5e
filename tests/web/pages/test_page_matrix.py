"""Every page route × every role, against a matrix written out here by hand: a visitor
without a session is sent to the login page and changes nothing; a role without the
permission is refused (403) on every route, GET and POST alike (with a valid CSRF token, so
the permission is what refuses it)."""

from __future__ import annotations

import pytest
from web_helpers import ROLE_USER

from cxpm.users.permissions import ROLES, has_permission
from cxpm.web.pages import page_modules

PUBLIC = None
# (method, path) -> the permission the route needs (PUBLIC: none, no session either)
ROUTES: dict[tuple[str, str], str | None] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/assets/vega.js"): PUBLIC,
    ("GET", "/assets/plotly.js"): PUBLIC,
    ("GET", "/"): "metrics:read",
    ("GET", "/metrics/{metric_id}"): "metrics:read",
    ("GET", "/journeys"): "metrics:read",
    ("GET", "/wfm/intraday"): "wfm:read",
    ("GET", "/qa"): "qa:read",
    ("GET", "/qa/calibration"): "qa:read",
    ("GET", "/qa/calibration/{session_id}"): "qa:read",
    ("POST", "/qa/calibration"): "qa:manage",
    ("GET", "/qa/evaluations/new"): "qa:evaluate",
    ("POST", "/qa/evaluations"): "qa:evaluate",
    ("GET", "/actions"): "actions:read",
    ("GET", "/actions/{action_id}"): "actions:read",
    ("POST", "/actions"): "actions:write",
    ("POST", "/actions/{action_id}/transition"): "actions:write",
    ("GET", "/targets"): "targets:read",
    ("POST", "/targets"): "targets:write",
    ("GET", "/targets/{target_id}/edit"): "targets:write",
    ("POST", "/targets/{target_id}/edit"): "targets:write",
    ("POST", "/targets/{target_id}/delete"): "targets:write",
    ("GET", "/technology"): "technology:read",
    ("GET", "/technology/{technology_id}"): "technology:read",
    ("POST", "/technology"): "technology:write",
    ("POST", "/technology/{technology_id}/change"): "technology:write",
    ("POST", "/technology/{technology_id}/attest"): "technology:write",
    ("POST", "/technology/{technology_id}/security-review"): "technology:write",
    ("POST", "/technology/{technology_id}/verify"): "technology:write",
    ("GET", "/audit"): "audit:read",
    ("GET", "/audit.csv"): "audit:read",
    ("GET", "/users"): "users:manage",
    ("POST", "/users"): "users:manage",
    ("GET", "/users/{username}"): "users:manage",
    ("POST", "/users/{username}/disable"): "users:manage",
    ("POST", "/users/{username}/enable"): "users:manage",
    ("POST", "/users/{username}/reset-password"): "users:manage",
    ("POST", "/users/{username}/revoke-tokens"): "users:manage",
}
# A value for each path parameter (whether it exists does not matter: permission comes
# first, so a refused role never learns it).
PARAMETERS = {"{metric_id}": "offered", "{session_id}": "CAL-1", "{action_id}": "1",
              "{target_id}": "1", "{technology_id}": "bot-1", "{username}": "ana"}
PROTECTED = [route for route, permission in ROUTES.items() if permission is not PUBLIC]
# Roles that hold the permission are tested with each page (tests/web/pages/test_*.py).
REFUSED = [(role, method, path) for method, path in PROTECTED for role in ROLES
           if not has_permission(role, ROUTES[(method, path)])]


def concrete(path: str) -> str:
    for name, value in PARAMETERS.items():
        path = path.replace(name, value)
    return path


def test_matrix_covers_every_page_route() -> None:
    served = {(method, route.path) for module in page_modules()
              for route in module.router.routes for method in route.methods
              if method != "HEAD"}
    assert served == set(ROUTES)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_without_a_session_goes_to_login(world, method: str, path: str) -> None:
    url = concrete(path)
    response = (world.get(url, None) if method == "GET"
                else world.post(url, None, {"csrf_token": "x"}))
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(("role", "method", "path"), REFUSED)
def test_role_without_the_permission_is_refused(world, role: str, method: str,
                                                path: str) -> None:
    permission = ROUTES[(method, path)]
    raw = world.session(ROLE_USER[role])
    url = concrete(path)
    response = world.get(url, raw) if method == "GET" else world.post(url, raw, {})
    assert response.status_code == 403, response.text[:300]
    assert permission in response.text


DEPENDS_ON_THE_DATA = {"/wfm/intraday"}


def navigation(page: str) -> set[str]:
    import re

    return set(re.findall(r'<nav>(.*?)</nav>', page, re.S)[0].split('href="')[1:])


@pytest.mark.parametrize("username", sorted(ROLE_USER.values()))
def test_navigation_offers_only_pages_the_user_may_open(world, username: str) -> None:
    raw = world.session(username)
    page = world.get("/qa/evaluations/new" if username == "quinn" else "/", raw)
    if page.status_code != 200:
        page = world.get("/actions", raw)
    links = {link.split('"')[0] for link in navigation(page.text)}
    assert links, page.text[:300]
    for link in links:
        response = world.get(link, raw)
        if link in DEPENDS_ON_THE_DATA and response.status_code == 403:
            # Scoped: intraday shows the queues the scope serves alone; here it has none.
            assert "no queue" in response.text.lower(), response.text[:300]
            continue
        assert response.status_code == 200, (username, link)
