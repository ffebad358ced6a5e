"""/qa/calibration — calibration sessions and each session's report (`cxpm qa calibration
list | report | new`): agreement (Krippendorff's alpha, percent agreement, Fleiss' kappa),
each evaluator against the expert or the consensus, and the least agreed items.

A calibration report compares evaluators over the contacts they all scored, often across
vendors: its figures cannot be narrowed to part of a session. A scoped user therefore sees
only sessions whose evaluations all lie within its scope; a session that reaches beyond it
answers 403 (with the reason), one wholly outside it 404, as does an unknown session.
Sessions are created by users of scope all (a session spans scopes)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxpm.errors import CxpmError
from cxpm.qa.calibration import (
    CalibrationReport,
    Reach,
    SessionInfo,
    calibration_report,
    list_sessions,
    save_session,
    session_reach,
)
from cxpm.users.permissions import has_permission
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, csrf_checked, page_require, render
from cxpm.web.scope import OutOfScopeError, scope_filter

router = APIRouter(include_in_schema=False)

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$"
LEAST_AGREED_ITEMS = 10


class NewSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(pattern=_ID_PATTERN, max_length=120)
    title: str | None = Field(default=None, max_length=200)
    expert_id: str | None = Field(default=None, pattern=_ID_PATTERN, max_length=120)


def _scope(principal: Principal) -> tuple[str, str] | None:
    try:
        return scope_filter(principal)
    except OutOfScopeError as exc:
        raise PageError(status.HTTP_403_FORBIDDEN, str(exc)) from None


def visible_sessions(state: WebState, principal: Principal) -> list[tuple[SessionInfo, Reach]]:
    """Every session with its reach within the user's scope ("within" for scope all)."""
    sessions = list_sessions(state.workspace)
    scope = _scope(principal)
    if scope is None:
        return [(s, "within") for s in sessions]
    dim, value = scope
    # The sessions and their sizes come from the app database: part of the key.
    key = ("calibration-reach", dim, value,
           tuple((s.session_id, s.evaluations) for s in sessions))
    reach = state.cached(key, lambda: session_reach(state.workspace, dim, value))
    return [(s, reach.get(s.session_id, "outside")) for s in sessions]


def _list_page(request: Request, principal: Principal, state: WebState, *,
               error: str | None = None, form: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    sessions = visible_sessions(state, principal)
    scoped = principal.scope_kind != "all"
    return render(request, "calibration_list.html", principal, status_code=status_code,
                  sessions=[s for s, reach in sessions if reach == "within"],
                  hidden=sum(1 for _, reach in sessions if reach != "within"),
                  scoped=scoped, error=error, form=form or {},
                  can_manage=has_permission(principal.role, "qa:manage") and not scoped)


@router.get("/qa/calibration", response_class=HTMLResponse)
def calibration_list_page(request: Request,
                          principal: Annotated[Principal, Depends(page_require("qa:read"))],
                          state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    return _list_page(request, principal, state)


@router.post("/qa/calibration", dependencies=[Depends(csrf_checked)])
def new_session_page(
        request: Request,
        principal: Annotated[Principal, Depends(page_require("qa:manage"))],
        state: Annotated[WebState, Depends(web_state)],
        session_id: Annotated[str, Form(max_length=500)] = "",
        title: Annotated[str, Form(max_length=500)] = "",
        expert_id: Annotated[str, Form(max_length=500)] = "") -> Response:
    if _scope(principal) is not None:
        raise PageError(status.HTTP_403_FORBIDDEN,
                        "Calibration sessions span vendors and sites: only users of scope "
                        "all create them.")
    form = {"session_id": session_id, "title": title, "expert_id": expert_id}
    try:
        spec = NewSession(session_id=session_id.strip(), title=title.strip() or None,
                          expert_id=expert_id.strip() or None)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']).replace('_', ' ')}: "
                             f"{e['msg']}" for e in exc.errors())
        return _list_page(request, principal, state, error=problems, form=form,
                          status_code=status.HTTP_400_BAD_REQUEST)
    if any(s.session_id == spec.session_id for s in list_sessions(state.workspace)):
        return _list_page(request, principal, state, form=form,
                          error=f"session {spec.session_id} exists already",
                          status_code=status.HTTP_400_BAD_REQUEST)
    try:
        save_session(state.workspace, spec.session_id, actor=principal.username,
                     title=spec.title, expert_id=spec.expert_id)
    except CxpmError as exc:
        return _list_page(request, principal, state, error=str(exc), form=form,
                          status_code=status.HTTP_400_BAD_REQUEST)
    return RedirectResponse(f"/qa/calibration/{spec.session_id}",
                            status_code=status.HTTP_303_SEE_OTHER)


def _report(state: WebState, info: SessionInfo) -> CalibrationReport:
    params = state.workspace.metric_params()
    # The session's title, expert and size live in the app database: part of the key.
    key = ("calibration-report", info.session_id, info.title, info.expert_id,
           info.evaluations, json.dumps(params, sort_keys=True, default=str))
    return state.cached(key, lambda: calibration_report(state.workspace, info.session_id,
                                                        params))


@router.get("/qa/calibration/{session_id}", response_class=HTMLResponse)
def calibration_page(request: Request, session_id: str,
                     principal: Annotated[Principal, Depends(page_require("qa:read"))],
                     state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    found = next(((s, reach) for s, reach in visible_sessions(state, principal)
                  if s.session_id == session_id), None)
    if found is None or found[1] == "outside":
        raise PageError(status.HTTP_404_NOT_FOUND, f"No calibration session {session_id!r}.")
    info, reach = found
    if reach != "within":
        raise PageError(status.HTTP_403_FORBIDDEN,
                        f"Calibration session {session_id} also compares evaluations outside "
                        f"your scope ({principal.scope_kind}={principal.scope_value}); its "
                        f"agreement figures cannot be limited to your scope.")
    report = None
    error = None
    try:
        report = _report(state, info)
    except CxpmError as exc:
        error = str(exc)
    # Why a nominal judgement has no Fleiss' kappa (an incomplete design), said once.
    kappa_notes = sorted({a.fleiss_kappa_note for a in report.agreement
                          if a.level == "nominal" and a.fleiss_kappa_note}) if report else []
    return render(request, "calibration.html", principal, info=info, report=report,
                  error=error, least_agreed=LEAST_AGREED_ITEMS, kappa_notes=kappa_notes)
