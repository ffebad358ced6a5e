"""Security headers on every response, and the one relaxed policy of the API docs page."""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# FastAPI's Swagger UI page loads its script and style from this CDN.
_DOCS_CDN = "https://cdn.jsdelivr.net"


def install_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        path = request.url.path
        if path.startswith("/api") or path == "/healthz":
            response.headers["Cache-Control"] = "no-store"
        return response


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI, with a policy that admits only its CDN files and its one inline script."""
    nonce = secrets.token_urlsafe(16)
    html = get_swagger_ui_html(openapi_url=openapi_url, title=title).body.decode()
    html = html.replace("<script>", f'<script nonce="{nonce}">')
    policy = (f"default-src 'self'; script-src {_DOCS_CDN} 'nonce-{nonce}'; "
              f"style-src {_DOCS_CDN} 'unsafe-inline'; "
              "img-src 'self' data: https://fastapi.tiangolo.com; "
              "connect-src 'self'; object-src 'none'; base-uri 'self'; "
              "form-action 'self'; frame-ancestors 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})
