"""GET /api/scorecard: the JSON of `cxpm scorecard --format json`, within the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from cxpm.targets.store import list_targets
from cxpm.web.api_metrics import json_ready
from cxpm.web.deps import Principal, WebState, require, web_state
from cxpm.web.pages.scorecard import ScorecardQuery, scoped_scorecard, targets_key
from cxpm.web.scope import OutOfScopeError, scope_filter

router = APIRouter(prefix="/api", tags=["scorecard"])


@router.get("/scorecard", responses={
    400: {"description": "Bad period or dimension"}, 401: {"description": "Not authenticated"},
    403: {"description": "Role lacks metrics:read"}})
async def scorecard(query: Annotated[ScorecardQuery, Query()],
                    principal: Annotated[Principal, Depends(require("metrics:read"))],
                    state: Annotated[WebState, Depends(web_state)]) -> Response:
    """The month's scorecard (period YYYY-MM, default the latest), by program, site or
    vendor, as `cxpm scorecard --format json`; a scoped user sees only its own rows."""
    by = [query.by] if query.by else []

    def encoded() -> bytes:
        card = scoped_scorecard(state, principal, query.period, by)
        return JSONResponse(json_ready(jsonable_encoder(card.model_dump()))).body

    try:
        # The encoded answer is kept too: encoding costs more than the cached lookup.
        key = ("api_scorecard", query.period, tuple(by), scope_filter(principal),
               targets_key(list_targets(state.workspace)))
        body = await state.derived_async(key, encoded)
    except OutOfScopeError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
    return Response(body, media_type="application/json")
