"""Browser tests: a demo workspace served by uvicorn on loopback, driven by Playwright with
Debian's chromium (never a browser downloaded by `playwright install`)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, PASSWORD, USERS, VENDOR


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    browser_items = [item for item in items
                     if "tests/browser" in str(item.fspath).replace(os.sep, "/")]
    reason = _missing() if browser_items else None
    if reason is None:
        return
    if os.environ.get("CXPM_REQUIRE_BROWSER") == "1":  # CI: a missing browser is an error
        raise pytest.UsageError(f"browser tests required but {reason}")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Served:
    url: str
    workspace_path: Path
    agent_id: str  # an agent of VENDOR


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    import uvicorn

    from cxpm.demo.build import build_demo
    from cxpm.users.accounts import add_user
    from cxpm.web.app import create_app

    path = tmp_path_factory.mktemp("browser") / "demo"
    workspace, _ = build_demo(path, days=60, scale=0.1)
    contacts = workspace.warehouse.tables()["contacts"]
    agents = contacts.filter((contacts.vendor == VENDOR) & contacts.agent_id.notnull())
    agent_id = agents.agent_id.min().to_pyarrow().as_py()
    for username, (role, scope) in USERS.items():
        add_user(workspace, username, role=role, scope=scope, password=PASSWORD,
                 actor="test")
    workspace.close()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(path), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", path, agent_id)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def page_of(browser, served: Served):
    """A function: a new page logged in as `username` (its own browser context)."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # console errors and CSP violations, checked by the tests
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(served.url + "/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(served.url + "/")
        return page

    yield open_as
    for context in contexts:
        context.close()
