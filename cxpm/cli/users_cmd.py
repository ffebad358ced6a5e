"""`cxpm users add | list | disable | enable | reset-password`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    show_records,
    workspace_from,
)
from cxpm.cli.qa_cmd import ActorOption, actor_name, plain
from cxpm.users.accounts import (
    UserInfo,
    add_user,
    check_role_scope,
    check_username,
    get_user,
    list_users,
    parse_scope,
    reset_password,
    set_disabled,
)
from cxpm.users.passwords import check_password_rules
from cxpm.users.permissions import ROLES, SCOPE_DIMENSIONS

users_app = typer.Typer(help="Users of the web app and API: roles, scopes, passwords.",
                        no_args_is_help=True)

PasswordStdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input "
    "(otherwise you are asked twice, without echo).")]


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True,
                                err=True)
    check_password_rules(password)
    return password


def _row(user: UserInfo) -> dict:
    return {"username": user.username, "role": user.role, "scope": user.scope,
            "disabled": user.disabled, "has_password": user.has_password,
            "created_at": user.created_at, "last_login_at": user.last_login_at}


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(metavar="NAME", help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="One of " + ", ".join(ROLES) + ".")],
    scope: Annotated[str | None, typer.Option(
        "--scope", help="Limit what the user sees: " + ", ".join(
            f"{k}=VALUE" for k in SCOPE_DIMENSIONS) + " (default: all).")] = None,
    password_stdin: PasswordStdinOption = False,
    actor: ActorOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a user with a role, an optional scope and a password."""
    check_username(username)
    check_role_scope(role, parse_scope(scope)[0])
    password = read_password(password_stdin)
    user = add_user(workspace_from(workspace), username, role=role, scope=scope,
                    password=password, actor=actor_name(actor))
    console.print(f"added {plain(user.username)} ({user.role}, scope {plain(user.scope)})",
                  highlight=False)


@users_app.command("list")
def list_cmd(format: FormatOption = SummaryFormat.table,
             workspace: WorkspaceOption = None) -> None:
    """List users (never their passwords)."""
    rows = [_row(u) for u in list_users(workspace_from(workspace))]
    show_records(rows, format, empty="no users yet")


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(metavar="NAME")],
            actor: ActorOption = None, workspace: WorkspaceOption = None) -> None:
    """Disable a user: no more logins, every token and session ends."""
    user = set_disabled(workspace_from(workspace), username, True, actor=actor_name(actor))
    console.print(f"disabled {plain(user.username)}", highlight=False)


@users_app.command("enable")
def enable(username: Annotated[str, typer.Argument(metavar="NAME")],
           actor: ActorOption = None, workspace: WorkspaceOption = None) -> None:
    """Enable a disabled user again."""
    user = set_disabled(workspace_from(workspace), username, False, actor=actor_name(actor))
    console.print(f"enabled {plain(user.username)}", highlight=False)


@users_app.command("reset-password")
def reset(username: Annotated[str, typer.Argument(metavar="NAME")],
          password_stdin: PasswordStdinOption = False, actor: ActorOption = None,
          workspace: WorkspaceOption = None) -> None:
    """Set a new password; the user's tokens and sessions end."""
    ws = workspace_from(workspace)
    get_user(ws, username)  # an unknown name fails before the password is asked for
    user = reset_password(ws, username, read_password(password_stdin),
                          actor=actor_name(actor))
    console.print(f"password of {plain(user.username)} changed", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
