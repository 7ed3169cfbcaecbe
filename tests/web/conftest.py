"""Browser tests of the web UI: a real `taskyard serve` subprocess and Debian's Chromium.

Every test skips, with the reason, when /usr/bin/chromium is absent (`.ci/run` installs it).
Screenshots land in tests/web/screenshots/ (gitignored) so a person can look at what the tests saw.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ApiClient, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).parent / "screenshots"
ACCESS_KEY = "UITESTACCESSKEY0001"
SECRET_KEY = "ui-test-secret-key-0123456789abcdef"  # a throwaway test credential


class WebServer:
    """`taskyard serve` in a subprocess on a free port with its own data dir (SQLite)."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, TASKYARD_ACCESS_KEY=ACCESS_KEY, TASKYARD_SECRET_KEY=SECRET_KEY)
        exe = Path(sys.executable).with_name("taskyard")
        self.log = (data_dir / "serve.log").open("wb")
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while True:
            try:
                if httpx.get(self.url + "/debug.ping", timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                log = (data_dir / "serve.log").read_text(errors="replace")
                raise RuntimeError(f"taskyard serve did not start:\n{log}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = WebServer(tmp_path_factory.mktemp("web-data"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def api(web_server: WebServer) -> Iterator[ApiClient]:
    client = ApiClient(web_server.url, ACCESS_KEY, SECRET_KEY)
    yield client
    client.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import expect, sync_playwright

    # The machine is shared with other test workers: give slow renders (plotly's 1.5 MB bundle
    # on first use) more than the 5 s default before calling a check failed.
    expect.set_options(timeout=15000)

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Any, url: str, state: Any = None) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(
        base_url=url, viewport={"width": 1400, "height": 900}, storage_state=state
    )
    context.set_default_timeout(15000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    return context, pg, errors


@pytest.fixture
def page(browser: Any, web_server: WebServer) -> Iterator[Any]:
    """A fresh browser context (no cookie yet) and its page."""
    context, pg, errors = open_page(browser, web_server.url)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def session_state(browser: Any, web_server: WebServer) -> Any:
    """The cookies of one login through the form, reused by the tests that start logged in."""
    context, pg, _ = open_page(browser, web_server.url)
    login(pg)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def logged_in(browser: Any, web_server: WebServer, session_state: Any) -> Iterator[Any]:
    """A page of a fresh context holding the session cookie."""
    context, pg, errors = open_page(browser, web_server.url, session_state)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def login(page: Any, key: str = ACCESS_KEY, secret: str = SECRET_KEY) -> None:
    page.goto("/login")
    page.fill("#access-key", key)
    page.fill("#secret-key", secret)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$|.*/projects.*|.*/tasks/.*|.*/compare.*"))


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
