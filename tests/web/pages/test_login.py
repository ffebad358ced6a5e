"""Login, logout, the session cookie, CSRF and session expiry of the pages."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from page_helpers import form_csrf
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_helpers import PASSWORD

from cxpm.store.models import AuthToken
from cxpm.users.accounts import add_user, now
from cxpm.users.tokens import token_hash


def _login(client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/"):
    form = client.get("/login")
    assert form.status_code == 200
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": form_csrf(form.text),
                                       "next": next_path})


def _fresh(world, base_url: str = "http://testserver") -> TestClient:
    return TestClient(world.client.app, follow_redirects=False, base_url=base_url)


def test_login_sets_a_strict_session_cookie_and_logout_revokes_it(world) -> None:
    client = _fresh(world)
    response = _login(client, "ana", next_path="/actions")
    assert response.status_code == 303
    assert response.headers["location"] == "/actions"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("cxpm_session="))
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower() and "secure" not in attributes
    raw = cookie.split(";")[0].split("=", 1)[1]
    assert world.get("/", raw).status_code == 200
    assert client.post("/logout").status_code == 403  # no CSRF token
    page = client.get("/")
    assert page.status_code == 200
    assert client.post("/logout", data={"csrf_token": form_csrf(page.text)}).status_code == 303
    with Session(world.client.app.state.web.workspace.app_db) as session:
        row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_hash(raw)))
        assert row.revoked and row.kind == "session"
    assert world.get("/", raw).status_code == 303  # the old cookie is dead


def test_cookie_is_secure_over_https(world) -> None:
    response = _login(_fresh(world, "https://testserver"), "ana")
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("cxpm_session="))
    assert "secure" in cookie.lower()


def test_login_issues_a_new_session_never_the_one_brought(world) -> None:
    brought = world.session("ana")
    client = _fresh(world)
    client.cookies.set("cxpm_session", brought)
    response = _login(client, "ana")
    assert response.status_code == 303
    assert response.cookies["cxpm_session"] != brought


def test_login_form_needs_its_csrf_token(world) -> None:
    client = _fresh(world)
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 403
    assert "cxpm_session" not in response.cookies


def test_wrong_password_then_throttled(world) -> None:
    add_user(world.client.app.state.web.workspace, "pat", role="analyst", password=PASSWORD,
             actor="test")
    client = _fresh(world)
    for _ in range(5):
        response = _login(client, "pat", "wrong password!")
        assert response.status_code == 401
        assert "Invalid username or password" in response.text
    response = _login(client, "pat")  # the right password, but too many failures
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "cxpm_session" not in response.cookies


def test_next_never_leaves_the_site(world) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "\\\\evil.example",
                   "/\r\nSet-Cookie: x=1"):
        response = _login(_fresh(world), "ana", next_path=target)
        assert response.headers["location"] == "/"


def test_expired_session_goes_back_to_login(world) -> None:
    raw = world.session("ana")
    assert world.get("/actions", raw).status_code == 200
    with Session(world.client.app.state.web.workspace.app_db) as session:
        row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_hash(raw)))
        row.expires_at = now() - timedelta(seconds=1)
        session.commit()
    response = world.get("/actions", raw)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Factions"


def test_api_token_is_not_a_session_and_session_is_not_an_api_token(world, web) -> None:
    assert world.get("/", web.tokens["admin"]).status_code == 303
    raw = world.session("ada")
    response = world.client.get("/api/metrics", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_unauthenticated_pages_redirect_and_api_answers_401(world) -> None:
    for path in ("/", "/metrics/offered", "/qa/evaluations/new", "/actions",
                 f"/actions/{world.actions['acme']}"):
        response = world.get(path, None)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
    for path in ("/actions", "/qa/evaluations", "/logout"):
        assert world.post(path, None, {}).status_code in (303, 403), path
    assert world.client.get("/api/metrics").status_code == 401


def test_csrf_missing_or_wrong_is_refused(world) -> None:
    raw = world.session("ana")
    data = {"title": "x", "metric": "service_level"}
    before = world.get("/actions", raw).text.count('href="/actions/')
    assert world.post("/actions", raw, data, csrf=None).status_code == 403
    assert world.post("/actions", raw, data, csrf="0" * 64).status_code == 403
    other = world.session("ana")  # a token of another session of the same user
    assert world.post("/actions", raw, data, csrf=form_csrf(
        world.get("/actions", other).text)).status_code == 403
    assert world.get("/actions", raw).text.count('href="/actions/') == before


def test_pages_carry_the_strict_policy_and_are_not_cached(world) -> None:
    raw = world.session("ada")
    for path in ("/login", "/", "/actions", "/qa/evaluations/new", "/metrics/offered"):
        response = world.get(path, raw)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy, path
        assert response.headers["cache-control"] == "no-store", path
        assert "<script>" not in response.text and " style=" not in response.text, path
    bundle = world.get("/assets/vega.js", raw)
    assert bundle.status_code == 200 and "vegaEmbed" in bundle.text
    assert world.get("/static/htmx.min.js", None).status_code == 200
