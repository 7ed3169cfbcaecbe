"""Serve the browser UI (a static single-page app) from the API process.

The UI has no server-side logic of its own: every page is `index.html`, which loads ES modules
from `/static/` that talk to the JSON API. This module only maps URL paths to files.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import time
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

_VERSION_MARK = "v-"
_FOREVER = b"public, max-age=31536000, immutable"

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


# path → (mtime_ns, size, file): an edited file is picked up without a restart.
_cache: dict[str, tuple[int, int, _File]] = {}


def _load(path: Path) -> _File:
    st = path.stat()
    cached = _cache.get(str(path))
    if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
        return cached[2]
    body = path.read_bytes()
    ctype = (
        _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    compressible = ctype.startswith(("text/", "image/svg")) or ctype.endswith(
        ("javascript", "json")
    )
    gz = gzip.compress(body, 6, mtime=0) if compressible and len(body) >= _GZIP_MIN_BYTES else None
    entry = _File(body, gz, '"' + hashlib.sha1(body).hexdigest()[:20] + '"', ctype)
    _cache[str(path)] = (st.st_mtime_ns, st.st_size, entry)
    return entry


_version_memo: tuple[float, str] = (-1.0, "")


def static_version() -> str:
    """A short hash of the static files' names, sizes and times.

    index.html is served with its `/static/` URLs rewritten to `/static/v-<version>/`, and the ES
    modules import each other by relative paths, so the whole app loads from versioned URLs that
    can be cached for good: an upgrade changes the version, and with it every URL.
    """
    global _version_memo
    now = time.monotonic()
    if now - _version_memo[0] < 1.0:  # one page load asks ~10 times; files rarely change
        return _version_memo[1]
    digest = hashlib.sha1()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            st = path.stat()
            rel = path.relative_to(STATIC_DIR)
            digest.update(f"{rel}:{st.st_mtime_ns}:{st.st_size}\n".encode())
    _version_memo = (now, digest.hexdigest()[:12])
    return _version_memo[1]


def _resolve(path: str) -> tuple[Path | None, str | None]:
    """The file for a URL path (None: not found; never outside STATIC_DIR) and the version the
    URL names, if any."""
    if not path.startswith("/static/"):
        return INDEX, None
    rel = path[len("/static/") :]
    version = None
    if rel.startswith(_VERSION_MARK):
        version, _, rel = rel.partition("/")
        version = version[len(_VERSION_MARK) :]
    if not rel or "\\" in rel or "\x00" in rel:
        return None, version
    candidate = (STATIC_DIR / rel).resolve()
    root = STATIC_DIR.resolve()
    if root not in candidate.parents or not candidate.is_file():
        return None, version
    return candidate, version


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
    target, version = _resolve(scope.get("path", "/"))
    if target is None:
        await _reply(send, 404, [(b"content-type", b"text/plain")], b"Not found")
        return
    entry = _load(target)
    body, gz, etag = entry.body, entry.gz, entry.etag
    cache = b"no-cache"  # revalidate (a cheap 304) unless the URL pins the version
    if target == INDEX:
        current = static_version()
        body = body.replace(b'"/static/', f'"/static/{_VERSION_MARK}{current}/'.encode())
        gz = None
        etag = f'"{etag.strip(chr(34))}-{current}"'
    elif version is not None and version == static_version():
        cache = _FOREVER
    headers = [
        (b"content-type", entry.content_type.encode()),
        (b"cache-control", cache),
        (b"etag", etag.encode()),
        (b"vary", b"accept-encoding"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if _header(scope, b"if-none-match") == etag:
        await _reply(send, 304, headers, b"")
        return
    if gz is not None and "gzip" in _header(scope, b"accept-encoding"):
        body = gz
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await _reply(send, 200, headers, b"" if method == "HEAD" else body)
