"""Shared by the web tests: the small workspace's data, users and a client wrapper."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.store.models import User
from cxpm.users.tokens import issue_token
from cxpm.workspace import Workspace

PASSWORD = "correct horse battery"
# username -> (role, scope)
USERS = {
    "ada": ("admin", None),
    "ana": ("analyst", None),
    "sue": ("supervisor", "site=north"),
    "quinn": ("qa", None),
    "al": ("agent", "agent=a1"),
    "vic": ("vendor", "vendor=acme"),
}
ROLE_USER = {role: name for name, (role, _) in USERS.items()}
AGENT_VENDOR = {"a1": "acme", "a2": "acme", "a3": "globex", "a4": "globex"}
AGENT_SITE = {"a1": "north", "a2": "south", "a3": "north", "a4": "south"}


def contact_rows() -> list[dict[str, Any]]:
    """48 contact segments over two days: four agents of two vendors, some abandoned (no
    agent, vendor known from the queue's routing), some outbound."""
    rows = []
    start = datetime(2026, 8, 3, 8, 0)
    agents = list(AGENT_VENDOR)
    for i in range(48):
        agent = agents[i % 4]
        arrived = start + timedelta(days=i % 2, minutes=17 * i)
        abandoned = i % 7 == 3
        outbound = i % 11 == 5
        answered = None if abandoned else arrived + timedelta(seconds=5 + 4 * (i % 9))
        rows.append({
            "contact_id": f"c{i:03d}", "customer_id": f"k{i % 13}", "channel": "voice",
            "direction": "outbound" if outbound else "inbound", "handled_by": "agent",
            "queue": "billing" if i % 3 else "tech", "program": "care",
            "site": AGENT_SITE[agent], "vendor": AGENT_VENDOR[agent],
            "agent_id": None if abandoned else agent,
            "arrived_at": arrived.isoformat() + "Z",
            "answered_at": answered.isoformat() + "Z" if answered else None,
            "ended_at": (arrived + timedelta(seconds=300)).isoformat() + "Z",
            "abandoned": "true" if abandoned else "false",
            "talk_s": None if abandoned else str(100 + 10 * (i % 5)),
            "hold_s": None if abandoned else "0", "wrap_s": None if abandoned else "20",
        })
    return rows


@dataclass
class WebFixture:
    client: TestClient
    workspace: Workspace
    rows: list[dict[str, Any]]
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def fresh_token(self, username: str) -> str:
        """A new token without the cost of a password check."""
        with Session(self.workspace.app_db) as session:
            user = session.scalar(select(User).where(User.username == username))
            token = issue_token(session, user)
            session.commit()
        return token

    def login(self, username: str, password: str = PASSWORD):
        return self.client.post("/api/auth/token",
                                json={"username": username, "password": password})
