"""GET /api/users: the user list, for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from cxpm.users.accounts import UserInfo, list_users
from cxpm.web.deps import Principal, WebState, require, web_state

router = APIRouter(prefix="/api", tags=["users"])


@router.get("/users", response_model=list[UserInfo])
def users(_: Annotated[Principal, Depends(require("users:manage"))],
          state: Annotated[WebState, Depends(web_state)]) -> list[UserInfo]:
    """Every user with role, scope and state (never password hashes)."""
    return list_users(state.workspace)
