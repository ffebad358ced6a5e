"""GET /api/metrics.csv and /api/metrics.parquet: the result of GET /api/metrics (same
parameters, same scope) as the files `cxpm metrics compute --output` writes."""

from __future__ import annotations

import io
from typing import Annotated

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from cxpm.web.api_metrics import MetricQuery, scoped_result
from cxpm.web.deps import Principal, WebState, require, web_state

router = APIRouter(prefix="/api", tags=["exports"])

RESPONSES = {400: {"description": "As GET /api/metrics"},
             401: {"description": "Not authenticated"},
             403: {"description": "Role lacks export, or a metric cannot be limited to the "
                                  "caller's scope"}}




def _attachment(content: bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/metrics.csv", responses=RESPONSES, response_class=Response)
def metrics_csv(query: Annotated[MetricQuery, Query()],
                principal: Annotated[Principal, Depends(require("export"))],
                state: Annotated[WebState, Depends(web_state)]) -> Response:
    """GET /api/metrics as CSV, as `cxpm metrics compute --format csv --output FILE`."""
    buffer = io.BytesIO()
    pacsv.write_csv(scoped_result(query, principal, state), buffer)
    return _attachment(buffer.getvalue(), "text/csv; charset=utf-8", "metrics.csv")


@router.get("/metrics.parquet", responses=RESPONSES, response_class=Response)
def metrics_parquet(query: Annotated[MetricQuery, Query()],
                    principal: Annotated[Principal, Depends(require("export"))],
                    state: Annotated[WebState, Depends(web_state)]) -> Response:
    """GET /api/metrics as Parquet, as `cxpm metrics compute --format parquet --output
    FILE`."""
    buffer = io.BytesIO()
    pq.write_table(scoped_result(query, principal, state), buffer)
    return _attachment(buffer.getvalue(), "application/vnd.apache.parquet", "metrics.parquet")
