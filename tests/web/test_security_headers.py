"""Security headers on every kind of response; the docs page's narrower exception."""

from __future__ import annotations

import re

import pytest
from web_helpers import WebFixture

STRICT = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
          "frame-ancestors 'none'")


@pytest.mark.parametrize(("method", "path", "auth", "status"), [
    ("GET", "/healthz", False, 200),
    ("GET", "/api/metrics", True, 200),
    ("GET", "/api/metrics", False, 401),
    ("GET", "/api/metrics?grain=fortnight", True, 400),
    ("POST", "/api/auth/token", False, 400),
    ("GET", "/api/openapi.json", False, 200),
    ("GET", "/no-such-page", False, 404),
])
def test_headers(web: WebFixture, method: str, path: str, auth: bool, status: int) -> None:
    headers = web.headers("analyst") if auth else {}
    response = web.client.request(method, path, headers=headers)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == STRICT
    if path.startswith(("/api", "/healthz")):
        assert response.headers["cache-control"] == "no-store"


def test_docs_page_admits_only_its_own_inline_script(web: WebFixture) -> None:
    first, second = (web.client.get("/api/docs") for _ in range(2))
    assert first.status_code == 200
    policy = first.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in first.text
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert nonce not in second.headers["content-security-policy"]
    assert first.headers["x-frame-options"] == "DENY"


def test_docs_page_loads_nothing_from_elsewhere(web: WebFixture) -> None:
    page = web.client.get("/api/docs")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/api/docs/assets/") for s in sources), sources
    assert "http://" not in page.headers["content-security-policy"]
    assert "https://" not in page.headers["content-security-policy"]
    for source in sources:
        asset = web.client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 500
    script = web.client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text
