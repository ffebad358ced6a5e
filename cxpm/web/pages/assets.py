"""The Vega, Vega-Lite and vega-embed bundle, served from the installed package (vl-convert
carries it): the pages load nothing from elsewhere, so they work offline."""

from __future__ import annotations

import hashlib
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cxpm.reports.render import vega_javascript

router = APIRouter(include_in_schema=False)


@cache
def _bundle() -> tuple[bytes, str]:
    body = vega_javascript().encode()
    return body, hashlib.sha256(body).hexdigest()[:16]


@router.get("/assets/vega.js")
def vega_bundle(request: Request) -> Response:
    body, etag = _bundle()
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304)
    return Response(body, media_type="text/javascript",
                    headers={"ETag": f'"{etag}"', "Cache-Control": "private, max-age=3600"})
