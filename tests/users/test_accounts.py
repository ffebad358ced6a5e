"""User accounts: rules for names, roles, scopes and passwords; hashing; audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.models import AuditLog, AuthToken, User
from cxpm.users.accounts import (
    add_user,
    authenticate,
    get_user,
    list_users,
    parse_scope,
    reset_password,
    set_disabled,
)
from cxpm.users.tokens import issue_token, resolve_token
from cxpm.workspace import Workspace

PASSWORD = "twelve chars ok"


def test_add_and_list(workspace: Workspace) -> None:
    add_user(workspace, "vic", role="vendor", scope="vendor=acme", password=PASSWORD,
             actor="ada")
    add_user(workspace, "ana", role="analyst", password=None, actor="ada")
    users = list_users(workspace)
    assert [(u.username, u.role, u.scope, u.has_password, u.disabled) for u in users] == [
        ("ana", "analyst", "all", False, False), ("vic", "vendor", "vendor=acme", True, False)]
    with Session(workspace.app_db) as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "vic"))
        audit = session.scalars(select(AuditLog)).all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert [(a.actor, a.action, a.entity_id) for a in audit] == [("ada", "add", "vic"),
                                                                 ("ada", "add", "ana")]
    assert "password_hash" not in str(audit[0].after) and stored not in str(audit[0].after)


@pytest.mark.parametrize(("name", "role", "scope", "password", "message"), [
    ("x", "admin", None, "short", "password too short: at least 12 characters"),
    ("x", "admin", None, "p" * 257, "password too long: at most 256 characters"),
    ("x", "admin", None, " " * 12, "password must not be only spaces"),
    ("x", "boss", None, PASSWORD, "unknown role 'boss'; roles are admin, analyst, "
                                  "supervisor, qa, agent, vendor"),
    ("x", "vendor", None, PASSWORD, "role vendor needs scope vendor=VALUE, got all"),
    ("x", "vendor", "site=north", PASSWORD, "role vendor needs scope vendor=VALUE, got site=…"),
    ("x", "agent", "vendor=acme", PASSWORD, "role agent needs scope agent=VALUE"),
    ("x", "admin", "vendor=acme", PASSWORD, "role admin needs scope all"),
    ("x", "analyst", "team=red", PASSWORD, "scope expects all or KIND=VALUE"),
    ("x", "analyst", "vendor=", PASSWORD, "scope vendor needs a value"),
    ("../etc", "analyst", None, PASSWORD, "invalid username '../etc'"),
    ("a b", "analyst", None, PASSWORD, "invalid username"),
    ("", "analyst", None, PASSWORD, "invalid username"),
])
def test_rejected_users(workspace: Workspace, name: str, role: str, scope: str | None,
                        password: str, message: str) -> None:
    with pytest.raises(CxpmError, match="^" + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        add_user(workspace, name, role=role, scope=scope, password=password, actor="t")
    assert list_users(workspace) == []


def test_duplicate_and_unknown_users(workspace: Workspace) -> None:
    add_user(workspace, "ana", role="analyst", password=PASSWORD, actor="t")
    with pytest.raises(CxpmError, match="user 'ana' already exists"):
        add_user(workspace, "ana", role="qa", password=PASSWORD, actor="t")
    for change in (lambda: set_disabled(workspace, "bob", True, actor="t"),
                   lambda: reset_password(workspace, "bob", PASSWORD, actor="t"),
                   lambda: get_user(workspace, "bob")):
        with pytest.raises(CxpmError, match="no user named 'bob'"):
            change()


def test_authenticate_disable_and_reset(workspace: Workspace) -> None:
    add_user(workspace, "sue", role="supervisor", scope="site=north", password=PASSWORD,
             actor="t")
    add_user(workspace, "nopw", role="analyst", password=None, actor="t")
    with Session(workspace.app_db) as session:
        assert authenticate(session, "sue", PASSWORD).username == "sue"
        assert authenticate(session, "sue", PASSWORD + "!") is None
        assert authenticate(session, "nobody", PASSWORD) is None
        assert authenticate(session, "nopw", "") is None
        token = issue_token(session, authenticate(session, "sue", PASSWORD))
        session.commit()
    set_disabled(workspace, "sue", True, actor="t")
    with Session(workspace.app_db) as session:
        assert authenticate(session, "sue", PASSWORD) is None
        assert resolve_token(session, token) is None
        assert session.scalar(select(AuthToken.revoked)) is True
    set_disabled(workspace, "sue", False, actor="t")
    reset_password(workspace, "sue", "a brand new passphrase", actor="t")
    with Session(workspace.app_db) as session:
        assert authenticate(session, "sue", PASSWORD) is None
        assert authenticate(session, "sue", "a brand new passphrase") is not None
        actions = session.scalars(select(AuditLog.action).where(
            AuditLog.entity_id == "sue")).all()
    assert actions == ["add", "disable", "enable", "reset_password"]


def test_parse_scope() -> None:
    assert parse_scope(None) == ("all", None)
    assert parse_scope("all") == ("all", None)
    assert parse_scope("agent=a-17") == ("agent", "a-17")
    assert parse_scope(" program = care plus ") == ("program", "care plus")
