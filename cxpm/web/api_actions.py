"""Corrective actions over the API: list, detail, create and workflow transitions, within
the caller's scope (an action out of scope answers 404, as an absent one)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from cxpm.errors import CxpmError
from cxpm.review.actions.model import (
    CLOSED_STATES,
    ActionInfo,
    ActionSpec,
    ActionUpdate,
    Verification,
)
from cxpm.review.actions.store import create_action, get_action, list_actions, update_action
from cxpm.review.actions.workflow import allowed_next
from cxpm.store.db import utc_now
from cxpm.web.api_metrics import Name, json_ready
from cxpm.web.deps import Principal, WebState, require, web_state
from cxpm.web.pages.actions import in_scope
from cxpm.web.scope import scope_filter

router = APIRouter(prefix="/api", tags=["actions"])

NOT_FOUND = {404: {"description": "No such action within the caller's scope"}}


class ActionBody(BaseModel):
    """A new corrective action; a scoped caller's scope is forced onto it."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    metric: Name
    scope: dict[Name, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=dict, max_length=10)
    problem: str | None = Field(default=None, max_length=2000)
    owner: str | None = Field(default=None, max_length=120)
    due_date: date | None = None


class TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str = Field(min_length=1, max_length=32)
    implemented_on: date | None = Field(default=None, description="When the fix went live "
                                        "(needed before verifying).")
    note: str | None = Field(default=None, max_length=2000)


def _dump(action: ActionInfo) -> dict:
    return json_ready(action.model_dump(mode="json"))


def _visible(state: WebState, principal: Principal, action_id: int) -> ActionInfo:
    try:
        action = get_action(state.workspace, action_id)
    except CxpmError:
        action = None
    if action is None or not in_scope(principal, action):
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            detail=f"no corrective action {action_id}")
    return action


@router.get("/actions", responses={401: {"description": "Not authenticated"}})
def actions(principal: Annotated[Principal, Depends(require("actions:read"))],
            state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """The actions within the caller's scope, as `cxpm actions list --format json`."""
    return JSONResponse([_dump(a) for a in list_actions(state.workspace)
                         if in_scope(principal, a)])


@router.get("/actions/{action_id}", responses=NOT_FOUND)
def action(action_id: int, principal: Annotated[Principal, Depends(require("actions:read"))],
           state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """One action, as `cxpm actions show --format json`."""
    return JSONResponse(_dump(_visible(state, principal, action_id)))


@router.post("/actions", status_code=status.HTTP_201_CREATED,
             responses={400: {"description": "Unknown metric or bad scope"}})
def new_action(body: ActionBody,
               principal: Annotated[Principal, Depends(require("actions:write"))],
               state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """Open a corrective action (origin manual). Audited with the caller as actor."""
    scope = dict(body.scope)
    forced = scope_filter(principal)
    if forced is not None:
        if any(k != forced[0] or v != forced[1] for k, v in scope.items()):
            raise CxpmError(f"the scope must stay within yours ({forced[0]}={forced[1]})")
        scope = {forced[0]: forced[1]}
    if body.metric not in state.workspace.metric_catalog():
        raise CxpmError(f"unknown metric {body.metric!r}")
    spec = ActionSpec(**body.model_dump(exclude={"scope"}), scope=scope, origin="manual")
    created = create_action(state.workspace, spec, actor=principal.username)
    return JSONResponse(_dump(created), status_code=status.HTTP_201_CREATED)


@router.post("/actions/{action_id}/transition", responses={
    **NOT_FOUND, 400: {"description": "Illegal transition; `allowed` lists the states this "
                                      "action may move to"}})
def transition(action_id: int, body: TransitionBody,
               principal: Annotated[Principal, Depends(require("actions:write"))],
               state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """Move an action to another state of the workflow (docs/actions.md). Closing records
    the caller's manual verdict as the verification."""
    current = _visible(state, principal, action_id)
    allowed = list(allowed_next(current.state))
    if body.state not in allowed:
        return JSONResponse({"detail": f"action {action_id} is {current.state}: it cannot "
                             f"become {body.state}", "allowed": allowed},
                            status_code=status.HTTP_400_BAD_REQUEST)
    verification = None
    if body.state in CLOSED_STATES:
        verification = Verification(
            result="effective" if body.state == "closed-effective" else "ineffective",
            method="manual", verified_at=utc_now(),
            verified_by=principal.username, note=body.note)
    change = ActionUpdate(state=body.state, implemented_on=body.implemented_on,
                          verification=verification, note=body.note)
    try:
        updated = update_action(state.workspace, action_id, change, actor=principal.username)
    except CxpmError as exc:
        return JSONResponse({"detail": str(exc), "allowed": allowed},
                            status_code=status.HTTP_400_BAD_REQUEST)
    return JSONResponse(_dump(updated))
