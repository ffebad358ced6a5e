"""Shared by the browser tests: the demo's users and screenshots."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("CXPM_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
VENDOR = "Andes CX"
# username -> (role, scope)
USERS = {"ada": ("admin", None), "quinn": ("qa", None),
         "vic": ("vendor", f"vendor={VENDOR}")}


def screenshot(page, name: str) -> None:
    """Keep a full-page screenshot when CXPM_SCREENSHOTS names a folder (docs/img)."""
    folder = os.environ.get("CXPM_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)
