"""GET /api/targets (as `cxpm targets list --format json`) and POST /api/targets (set one,
audited with the caller as actor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from cxpm.targets.model import TargetSpec, applies_within
from cxpm.targets.store import list_targets, set_target
from cxpm.web.api_metrics import Name, json_ready
from cxpm.web.deps import Principal, WebState, require, web_state
from cxpm.web.scope import scope_filter

router = APIRouter(prefix="/api", tags=["targets"])


class TargetBody(TargetSpec):
    """A target as `cxpm targets set` takes it (dates as YYYY-MM-DD)."""

    model_config = ConfigDict(extra="forbid")

    metric: Name
    scope: dict[Name, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=dict, max_length=10)
    owner: str | None = Field(default=None, max_length=120)
    rationale: str | None = Field(default=None, max_length=2000)
    benchmark_source: str | None = Field(default=None, max_length=200)
    benchmark_statistic: str | None = Field(default=None, max_length=120)


@router.get("/targets", responses={401: {"description": "Not authenticated"}})
def targets(principal: Annotated[Principal, Depends(require("targets:read"))],
            state: Annotated[WebState, Depends(web_state)],
            metric: Annotated[Name | None, Query(description="Only this metric.")] = None,
            ) -> JSONResponse:
    """The targets, as `cxpm targets list --format json`; a scoped user gets those that
    apply within its scope (its own and organisation-wide ones, never another vendor's)."""
    scope = scope_filter(principal)
    found = [t for t in list_targets(state.workspace, metric)
             if scope is None or applies_within(t.scope, *scope)]
    return JSONResponse(json_ready(jsonable_encoder([t.model_dump() for t in found])))


@router.post("/targets", responses={400: {"description": "Unknown metric or bad target"},
                                    401: {"description": "Not authenticated"},
                                    403: {"description": "Role lacks targets:write, or the "
                                                         "target is outside the scope"}})
def save_target(body: TargetBody,
                principal: Annotated[Principal, Depends(require("targets:write"))],
                state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """Create a target, or update the one with the same metric, scope and start. Audited
    with the caller as actor. A scoped user's target is always limited to its own scope
    (another value of that dimension answers 403)."""
    spec = TargetSpec(**body.model_dump())
    scope = scope_filter(principal)
    if scope is not None:
        dim, value = scope
        if spec.scope.get(dim, value) != value:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                detail=f"a target for {dim}={spec.scope[dim]} is outside "
                                       f"your scope ({dim}={value})")
        spec = spec.model_copy(update={"scope": {**spec.scope, dim: value}})
    saved = set_target(state.workspace, spec, actor=principal.username)
    return JSONResponse(json_ready(jsonable_encoder(saved.model_dump())))
