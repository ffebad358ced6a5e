"""Page tests: the web fixture's workspace (tests/web/conftest.py) plus a QA form, corrective
actions of both vendors and browser sessions made without the cost of a password check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.qa.form_store import save_form
from cxpm.qa.forms import parse_form_toml
from cxpm.review.actions.model import ActionSpec
from cxpm.review.actions.store import create_action
from cxpm.store.models import User
from cxpm.users.tokens import csrf_token, issue_token

FORM = '''id = "care"
version = 1
title = "Care call"
critical_failure = "zero_score"

[[sections]]
id = "main"
title = "Main"
weight = 1

  [[sections.items]]
  id = "greet"
  text = "Greeted the caller"
  type = "yes_no"
  category = "non_critical"

  [[sections.items]]
  id = "tone"
  text = "Tone"
  type = "scale"
  category = "non_critical"
  min = 1
  max = 5
'''


@dataclass
class PageWorld:
    client: TestClient
    actions: dict[str, int]  # scope label ("acme", "globex", "all") -> action id

    def session(self, username: str) -> str:
        """A new browser session token for `username`."""
        with Session(self.client.app.state.web.workspace.app_db) as session:
            user = session.scalar(select(User).where(User.username == username))
            raw = issue_token(session, user, kind="session", hours=1)
            session.commit()
        return raw

    def get(self, path: str, raw: str | None, **kwargs):
        headers = {"Cookie": f"cxpm_session={raw}"} if raw else {}
        return self.client.get(path, headers=headers, **kwargs)

    def post(self, path: str, raw: str | None, data: dict, *, csrf: str | None = "auto",
             **kwargs):
        headers = {"Cookie": f"cxpm_session={raw}"} if raw else {}
        if csrf == "auto":
            csrf = csrf_token(raw) if raw else None
        if csrf is not None:
            data = {**data, "csrf_token": csrf}
        return self.client.post(path, headers=headers, data=data, **kwargs)


@pytest.fixture(scope="session")
def world(web) -> Iterator[PageWorld]:
    ws = web.workspace
    save_form(ws, parse_form_toml(FORM, "care.toml"), actor="test")
    actions = {
        "acme": create_action(ws, ActionSpec(title="acme wait", metric="service_level",
                                             scope={"vendor": "acme"}), actor="test").id,
        "globex": create_action(ws, ActionSpec(title="globex wait", metric="service_level",
                                               scope={"vendor": "globex"}), actor="test").id,
        "all": create_action(ws, ActionSpec(title="everyone wait", metric="service_level"),
                             actor="test").id,
    }
    # Its own client: no cookie jar shared with the API tests, no redirects followed.
    yield PageWorld(TestClient(web.client.app, follow_redirects=False), actions)
