"""The API dispatcher: path → endpoint → auth → body → validation → handler → envelope."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from taskyard import errors
from taskyard.context import AppContext
from taskyard.errors import ApiError
from taskyard.http import auth, envelope, params, registry, validation
from taskyard.http.call import Call
from taskyard.http.transport import (
    BodyTooLarge,
    Message,
    Receive,
    Scope,
    Send,
    header_map,
    read_body,
    send_response,
)
from taskyard.store.db import DEFER_COMMIT, CommitFailed
from taskyard.versions import MAX_VERSION, Version

log = logging.getLogger("taskyard.api")

PATH = re.compile(r"^/?(?:v(?P<version>\d+\.?\d+)/)?(?P<name>[a-zA-Z_]\w+\.[a-zA-Z_]\w+)/?$")

RawHandler = Callable[[AppContext, Scope, Receive, Send], Awaitable[None]]
_RAW_PREFIXES: list[tuple[str, RawHandler]] = []


def register_raw(prefix: str, handler: RawHandler) -> None:
    """Serve every path under `prefix` with a raw ASGI handler (files service, web UI)."""
    _RAW_PREFIXES.append((prefix, _guarded(handler)))


def _guarded(handler: RawHandler) -> RawHandler:
    """An unexpected error before the response started still answers with an envelope
    (a bare 500 page would make the SDK retry forever)."""

    async def guarded(app: AppContext, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await handler(app, scope, receive, tracking_send)
        except Exception as exc:
            log.exception("unexpected error in %s", scope.get("path"))
            if started:
                raise
            # the exception's text may hold server paths: only its kind and reason go out
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else ""
            message = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
            body = envelope.render(
                endpoint_name="", requested=None, actual=None, trx=None, code=500,
                subcode=0, message=message,
            )  # fmt: skip
            await send_response(send, 500, body)

    return guarded


def raw_handler_for(path: str) -> RawHandler | None:
    for prefix, handler in _RAW_PREFIXES:
        if path.startswith(prefix):
            return handler
    return None


class Dispatch:
    """One API request, from the raw path to the bytes of the envelope."""

    def __init__(self, app: AppContext, scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self.headers = header_map(scope)
        self.name = ""
        self.requested: Version | None = None
        self.impl: registry.Endpoint | None = None
        self.cookies: list[str] = []

    def reply(
        self,
        code: int,
        subcode: int,
        message: str,
        data: Any = None,
        error_data: dict[str, Any] | None = None,
    ) -> bytes:
        old_client = self.requested is not None and self.requested < Version(2, 1)
        return envelope.render(
            endpoint_name=self.name,
            requested=_wire(self.requested, old_client),
            actual=_wire(self.impl.min_version if self.impl else None, old_client),
            trx=self.headers.get("x-clearml-trx") or self.headers.get("x-trains-trx"),
            code=code,
            subcode=subcode,
            message=message,
            error_data=error_data,
            data=data,
        )

    async def run(self, receive: Receive) -> tuple[int, bytes]:
        try:
            data = await self._run(receive)
        except ApiError as exc:
            return exc.code, self.reply(exc.code, exc.subcode, exc.message, None, exc.data)
        except Exception as exc:  # never a bare 500 page: the client always gets an envelope
            log.exception("unexpected error in %s", self.name or self.scope.get("path"))
            return 500, self.reply(500, 0, f"{type(exc).__name__}: {exc}")
        try:
            return 200, self.reply(200, 0, "OK", data)
        except Exception as exc:  # a reply that cannot be rendered still gets an envelope
            log.exception("cannot render the reply of %s", self.name)
            return 500, self.reply(500, 0, f"Cannot render the reply: {type(exc).__name__}")

    async def _run(self, receive: Receive) -> Any:
        path: str = self.scope["path"]
        match = PATH.match(path)
        if match is None:
            raise errors.general(400, f"Invalid request path {path}")
        self.name = match["name"]
        version_text = match["version"]
        self.requested = _parse_version(version_text) if version_text else MAX_VERSION
        lookup = min(self.requested, MAX_VERSION)
        self.impl = impl = registry.resolve(self.name, lookup)
        if impl is None:
            raise errors.general(
                404,
                f"Unable to find endpoint for name {self.name} and version {self.requested}",
            )
        identity = auth.authenticate(self.app, self.headers) if impl.auth else None
        call = await self._build_call(receive, impl, lookup, identity)
        self.cookies = call.set_cookies
        if impl.is_async:
            return await impl.handler(call)
        return await self._run_sync(impl, call)

    async def _run_sync(self, impl: registry.Endpoint, call: Call) -> Any:
        """Run a synchronous handler with group commit; answer once its writes are durable."""
        db = self.app.db
        token = DEFER_COMMIT.set(True)
        try:
            result = impl.handler(call)
        except BaseException:
            DEFER_COMMIT.reset(token)
            with contextlib.suppress(CommitFailed):
                await db.settle()  # what it wrote before failing, as without group commit
            raise
        DEFER_COMMIT.reset(token)
        try:
            await db.settle()
        except CommitFailed as exc:
            raise errors.internal_error(f"the write was not committed ({exc})") from None
        return result

    async def _build_call(
        self, receive: Receive, impl: registry.Endpoint, version: Version, identity: Any
    ) -> Call:
        limit = self.app.settings.max_body_mb * 1024 * 1024
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge:
            raise errors.ApiError(
                413, 0, f"Request body too large (limit {self.app.settings.max_body_mb} MB)"
            ) from None
        try:
            data, batch = params.decode_body(body, self.headers.get("content-type", ""))
        except params.BodyError as exc:
            raise errors.general(400, str(exc)) from None
        query: bytes = self.scope.get("query_string", b"")
        data = params.apply_query(data, query)
        if params.needs_check(body, query):
            params.check_values(data)
            params.check_values(batch)
        data.pop("method", None)  # the SDK adds it to every body
        if batch is not None and not impl.batch:
            data, batch = (batch[0] if batch else {}), None
        if batch is None and impl.batch:
            batch = [data] if data else []
        call = Call(self.app, impl, version, data, batch, identity, self.headers)
        if impl.request is not None and batch is None:
            call.request = validation.parse(impl.request, data)
        return call


@functools.lru_cache(maxsize=256)  # clients use a handful of versions; every call parses one
def _parse_version(text: str) -> Version:
    return Version.parse(text)


@functools.lru_cache(maxsize=256)
def _wire(version: Version | None, as_float: bool) -> str | float | None:
    """Versions are strings in the envelope, except floats for clients below 2.1."""
    if version is None:
        return None
    return float(str(version)) if as_float else str(version)


def make_api(app: AppContext) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def api(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS":
            await send_response(send, 200, b"", b"text/plain")
            return
        dispatch = Dispatch(app, scope)
        status, body = await dispatch.run(receive)
        cookies = [(b"set-cookie", c.encode("latin-1")) for c in dispatch.cookies]
        await send_response(send, status, body, extra=cookies)

    return api
