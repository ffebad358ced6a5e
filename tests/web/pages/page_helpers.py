"""Shared by the page tests."""

from __future__ import annotations

import re


def form_csrf(html: str) -> str:
    """The CSRF token a page's form carries."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
