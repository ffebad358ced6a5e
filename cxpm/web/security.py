"""Security headers on every response, and the one relaxed policy of the API docs page."""

from __future__ import annotations

import importlib.resources
import secrets

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

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
# Swagger UI's script, style and icon, served from the installed fastapi-offline.
DOCS_ASSETS = "/api/docs/assets"

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
    """Swagger UI from our own files, with a policy that admits its one inline start-up
    script (by nonce) and the inline styles it sets."""
    nonce = secrets.token_urlsafe(16)
    html = get_swagger_ui_html(
        openapi_url=openapi_url, title=title,
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png").body.decode()
    html = html.replace("<script>", f'<script nonce="{nonce}">')
    policy = (f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
              "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              "connect-src 'self'; object-src 'none'; base-uri 'self'; "
              "form-action 'self'; frame-ancestors 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def mount_docs_assets(app: FastAPI) -> None:
    assets = importlib.resources.files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")
