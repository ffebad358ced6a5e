"""/users: administrators only; adding, disabling, enabling, resetting a password and
ending sessions through the account library, each audited and shown on /audit; CSRF on
every POST; bad input answered 400 with the library's message."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_helpers import PASSWORD, ROLE_USER

from cxpm.store.models import AuditLog, User
from cxpm.users.accounts import add_user, authenticate, get_user, list_users
from cxpm.users.permissions import ROLE_SCOPES, ROLES, has_permission
from cxpm.users.tokens import resolve_token

NEW_PASSWORD = "a brand new passphrase"
# Users this module changes; the shared fixture's users are never disabled or reset here.
TARGETS = ("up-vic", "up-sam", "up-dan", "up-rex")


@pytest.fixture(scope="module")
def accounts(world) -> None:
    ws = world.client.app.state.web.workspace
    add_user(ws, "up-admin", role="admin", password=PASSWORD, actor="test")
    add_user(ws, "up-vic", role="vendor", scope="vendor=acme", password=PASSWORD,
             actor="test")
    for name in TARGETS[1:]:
        add_user(ws, name, role="analyst", password=PASSWORD, actor="test")


def workspace(world):
    return world.client.app.state.web.workspace


def live(world, raw: str) -> bool:
    with Session(workspace(world).app_db) as session:
        return resolve_token(session, raw, kind="session") is not None


def audit_rows(world, username: str) -> list[tuple[str, str]]:
    with Session(workspace(world).app_db) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == "user",
                                                      AuditLog.entity_id == username)
                               .order_by(AuditLog.id))
        return [(r.actor, r.action) for r in rows]


def shown_on_audit(world, username: str) -> list[str]:
    """The actions of `username`'s audit rows on /audit, newest first, as an admin sees."""
    page = world.get(f"/audit?entity=user&entity_id={username}", world.session("ada")).text
    return re.findall(r'<span class="badge">([^<]+)</span>', page)


def add_form(username: str, role: str = "analyst", scope_kind: str = "all",
             scope_value: str = "", password: str = PASSWORD,
             confirm: str | None = None) -> dict[str, str]:
    return {"username": username, "role": role, "scope_kind": scope_kind,
            "scope_value": scope_value, "password": password,
            "password_confirm": password if confirm is None else confirm}


POSTS = [("/users", add_form("up-never")), ("/users/up-rex/disable", {}),
         ("/users/up-rex/enable", {}),
         ("/users/up-rex/reset-password", {"password": NEW_PASSWORD,
                                           "password_confirm": NEW_PASSWORD}),
         ("/users/up-rex/revoke-tokens", {})]


@pytest.mark.parametrize("role", ROLES)
def test_users_pages_by_role(world, accounts, role: str) -> None:
    raw = world.session(ROLE_USER[role])
    allowed = has_permission(role, "users:manage")
    for path in ("/users", "/users/up-rex"):
        response = world.get(path, raw)
        assert response.status_code == (200 if allowed else 403), path
        if not allowed:
            assert "users:manage" in response.text
    if not allowed:
        for path, data in POSTS:
            assert world.post(path, raw, data).status_code == 403, path
        assert get_user(workspace(world), "up-rex").disabled is False
        assert "up-never" not in [u.username for u in list_users(workspace(world))]


@pytest.mark.parametrize(("path", "data"), POSTS)
@pytest.mark.parametrize("csrf", [None, "not-the-token"])
def test_posts_need_the_csrf_token(world, accounts, path: str, data: dict,
                                   csrf: str | None) -> None:
    before = audit_rows(world, "up-rex")
    response = world.post(path, world.session("up-admin"), data, csrf=csrf)
    assert response.status_code == 403 and "security token" in response.text
    assert audit_rows(world, "up-rex") == before
    assert "up-never" not in [u.username for u in list_users(workspace(world))]


