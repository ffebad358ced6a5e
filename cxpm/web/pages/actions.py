"""/actions — corrective actions within the user's scope: list, create, detail and the
workflow's allowed transitions (docs/actions.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxpm.errors import CxpmError
from cxpm.review.actions.model import (
    CLOSED_STATES,
    STATES,
    ActionInfo,
    ActionSpec,
    ActionUpdate,
    Verification,
)
from cxpm.review.actions.store import create_action, get_action, list_actions, update_action
from cxpm.review.actions.workflow import allowed_next
from cxpm.store.db import utc_now
from cxpm.users.permissions import SCOPE_DIMENSIONS, has_permission
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, csrf_checked, page_require, render
from cxpm.web.scope import scope_filter

router = APIRouter(include_in_schema=False)
NAV = ((60, "Actions", "/actions", "actions:read"),)

SCOPE_CHOICES = tuple(SCOPE_DIMENSIONS.values())
Text = Annotated[str, Form(max_length=2000)]


def in_scope(principal: Principal, action: ActionInfo) -> bool:
    """An action is within a scoped user's reach only when it is limited to the user's
    own scope value (an action over everything covers other vendors too)."""
    scope = scope_filter(principal)
    return scope is None or action.scope.get(scope[0]) == scope[1]


def _visible_action(state: WebState, principal: Principal, action_id: int) -> ActionInfo:
    try:
        action = get_action(state.workspace, action_id)
    except CxpmError:
        action = None
    if action is None or not in_scope(principal, action):
        raise PageError(status.HTTP_404_NOT_FOUND, f"No corrective action {action_id}.")
    return action


def _list_page(request: Request, principal: Principal, state: WebState, *,
               error: str | None = None, form: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    actions = [a for a in list_actions(state.workspace) if in_scope(principal, a)]
    catalog = state.workspace.metric_catalog()
    return render(request, "actions.html", principal, status_code=status_code,
                  actions=actions, error=error, form=form or {},
                  can_write=has_permission(principal.role, "actions:write"),
                  metrics=[(m, catalog.get(m).title) for m in catalog.ids()],
                  scope_choices=SCOPE_CHOICES, forced_scope=scope_filter(principal),
                  closed=CLOSED_STATES, states=STATES, today=state.workspace.today())


@router.get("/actions", response_class=HTMLResponse)
def actions_page(request: Request,
                 principal: Annotated[Principal, Depends(page_require("actions:read"))],
                 state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    return _list_page(request, principal, state)


@router.post("/actions", dependencies=[Depends(csrf_checked)])
def create_action_page(
        request: Request,
        principal: Annotated[Principal, Depends(page_require("actions:write"))],
        state: Annotated[WebState, Depends(web_state)],
        title: Annotated[str, Form(max_length=300)] = "",
        metric: Annotated[str, Form(max_length=64)] = "",
        problem: Text = "", owner: Annotated[str, Form(max_length=120)] = "",
        due_date: Annotated[str, Form(max_length=10)] = "",
        scope_dim: Annotated[str, Form(max_length=32)] = "",
        scope_value: Annotated[str, Form(max_length=200)] = "") -> Response:
    form = {"title": title, "metric": metric, "problem": problem, "owner": owner,
            "due_date": due_date, "scope_dim": scope_dim, "scope_value": scope_value}
    try:
        scope: dict[str, str] = {}
        forced = scope_filter(principal)
        if forced is not None:
            scope[forced[0]] = forced[1]  # a scoped user acts within its own scope only
        elif scope_dim or scope_value.strip():
            if scope_dim not in SCOPE_CHOICES or not scope_value.strip():
                raise CxpmError("a scope needs a dimension and a value")
            scope[scope_dim] = scope_value.strip()
        if not title.strip():
            raise CxpmError("the title is required")
        try:
            due = date.fromisoformat(due_date) if due_date else None
        except ValueError:
            raise CxpmError(f"due date {due_date!r} is not a date (YYYY-MM-DD)") from None
        spec = ActionSpec(title=title.strip(), metric=metric, scope=scope,
                          problem=problem.strip() or None, owner=owner.strip() or None,
                          due_date=due, origin="manual")
        if metric not in state.workspace.metric_catalog():
            raise CxpmError(f"unknown metric {metric!r}")
        action = create_action(state.workspace, spec, actor=principal.username)
    except CxpmError as exc:
        return _list_page(request, principal, state, error=str(exc), form=form,
                          status_code=status.HTTP_400_BAD_REQUEST)
    return RedirectResponse(f"/actions/{action.id}", status_code=status.HTTP_303_SEE_OTHER)


def _detail_page(request: Request, principal: Principal, state: WebState, action: ActionInfo,
                 *, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "action.html", principal, status_code=status_code, action=action,
                  next_states=allowed_next(action.state), error=error,
                  can_write=has_permission(principal.role, "actions:write"),
                  closed=CLOSED_STATES, today=state.workspace.today())


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_page(request: Request, action_id: int,
                principal: Annotated[Principal, Depends(page_require("actions:read"))],
                state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    return _detail_page(request, principal, state,
                        _visible_action(state, principal, action_id))


@router.post("/actions/{action_id}/transition", dependencies=[Depends(csrf_checked)])
def transition_page(
        request: Request, action_id: int,
        principal: Annotated[Principal, Depends(page_require("actions:write"))],
        state: Annotated[WebState, Depends(web_state)],
        new_state: Annotated[str, Form(max_length=32)] = "",
        implemented_on: Annotated[str, Form(max_length=10)] = "",
        note: Text = "") -> Response:
    action = _visible_action(state, principal, action_id)
    try:
        if new_state not in allowed_next(action.state):
            raise CxpmError(f"action {action_id} is {action.state}: it cannot become "
                            f"{new_state or 'nothing'}")
        try:
            implemented = date.fromisoformat(implemented_on) if implemented_on else None
        except ValueError:
            raise CxpmError(f"implementation date {implemented_on!r} is not a date "
                            f"(YYYY-MM-DD)") from None
        verification = None
        if new_state in CLOSED_STATES:
            # Closing from the page records the person's own verdict (a manual check).
            verification = Verification(
                result="effective" if new_state == "closed-effective" else "ineffective",
                method="manual", verified_at=utc_now(),
                verified_by=principal.username, note=note.strip() or None)
        change = ActionUpdate(state=new_state, implemented_on=implemented,
                              verification=verification, note=note.strip() or None)
        update_action(state.workspace, action_id, change, actor=principal.username)
    except CxpmError as exc:
        return _detail_page(request, principal, state, action, error=str(exc),
                            status_code=status.HTTP_400_BAD_REQUEST)
    return RedirectResponse(f"/actions/{action_id}", status_code=status.HTTP_303_SEE_OTHER)
