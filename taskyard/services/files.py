"""The files host (`CLEARML_FILES_HOST` = `<server>/files`): upload, download and delete.

What the SDK does against a ClearML files server: `POST <files host>/` with a multipart body
whose field name is the target path relative to the host (`p/t.<id>/artifacts/x/x.json`), then
`GET <files host>/<path>` to download and `DELETE <files host>/<path>` to delete. A raw
(non-multipart) `POST`/`PUT` to `<files host>/<path>` stores the body at that path.

Files live under `settings.files_dir/<company>/`, so each company sees only its own files;
callers authenticate like API callers (Bearer/Basic header or the session cookie). Paths with
`..`, empty or absolute parts are refused. Uploads stream to a temporary file that replaces the
target only once complete, so a reader never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import errno
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from python_multipart.multipart import MultipartParser, parse_options_header

from taskyard.context import AppContext
from taskyard.errors import ApiError
from taskyard.http import auth, envelope
from taskyard.http.api import register_raw
from taskyard.http.transport import CORS, Receive, Scope, Send, header_map, send_response

ROOT = "/files"
PREFIX = ROOT + "/"
CHUNK = 1024 * 1024
_BAD_PATH_ERRNOS = frozenset(
    {errno.ENAMETOOLONG, errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.ENOENT}
)


class FilesError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _reply(code: int, message: str, data: Any = None, subcode: int = 0) -> bytes:
    return envelope.render(
        endpoint_name="files",
        requested=None,
        actual=None,
        trx=None,
        code=code,
        subcode=subcode,
        message=message,
        data=data,
    )


def safe_relative(path: str) -> Path:
    """A relative path below a root: no `..`, `.`, empty parts, NUL or backslash tricks."""
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") or "\x00" in p or "\\" in p for p in parts):
        raise FilesError(400, f"Invalid path: {path!r}")
    return Path(*parts)


def company_root(app: AppContext, company: str) -> Path:
    return app.settings.files_dir / company


def resolve(app: AppContext, company: str, path: str) -> Path:
    root = company_root(app, company).resolve()
    target = (root / safe_relative(path)).resolve()
    if root not in target.parents:
        raise FilesError(400, f"Invalid path: {path!r}")
    return target


class _Writer:
    """Streams one file into a temporary sibling, then moves it into place."""

    def __init__(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        self.target = target
        self.tmp = Path(tmp)
        self.file: IO[bytes] = os.fdopen(fd, "wb")
        self.size = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.size += len(data)

    def commit(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.target)

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


class _MultipartUpload:
    """Parses a multipart body; every file part is written to `<base>/<field name>`."""

    def __init__(self, app: AppContext, company: str, base: str, boundary: bytes) -> None:
        self.app, self.company, self.base = app, company, base
        self.headers: dict[str, str] = {}
        self.field = self.value = b""
        self.writer: _Writer | None = None
        self.stored: list[str] = []
        self.error: FilesError | None = None
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self.headers = {}
        self.field = self.value = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def _header_end(self) -> None:
        self.headers[self.field.decode("latin-1").lower()] = self.value.decode("utf-8", "replace")
        self.field = self.value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get("content-disposition", ""))
        name = options.get(b"name") or options.get(b"filename")
        if not name:
            raise FilesError(400, "Multipart part without a name")
        # The SDK sends the object name with a leading slash (`/project/t.<id>/…`).
        rel = "/".join(p for p in (self.base, name.decode("utf-8").lstrip("/")) if p)
        self.writer = _Writer(resolve(self.app, self.company, rel))
        self.stored.append(rel)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.writer is not None:
            self.writer.write(data[start:end])

    def _part_end(self) -> None:
        if self.writer is not None:
            self.writer.commit()
            self.writer = None

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None


async def _upload(
    app: AppContext, company: str, rel: str, headers: dict[str, str], receive: Receive
) -> list[str]:
    content_type, options = parse_options_header(headers.get("content-type", ""))
    if content_type == b"multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise FilesError(400, "Multipart body without a boundary")
        upload = _MultipartUpload(app, company, rel.strip("/"), boundary)
        try:
            async for chunk in _body(receive):
                upload.parser.write(chunk)
            upload.parser.finalize()
        except BaseException:
            upload.abort()
            raise
        if not upload.stored:
            raise FilesError(400, "No files in the upload")
        return upload.stored
    if not rel.strip("/"):
        raise FilesError(400, "A raw upload needs a target path")
    writer = _Writer(resolve(app, company, rel))
    try:
        async for chunk in _body(receive):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    return [rel]


async def _body(receive: Receive) -> Any:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise FilesError(400, "Client disconnected during upload")
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _download(send: Send, target: Path, head: bool) -> None:
    if not target.is_file():
        raise FilesError(404, "File not found")
    size = target.stat().st_size
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(size).encode()),
        (b"server", b"taskyard"),
        *CORS,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if head:
        await send({"type": "http.response.body", "body": b""})
        return
    with target.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            more = len(chunk) == CHUNK
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if not more:
                return


def _delete(target: Path) -> None:
    if not target.is_file():
        raise FilesError(404, "File not found")
    target.unlink()


async def handle(app: AppContext, scope: Scope, receive: Receive, send: Send) -> None:
    method = scope["method"]
    if method == "OPTIONS":
        await send_response(send, 200, b"", b"text/plain")
        return
    path: str = scope["path"]
    if path != ROOT and not path.startswith(PREFIX):
        await send_response(send, 404, _reply(404, f"Invalid request path {path}"))
        return
    rel = unquote(path[len(PREFIX) :])
    headers = header_map(scope)
    try:
        identity = auth.authenticate(app, headers)
        if method in ("POST", "PUT"):
            stored = await _upload(app, identity.company, rel, headers, receive)
            await send_response(send, 200, _reply(200, "OK", {"uploaded": stored}))
        elif method in ("GET", "HEAD"):
            await _download(send, resolve(app, identity.company, rel), method == "HEAD")
        elif method == "DELETE":
            _delete(resolve(app, identity.company, rel))
            await send_response(send, 200, _reply(200, "OK", {"deleted": 1}))
        else:
            raise FilesError(405, f"Method {method} not allowed")
    except ApiError as exc:
        await send_response(send, exc.code, _reply(exc.code, exc.message, subcode=exc.subcode))
    except FilesError as exc:
        await send_response(send, exc.code, _reply(exc.code, exc.message))
    except OSError as exc:
        # A path the file system cannot hold (too long, below a file, a directory) is the
        # caller's mistake; anything else (disk full, permissions) is ours. The message never
        # names the server-side path.
        code = 400 if exc.errno in _BAD_PATH_ERRNOS else 500
        await send_response(
            send, code, _reply(code, f"Cannot store or read the file: {exc.strerror}")
        )


def delete_paths(app: AppContext, company: str, paths: list[str]) -> int:
    """Delete stored files by path (for cleanups); returns how many existed."""
    count = 0
    for path in paths:
        try:
            target = resolve(app, company, path)
        except FilesError:
            continue
        if target.is_file():
            target.unlink()
            count += 1
    return count


# The SDK posts to the files host itself (`<server>/files`, no trailing slash).
register_raw(ROOT, handle)
