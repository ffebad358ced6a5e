"""The Vega, Vega-Lite and vega-embed bundle, served from the installed package (vl-convert
carries it), and plotly.js from the installed plotly package (the journeys page's Sankey):
the pages load nothing from elsewhere, so they work offline."""

from __future__ import annotations

import hashlib
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cxpm.reports.render import vega_javascript

router = APIRouter(include_in_schema=False)


def _tagged(body: bytes) -> tuple[bytes, str]:
    return body, hashlib.sha256(body).hexdigest()[:16]


@cache
def _bundle() -> tuple[bytes, str]:
    return _tagged(vega_javascript().encode())


@cache
def _plotly() -> tuple[bytes, str]:
    from plotly.offline import get_plotlyjs

    return _tagged(get_plotlyjs().encode())


@router.get("/assets/vega.js")
def vega_bundle(request: Request) -> Response:
    return _script(request, *_bundle())


@router.get("/assets/plotly.js")
def plotly_bundle(request: Request) -> Response:
    return _script(request, *_plotly())


def _script(request: Request, body: bytes, etag: str) -> Response:
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304)
    return Response(body, media_type="text/javascript",
                    headers={"ETag": f'"{etag}"', "Cache-Control": "private, max-age=3600"})
