"""Logging in for a token, expiry, revocation, disabled users and login rate limiting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from web_helpers import PASSWORD, WebFixture

from cxpm.store.models import AuditLog, AuthToken, LoginFailure, User
from cxpm.users.accounts import add_user, now, reset_password, set_disabled
from cxpm.users.throttle import MAX_FAILURES
from cxpm.users.tokens import token_hash


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(web: WebFixture, token: str):
    return web.client.get("/api/me", headers=bearer(token))


def new_user(web: WebFixture, name: str, role: str = "analyst", scope: str | None = None):
    add_user(web.workspace, name, role=role, scope=scope, password=PASSWORD, actor="test")


def test_login_gives_a_working_token_stored_only_as_hash(web: WebFixture) -> None:
    new_user(web, "tom")
    response = web.login("tom")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600
    token = body["access_token"]
    assert len(token) >= 43
    who = me(web, token).json()
    assert (who["username"], who["role"], who["scope"]) == ("tom", "analyst", "all")
    assert "metrics:read" in who["permissions"] and "users:manage" not in who["permissions"]
    with Session(web.workspace.app_db) as session:
        stored = session.scalars(select(AuthToken.token_hash)).all()
        user = session.scalar(select(User).where(User.username == "tom"))
        assert user.last_login_at is not None
    assert token_hash(token) in stored and token not in stored


def test_wrong_password_unknown_user_and_disabled_user_are_401(web: WebFixture) -> None:
    new_user(web, "dora")
    assert web.login("dora", PASSWORD + "x").status_code == 401
    assert web.login("nobody").status_code == 401
    assert web.login("nobody").json()["detail"] == web.login("dora", "wrong-password!").json()[
        "detail"] == "invalid username or password"
    token = web.login("dora").json()["access_token"]
    set_disabled(web.workspace, "dora", True, actor="test")
    assert me(web, token).status_code == 401  # its token ended with it
    assert web.login("dora").status_code == 401
    set_disabled(web.workspace, "dora", False, actor="test")
    assert web.login("dora").status_code == 200
    assert me(web, token).status_code == 401  # enabling does not bring old tokens back


def test_malformed_logins_are_400(web: WebFixture) -> None:
    for body in ({}, {"username": "x"}, {"username": "x", "password": "y", "extra": 1},
                 {"username": "x" * 500, "password": "y"}, {"username": "", "password": "y"}):
        assert web.client.post("/api/auth/token", json=body).status_code == 400


def test_expired_and_revoked_tokens_are_401(web: WebFixture) -> None:
    new_user(web, "eve")
    expiring = web.login("eve").json()["access_token"]
    with Session(web.workspace.app_db) as session:
        session.execute(update(AuthToken)
                        .where(AuthToken.token_hash == token_hash(expiring))
                        .values(expires_at=now() - timedelta(seconds=1)))
        session.commit()
    assert me(web, expiring).status_code == 401

    token = web.login("eve").json()["access_token"]
    other = web.login("eve").json()["access_token"]
    assert me(web, token).status_code == 200
    assert web.client.post("/api/auth/revoke", headers=bearer(token)).status_code == 204
    assert me(web, token).status_code == 401
    assert me(web, other).status_code == 200  # only the presented token ends
    reset_password(web.workspace, "eve", "another long password", actor="test")
    assert me(web, other).status_code == 401
    assert web.login("eve").status_code == 401
    assert web.login("eve", "another long password").status_code == 200


def test_login_rate_limit(web: WebFixture) -> None:
    new_user(web, "rita")
    new_user(web, "ron")
    for _ in range(MAX_FAILURES):
        assert web.login("rita", "not her password").status_code == 401
    blocked = web.login("rita")  # even the right password waits
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    assert web.login("ron").status_code == 200  # other usernames are not affected
    with Session(web.workspace.app_db) as session:
        session.execute(update(LoginFailure).where(LoginFailure.username == "rita")
                        .values(at=LoginFailure.at - timedelta(minutes=15)))
        session.commit()
    assert web.login("rita").status_code == 200
    with Session(web.workspace.app_db) as session:
        left = session.scalar(select(func.count()).select_from(LoginFailure)
                              .where(LoginFailure.username == "rita"))
    assert left == 0


def test_failures_below_the_limit_are_cleared_by_a_success(web: WebFixture) -> None:
    new_user(web, "sam")
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            assert web.login("sam", "not his password").status_code == 401
        assert web.login("sam").status_code == 200


def test_user_changes_are_audited(web: WebFixture) -> None:
    new_user(web, "audrey", role="vendor", scope="vendor=acme")
    set_disabled(web.workspace, "audrey", True, actor="boss")
    with Session(web.workspace.app_db) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity_id == "audrey")
                               .order_by(AuditLog.id)).all()
    assert [(r.actor, r.action) for r in rows] == [("test", "add"), ("boss", "disable")]
    assert rows[0].after["scope_value"] == "acme"
    assert PASSWORD not in str([r.before for r in rows] + [r.after for r in rows])