def test_list_shows_every_user(world, accounts) -> None:
    page = world.get("/users", world.session("up-admin")).text
    shown = re.findall(r'<tr id="user-([^"]+)">', page)
    assert shown == [u.username for u in list_users(workspace(world))]
    vic = re.search(r'<tr id="user-up-vic">(.*?)</tr>', page, re.S).group(1)
    assert "vendor" in vic and "vendor = acme" in vic and "active" in vic
    # An administrator's own row offers no Disable button.
    me = re.search(r'<tr id="user-up-admin">(.*?)</tr>', page, re.S).group(1)
    assert "/disable" not in me and "(you)" in me


def test_add_user_is_audited_and_can_log_in(world, accounts) -> None:
    response = world.post("/users", world.session("up-admin"),
                          add_form("up-new", role="supervisor", scope_kind="site",
                                   scope_value="north"))
    assert response.status_code == 303
    assert response.headers["location"] == "/users?done=added&user=up-new"
    user = get_user(workspace(world), "up-new")
    assert (user.role, user.scope, user.disabled) == ("supervisor", "site=north", False)
    with Session(workspace(world).app_db) as session:
        assert authenticate(session, "up-new", PASSWORD) is not None
    assert audit_rows(world, "up-new") == [("up-admin", "add")]
    assert shown_on_audit(world, "up-new") == ["add"]
    notice = world.get(response.headers["location"], world.session("up-admin")).text
    assert "User up-new added." in notice


def _role_scope_cases() -> list[tuple[str, str, str]]:
    """Every role with a scope kind it may not hold, and the library's message."""
    cases = []
    for role, allowed in ROLE_SCOPES.items():
        for kind in ("all", "vendor", "agent"):
            if kind not in allowed:
                hint = " or ".join("all" if k == "all" else f"{k}=VALUE" for k in allowed)
                got = "all" if kind == "all" else f"{kind}=…"
                cases.append((role, kind, f"role {role} needs scope {hint}, got {got}"))
    return cases


@pytest.mark.parametrize(("role", "kind", "message"), _role_scope_cases())
def test_invalid_role_scope_is_400_with_the_message(world, accounts, role: str, kind: str,
                                                     message: str) -> None:
    response = world.post("/users", world.session("up-admin"),
                          add_form("up-bad", role=role, scope_kind=kind,
                                   scope_value="" if kind == "all" else "x"))
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert "up-bad" not in [u.username for u in list_users(workspace(world))]


@pytest.mark.parametrize(("form", "message"), [
    (add_form("up-bad", password="short"), "password too short: at least 12 characters"),
    (add_form("up-bad", password="p" * 257), "password too long: at most 256 characters"),
    (add_form("up-bad", confirm="something else entirely"), "the two passwords differ"),
    (add_form("bad name!"), "invalid username 'bad name!'"),
    (add_form("../etc/passwd"), "invalid username '../etc/passwd'"),
    (add_form("x' OR 1=1 --"), "invalid username"),
    (add_form("u" * 500), "invalid username"),
    (add_form("up-vic"), "user 'up-vic' already exists"),
    (add_form("up-bad", role="boss"), "unknown role 'boss'"),
    (add_form("up-bad", scope_value="acme"), "scope all takes no value"),
    (add_form("up-bad", scope_kind="planet", scope_value="x"), "unknown scope kind 'planet'"),
    (add_form("up-bad", scope_kind="vendor", scope_value=""), "needs a value of 1 to 200"),
    (add_form("up-bad", scope_kind="vendor", scope_value="ac\x00me"),
     "must not contain control characters"),
])
def test_bad_new_user_is_400_with_the_message(world, accounts, form: dict,
                                              message: str) -> None:
    response = world.post("/users", world.session("up-admin"), form)
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert message in text
    assert f'value="{form["password"]}"' not in text  # passwords are never sent back
    assert not re.search(r'type="password"[^>]*value=', text)
    assert "up-bad" not in [u.username for u in list_users(workspace(world))]


