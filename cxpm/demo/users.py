"""The demo's logins: an administrator and a vendor user who sees only its own vendor, so the
web app shows both views. The password is random per build and kept in demo-login.txt."""

from __future__ import annotations

import secrets

from pydantic import BaseModel

from cxpm.users.accounts import add_user
from cxpm.workspace import Workspace

LOGIN_FILE = "demo-login.txt"


class DemoLogin(BaseModel):
    username: str
    role: str
    scope: str | None
    password: str


def create_demo_users(workspace: Workspace, vendor: str, *, actor: str) -> list[DemoLogin]:
    """Two users with one shared random password (a demo on this machine, not a secret
    worth more than that), written to demo-login.txt in the workspace."""
    password = secrets.token_urlsafe(12)
    logins = [DemoLogin(username="demo", role="admin", scope=None, password=password),
              DemoLogin(username="vendor", role="vendor", scope=f"vendor={vendor}",
                        password=password)]
    for login in logins:
        add_user(workspace, login.username, role=login.role, scope=login.scope,
                 password=login.password, actor=actor)
    lines = [f"{login.username} ({login.role}{', ' + login.scope if login.scope else ''}): "
             f"password {login.password}" for login in logins]
    (workspace.path / LOGIN_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return logins
