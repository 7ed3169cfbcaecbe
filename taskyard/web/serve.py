"""Serve the browser UI (a static single-page app) from the API process.

The UI has no server-side logic of its own: every page is `index.html`, which loads ES modules
from `/static/` that talk to the JSON API. This module only maps URL paths to files.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

STATIC_DIR = Path(__file__).parent / "static"
INDEX = STATIC_DIR / "index.html"

# Page routes of the single-page app. `/projects/<p>/experiments/<t>/…` and
# `/projects/<p>/tasks/<t>/…` are the links the clearml SDK prints; `/pipelines/` and
# `/datasets/` links it prints for pipelines and datasets also lead to the task page.
_PAGE_PREFIXES = ("/projects", "/tasks", "/compare", "/login", "/pipelines", "/datasets")

# Files this small are not worth compressing; the big vendored bundles are.
_GZIP_MIN_BYTES = 1024
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".md": "text/plain; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
}


def is_web_path(path: str) -> bool:
    """True for URL paths the UI answers (API paths like `/tasks.get_all` are not)."""
    if path in ("/", "/index.html") or path.startswith("/static/"):
        return True
    return any(
        path == p or path.startswith(p + "/") or path.startswith(p + "?") for p in _PAGE_PREFIXES
    )


@dataclass(frozen=True)
class _File:
    body: bytes
    gz: bytes | None
    etag: str
    content_type: str


# Keyed by (path, mtime_ns, size) so an edited file is picked up without a restart.
_cache: dict[tuple[str, int, int], _File] = {}


def _load(path: Path) -> _File:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    body = path.read_bytes()
    ctype = (
        _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    compressible = ctype.startswith(("text/", "image/svg")) or ctype.endswith(
        ("javascript", "json")
    )
    gz = gzip.compress(body, 6, mtime=0) if compressible and len(body) >= _GZIP_MIN_BYTES else None
    entry = _File(body, gz, '"' + hashlib.sha1(body).hexdigest()[:20] + '"', ctype)
    _cache[key] = entry
    return entry


def _resolve(path: str) -> Path | None:
    """The file for a URL path, or None. Never leaves STATIC_DIR."""
    if not path.startswith("/static/"):
        return INDEX
    rel = path[len("/static/") :]
    if not rel or "\\" in rel or "\x00" in rel:
        return None
    candidate = (STATIC_DIR / rel).resolve()
    root = STATIC_DIR.resolve()
    if root not in candidate.parents or not candidate.is_file():
        return None
    return candidate


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _reply(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def serve_web(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI handler for a path where `is_web_path` is true."""
    method = scope.get("method", "GET")
    if method not in ("GET", "HEAD"):
        await _reply(
            send,
            405,
            [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain")],
            b"Method not allowed",
        )
        return
    target = _resolve(scope.get("path", "/"))
    if target is None:
        await _reply(send, 404, [(b"content-type", b"text/plain")], b"Not found")
        return
    entry = _load(target)
    # Revalidate every time (cheap on a 304): the UI has no build step, so file names carry no
    # version and a stale module must not outlive an upgrade.
    headers = [
        (b"content-type", entry.content_type.encode()),
        (b"cache-control", b"no-cache"),
        (b"etag", entry.etag.encode()),
        (b"vary", b"accept-encoding"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if _header(scope, b"if-none-match") == entry.etag:
        await _reply(send, 304, headers, b"")
        return
    body = entry.body
    if entry.gz is not None and "gzip" in _header(scope, b"accept-encoding"):
        body = entry.gz
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await _reply(send, 200, headers, b"" if method == "HEAD" else body)
