"""GET /api/scorecard: the JSON of `cxpm scorecard --format json`, within the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from cxpm.web.api_metrics import json_ready
from cxpm.web.deps import Principal, WebState, require, web_state
from cxpm.web.pages.scorecard import ScorecardQuery, scoped_scorecard
from cxpm.web.scope import OutOfScopeError

router = APIRouter(prefix="/api", tags=["scorecard"])


@router.get("/scorecard", responses={
    400: {"description": "Bad period or dimension"}, 401: {"description": "Not authenticated"},
    403: {"description": "Role lacks metrics:read"}})
def scorecard(query: Annotated[ScorecardQuery, Query()],
              principal: Annotated[Principal, Depends(require("metrics:read"))],
              state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """The month's scorecard (period YYYY-MM, default the latest), by program, site or
    vendor, as `cxpm scorecard --format json`; a scoped user sees only its own rows."""
    try:
        card = scoped_scorecard(state, principal, query.period, [query.by] if query.by else [])
    except OutOfScopeError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
    return JSONResponse(json_ready(jsonable_encoder(card.model_dump())))