def test_disable_and_enable(world, accounts) -> None:
    target = world.session("up-sam")
    admin = world.session("up-admin")
    response = world.post("/users/up-sam/disable", admin, {})
    assert response.status_code == 303
    assert response.headers["location"] == "/users?done=disabled&user=up-sam"
    assert get_user(workspace(world), "up-sam").disabled is True
    assert not live(world, target)  # their session ended
    with Session(workspace(world).app_db) as session:
        assert authenticate(session, "up-sam", PASSWORD) is None
    assert world.post("/users/up-sam/enable", admin, {}).status_code == 303
    assert get_user(workspace(world), "up-sam").disabled is False
    assert audit_rows(world, "up-sam")[-2:] == [("up-admin", "disable"),
                                                ("up-admin", "enable")]
    assert shown_on_audit(world, "up-sam")[:2] == ["enable", "disable"]


def test_an_admin_cannot_disable_themself(world, accounts) -> None:
    raw = world.session("up-admin")
    response = world.post("/users/up-admin/disable", raw, {})
    assert response.status_code == 400
    assert "'up-admin' cannot disable their own account" in html.unescape(response.text)
    assert get_user(workspace(world), "up-admin").disabled is False and live(world, raw)


def test_reset_password(world, accounts) -> None:
    target = world.session("up-dan")
    admin = world.session("up-admin")
    mismatch = world.post("/users/up-dan/reset-password", admin,
                          {"password": NEW_PASSWORD, "password_confirm": "another one here"})
    assert mismatch.status_code == 400 and "the two passwords differ" in mismatch.text
    short = world.post("/users/up-dan/reset-password", admin,
                       {"password": "short", "password_confirm": "short"})
    assert short.status_code == 400 and "password too short" in short.text
    assert live(world, target)  # nothing changed yet
    response = world.post("/users/up-dan/reset-password", admin,
                          {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert not live(world, target)
    with Session(workspace(world).app_db) as session:
        assert authenticate(session, "up-dan", PASSWORD) is None
        assert authenticate(session, "up-dan", NEW_PASSWORD) is not None
    assert audit_rows(world, "up-dan")[-1] == ("up-admin", "reset_password")
    assert shown_on_audit(world, "up-dan")[0] == "reset_password"
    assert NEW_PASSWORD not in world.get("/audit", admin).text


def test_revoke_tokens(world, accounts) -> None:
    sessions = [world.session("up-vic") for _ in range(2)]
    response = world.post("/users/up-vic/revoke-tokens", world.session("up-admin"), {})
    assert response.status_code == 303
    assert not any(live(world, raw) for raw in sessions)
    assert get_user(workspace(world), "up-vic").disabled is False
    assert audit_rows(world, "up-vic")[-1] == ("up-admin", "revoke_tokens")
    assert shown_on_audit(world, "up-vic")[0] == "revoke_tokens"


def test_detail_page_shows_history(world, accounts) -> None:
    page = world.get("/users/up-vic", world.session("up-admin")).text
    assert "vendor=acme" in page and 'id="user-history"' in page
    assert len(re.findall(r"<tr><td class=\"num\">", page)) == len(audit_rows(world,
                                                                              "up-vic"))


@pytest.mark.parametrize("name", ["nobody", "..%2F..%2Fetc%2Fpasswd", "x'%20OR%201=1",
                                  "%00", "u" * 300])
def test_unknown_users_are_404(world, accounts, name: str) -> None:
    admin = world.session("up-admin")
    assert world.get(f"/users/{name}", admin).status_code == 404
    for action in ("disable", "enable", "revoke-tokens"):
        assert world.post(f"/users/{name}/{action}", admin, {}).status_code == 404
    with Session(workspace(world).app_db) as session:
        assert session.scalar(select(User).where(User.username == name)) is None


def test_logged_out_requests_change_nothing(world, accounts) -> None:
    response = world.get("/users", None)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for path, data in POSTS:
        assert world.post(path, None, data).status_code in (303, 403), path
    assert get_user(workspace(world), "up-rex").disabled is False
    assert "up-never" not in [u.username for u in list_users(workspace(world))]
