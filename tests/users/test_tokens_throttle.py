"""Tokens (kinds, expiry, CSRF derivation) and the login-failure window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from cxpm.store.models import AuthToken, User
from cxpm.users import throttle
from cxpm.users.accounts import add_user, now
from cxpm.users.tokens import check_csrf, csrf_token, issue_token, resolve_token, token_hash
from cxpm.workspace import Workspace


def test_token_kinds_do_not_mix(workspace: Workspace) -> None:
    add_user(workspace, "ana", role="analyst", password=None, actor="t")
    with Session(workspace.app_db) as session:
        user = session.query(User).one()
        api = issue_token(session, user, kind="api")
        browser = issue_token(session, user, kind="session", hours=0.5)
        session.commit()
        assert resolve_token(session, api, kind="api")[0].username == "ana"
        assert resolve_token(session, api, kind="session") is None
        assert resolve_token(session, browser, kind="api") is None
        _, row = resolve_token(session, browser, kind="session")
        assert row.expires_at - row.created_at == timedelta(minutes=30)
        assert resolve_token(session, "") is None
        assert resolve_token(session, api + "x") is None
        assert resolve_token(session, "x" * 10_000) is None


def test_csrf_token_is_bound_to_its_session() -> None:
    first, second = "session-one-secret", "session-two-secret"
    assert check_csrf(first, csrf_token(first))
    assert not check_csrf(second, csrf_token(first))
    assert not check_csrf(first, None) and not check_csrf(first, "")
    assert csrf_token(first) != first and len(csrf_token(first)) == 64


def test_failure_window(workspace: Workspace) -> None:
    start = now()
    with Session(workspace.app_db) as session:
        for minute in range(throttle.MAX_FAILURES):
            assert throttle.retry_after(session, "ana", "10.0.0.1", start) is None
            throttle.record_failure(session, "ana", "10.0.0.1",
                                    start + timedelta(minutes=minute))
        last = start + timedelta(minutes=throttle.MAX_FAILURES - 1)
        # Locked until the first failure leaves the 15-minute window.
        assert throttle.retry_after(session, "ana", "10.0.0.1", last) == 11 * 60 + 1
        assert throttle.retry_after(session, "ana", "10.0.0.2", last) is None
        assert throttle.retry_after(session, "bob", "10.0.0.1", last) is None
        assert throttle.retry_after(session, "ana", "10.0.0.1",
                                    start + timedelta(minutes=15)) is None
        throttle.clear_failures(session, "ana", "10.0.0.1")
        assert throttle.retry_after(session, "ana", "10.0.0.1", last) is None


def test_long_expired_tokens_are_purged(workspace: Workspace) -> None:
    add_user(workspace, "ana", role="analyst", password=None, actor="t")
    with Session(workspace.app_db) as session:
        user = session.query(User).one()
        old, recent = issue_token(session, user), issue_token(session, user)
        session.commit()
        for raw, days in ((old, 31), (recent, 29)):
            row = session.query(AuthToken).filter_by(token_hash=token_hash(raw)).one()
            row.expires_at = now() - timedelta(days=days)
        session.commit()
        issue_token(session, user)
        session.commit()
        left = {r.token_hash for r in session.query(AuthToken)}
    assert token_hash(old) not in left and token_hash(recent) in left and len(left) == 2
