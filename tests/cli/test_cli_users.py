"""`cxpm users` and `cxpm serve` through the real entry point."""

from __future__ import annotations

import io
import sys

import pytest
from fastapi.testclient import TestClient

from cxpm.cli import users_cmd
from cxpm.workspace import Workspace

PASSWORD = "a long enough secret"


def with_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_users_commands(cli, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    w = ("-w", str(workspace.path))
    with_stdin(monkeypatch, PASSWORD + "\n")
    added = cli("users", "add", "vic", "--role", "vendor", "--scope", "vendor=acme",
                "--password-stdin", "--actor", "ada", *w)
    assert added.exit_code == 0, added.stderr
    assert "added vic (vendor, scope vendor=acme)" in added.stdout
    assert PASSWORD not in added.stdout + added.stderr

    with_stdin(monkeypatch, "too short\n")
    short = cli("users", "add", "bob", "--role", "analyst", "--password-stdin", *w)
    assert short.exit_code == 1
    assert short.stderr.strip() == "error: password too short: at least 12 characters"
    no_scope = cli("users", "add", "val", "--role", "vendor", "--password-stdin", *w)
    assert no_scope.exit_code == 1
    assert "role vendor needs scope vendor=VALUE, got all" in no_scope.stderr

    listed = cli("users", "list", "--format", "json", *w)
    assert [(u["username"], u["role"], u["scope"], u["disabled"], u["has_password"])
            for u in listed.json()] == [("vic", "vendor", "vendor=acme", False, True)]
    assert "hash" not in listed.stdout and "argon2" not in listed.stdout

    assert cli("users", "disable", "vic", *w).exit_code == 0
    assert cli("users", "list", "--format", "json", *w).json()[0]["disabled"] is True
    assert cli("users", "enable", "vic", *w).exit_code == 0

    with_stdin(monkeypatch, "another long secret\n")
    assert cli("users", "reset-password", "vic", "--password-stdin", *w).exit_code == 0
    unknown = cli("users", "reset-password", "nobody", "--password-stdin", *w)
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.stderr
    assert "no user named 'nobody'" in cli("users", "disable", "nobody", *w).stderr


def test_password_prompt_is_hidden_and_confirmed(
        cli, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []

    def prompt(text: str, **options) -> str:
        asked.append(options)
        return PASSWORD

    monkeypatch.setattr(users_cmd.typer, "prompt", prompt)
    result = cli("users", "add", "ana", "--role", "analyst", "-w", str(workspace.path))
    assert result.exit_code == 0, result.stderr
    assert asked == [{"hide_input": True, "confirmation_prompt": True, "err": True}]


def test_serve_runs_the_app_of_the_workspace(cli, workspace: Workspace,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(
        app=app, **options))
    result = cli("serve", "--port", "8123", "--token-hours", "2", "--session-hours", "0.5",
                 "-w", str(workspace.path))
    assert result.exit_code == 0, result.stderr
    assert "http://127.0.0.1:8123" in result.stdout and "warning" not in result.stderr
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert served["app"].state.web.token_hours == 2
    assert served["app"].state.session_hours == 0.5
    with TestClient(served["app"]) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
    exposed = cli("serve", "--host", "0.0.0.0", "-w", str(workspace.path))
    assert "warning: listening beyond this machine" in exposed.stderr
    refused = cli("serve", "--session-hours", "0", "-w", str(workspace.path))
    assert refused.exit_code == 1
    assert "session lifetime must be between 0 and a year" in refused.stderr
