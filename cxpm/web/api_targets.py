"""GET /api/targets (as `cxpm targets list --format json`) and POST /api/targets (set one,
audited with the caller as actor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from cxpm.targets.model import TargetSpec
from cxpm.targets.store import list_targets, set_target
from cxpm.web.api_metrics import Name, json_ready
from cxpm.web.deps import Principal, WebState, require, web_state

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
    """Every target, as `cxpm targets list --format json`."""
    found = list_targets(state.workspace, metric)
    return JSONResponse(json_ready(jsonable_encoder([t.model_dump() for t in found])))


@router.post("/targets", responses={400: {"description": "Unknown metric or bad target"},
                                    401: {"description": "Not authenticated"},
                                    403: {"description": "Role lacks targets:write"}})
def save_target(body: TargetBody,
                principal: Annotated[Principal, Depends(require("targets:write"))],
                state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """Create a target, or update the one with the same metric, scope and start. Audited
    with the caller as actor."""
    spec = TargetSpec(**body.model_dump())
    saved = set_target(state.workspace, spec, actor=principal.username)
    return JSONResponse(json_ready(jsonable_encoder(saved.model_dump())))
