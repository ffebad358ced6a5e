"""Account changes made for the user-administration page: nobody disables their own
account, every session and token of a user can be ended (audited), scope values hold no
control characters."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.models import AuditLog, AuthToken, User
from cxpm.users.accounts import add_user, get_user, parse_scope, revoke_tokens, set_disabled
from cxpm.users.tokens import issue_token, resolve_token
from cxpm.workspace import Workspace

PASSWORD = "twelve chars ok"


def _tokens(workspace: Workspace, username: str, count: int) -> list[str]:
    with Session(workspace.app_db) as session:
        user = session.scalar(select(User).where(User.username == username))
        raws = [issue_token(session, user, kind=("api", "session")[i % 2])
                for i in range(count)]
        session.commit()
    return raws


def _live(workspace: Workspace, raw: str) -> bool:
    with Session(workspace.app_db) as session:
        return resolve_token(session, raw, kind="api") is not None or resolve_token(
            session, raw, kind="session") is not None


def test_nobody_disables_their_own_account(workspace: Workspace) -> None:
    add_user(workspace, "ada", role="admin", password=PASSWORD, actor="root")
    with pytest.raises(CxpmError, match="'ada' cannot disable their own account"):
        set_disabled(workspace, "ada", True, actor="ada")
    assert get_user(workspace, "ada").disabled is False
    # Another administrator may; enabling oneself is no lock-out and stays allowed.
    set_disabled(workspace, "ada", True, actor="root")
    assert set_disabled(workspace, "ada", False, actor="ada").disabled is False


def test_revoke_tokens_ends_every_session_and_is_audited(workspace: Workspace) -> None:
    add_user(workspace, "vic", role="vendor", scope="vendor=acme", password=PASSWORD,
             actor="root")
    add_user(workspace, "sam", role="analyst", password=PASSWORD, actor="root")
    mine, other = _tokens(workspace, "vic", 3), _tokens(workspace, "sam", 1)
    assert revoke_tokens(workspace, "vic", actor="ada") == 3
    assert not any(_live(workspace, raw) for raw in mine) and _live(workspace, other[0])
    assert revoke_tokens(workspace, "vic", actor="ada") == 0  # none left
    assert get_user(workspace, "vic").disabled is False  # may log in again
    with Session(workspace.app_db) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "revoke_tokens")
                               .order_by(AuditLog.id)).all()
        revoked = session.scalars(select(AuthToken).where(AuthToken.revoked)).all()
    assert [(r.actor, r.entity, r.entity_id, r.note) for r in rows] == [
        ("ada", "user", "vic", "3 tokens revoked"), ("ada", "user", "vic", "0 tokens revoked")]
    assert len(revoked) == 3
    with pytest.raises(CxpmError, match="no user named 'nobody'"):
        revoke_tokens(workspace, "nobody", actor="ada")


@pytest.mark.parametrize("value", ["acme\x00", "ac\nme", "acme\x7f"])
def test_scope_values_hold_no_control_characters(value: str) -> None:
    with pytest.raises(CxpmError, match="must not contain control characters"):
        parse_scope(f"vendor={value}")
