"""The ASGI application: API dispatcher, raw routes (files, web UI), background jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson

from taskyard import services
from taskyard.config import Settings
from taskyard.context import AppContext
from taskyard.http import api, openapi
from taskyard.http.transport import Receive, Scope, Send, send_response
from taskyard.web import serve as web

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
BackgroundJob = Callable[[AppContext], Coroutine[Any, Any, None]]

# Long-running jobs started with the app (watchdog, cleanups); modules append to this list.
BACKGROUND_JOBS: list[BackgroundJob] = []


def build_app(settings: Settings) -> ASGIApp:
    services.load_all()
    context = AppContext.open(settings)
    dispatch = api.make_api(context)
    openapi_body = orjson.dumps(openapi.document())
    tasks: list[asyncio.Task[None]] = []

    async def lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                tasks.extend(asyncio.create_task(job(context)) for job in BACKGROUND_JOBS)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                context.db.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/openapi.json":
            await send_response(send, 200, openapi_body)
            return
        if scope["method"] in ("GET", "HEAD") and web.is_web_path(path):
            await web.serve_web(scope, receive, send)
            return
        raw = api.raw_handler_for(path)
        if raw is not None:
            await raw(context, scope, receive, send)
            return
        await dispatch(scope, receive, send)

    return app


def create_app() -> ASGIApp:
    """Factory for uvicorn workers: settings come from the environment (set by `serve`)."""
    settings = Settings.from_env(dict(os.environ))
    logging.basicConfig(level=settings.log_level.upper())
    return build_app(settings)
