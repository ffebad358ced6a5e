"""A small demo workspace served by the app, for pages whose data the shared `world` lacks
(forecasts, schedules, agent states, journeys): three simulated days at a tenth of the
demo's volume, and one user per role (scoped ones among them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.store.models import User
from cxpm.users.accounts import add_user
from cxpm.users.tokens import issue_token
from cxpm.workspace import Workspace

OUTSOURCER = "Northstar BPO"
# username -> (role, scope)
USERS = {"ada": ("admin", None), "ana": ("analyst", None),
         "sue": ("supervisor", f"vendor={OUTSOURCER}"), "quinn": ("qa", None),
         "al": ("agent", "agent=nobody"), "vic": ("vendor", f"vendor={OUTSOURCER}"),
         "val": ("vendor", "vendor=in-house"), "sid": ("supervisor", "site=Charlotte"),
         "ned": ("vendor", "vendor=Nobody Ltd")}
ROLE_USER = {"admin": "ada", "analyst": "ana", "supervisor": "sue", "qa": "quinn",
             "agent": "al", "vendor": "vic"}


@dataclass
class DemoSite:
    client: TestClient
    workspace: Workspace

    def session(self, username: str) -> str:
        with Session(self.workspace.app_db) as session:
            user = session.scalar(select(User).where(User.username == username))
            raw = issue_token(session, user, kind="session", hours=1)
            session.commit()
        return raw

    def get(self, path: str, username: str, **kwargs):
        return self.client.get(path, headers={"Cookie": f"cxpm_session={self.session(username)}"},
                               **kwargs)


def build_small_demo(folder: Path) -> Workspace:
    from cxpm.demo.build import build_demo

    ws, _ = build_demo(folder / "demo", days=3, scale=0.1)
    for username, (role, scope) in USERS.items():
        add_user(ws, username, role=role, scope=scope, password=None, actor="test")
    ws.close()
    return ws
