"""The static file route of the web UI (no browser needed)."""

from __future__ import annotations

import asyncio
import gzip
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from taskyard.web.serve import is_web_path, serve_web, static_version


def get(path: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }
    # Its own thread: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, serve_web(scope, receive, send)).result()
    start, body = sent
    return (
        start["status"],
        {k.decode(): v.decode() for k, v in start["headers"]},
        body["body"],
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/login",
        "/projects/abc",
        "/projects/p1/experiments/t1/output/log",
        "/tasks/t1",
        "/compare",
        "/static/app.css",
    ],
)
def test_page_paths_are_web_paths(path: str) -> None:
    assert is_web_path(path)


@pytest.mark.parametrize(
    "path",
    ["/tasks.get_all", "/v2.23/tasks.get_all", "/projects.get_all", "/files/x", "/auth.login"],
)
def test_api_and_files_paths_are_not(path: str) -> None:
    assert not is_web_path(path)


def test_every_page_route_serves_the_app() -> None:
    status, headers, body = get("/projects/p1/experiments/t1/output/log")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    version = static_version()
    assert f'<script type="module" src="/static/v-{version}/js/app.js">'.encode() in body
    assert headers["cache-control"] == "no-cache"


def test_versioned_files_are_cached_for_good_and_stale_versions_are_not() -> None:
    _, headers, body = get(f"/static/v-{static_version()}/js/api.js")
    assert headers["cache-control"].endswith("immutable")
    assert b"export async function call" in body
    status, headers, _ = get("/static/v-000000000000/js/api.js")
    assert status == 200
    assert headers["cache-control"] == "no-cache"


def test_static_files_have_their_type_and_compress() -> None:
    status, headers, body = get("/static/js/app.js", accept_encoding="gzip, br")
    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    assert headers["content-encoding"] == "gzip"
    assert b"import" in gzip.decompress(body)


def test_an_unchanged_file_is_not_sent_again() -> None:
    _, headers, _ = get("/static/app.css")
    status, _, body = get("/static/app.css", if_none_match=headers["etag"])
    assert status == 304
    assert body == b""


@pytest.mark.parametrize(
    "path", ["/static/../serve.py", "/static/%2e%2e/serve.py", "/static/nope.js", "/static/"]
)
def test_nothing_outside_the_static_folder(path: str) -> None:
    status, _, _ = get(path)
    assert status == 404


def test_only_reads() -> None:
    status, headers, _ = get("/", method="POST")
    assert status == 405
    assert headers["allow"] == "GET, HEAD"
