"""The endpoint registry: each name has implementations keyed by minimum version.

A request for version V gets the implementation with the highest minimum version ≤ V.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from taskyard.versions import Version

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Endpoint:
    name: str
    min_version: Version
    handler: Handler
    request: type[BaseModel] | None
    auth: bool
    batch: bool  # accepts application/json-lines bodies as a list of items
    is_async: bool
    summary: str


_REGISTRY: dict[str, list[Endpoint]] = {}


def endpoint(
    name: str,
    min_version: str = "1.0",
    request: type[BaseModel] | None = None,
    auth: bool = True,
    batch: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler `f(call) -> dict` for `name` from `min_version` on."""

    def register(handler: Handler) -> Handler:
        doc = inspect.getdoc(handler) or ""
        impl = Endpoint(
            name,
            Version.parse(min_version),
            handler,
            request,
            auth,
            batch,
            inspect.iscoroutinefunction(handler),
            doc.splitlines()[0] if doc else "",
        )
        impls = _REGISTRY.setdefault(name, [])
        impls[:] = [e for e in impls if e.min_version != impl.min_version]
        impls.append(impl)
        impls.sort(key=lambda e: e.min_version, reverse=True)
        return handler

    return register


def resolve(name: str, version: Version) -> Endpoint | None:
    for impl in _REGISTRY.get(name, ()):
        if impl.min_version <= version:
            return impl
    return None


def all_endpoints() -> list[Endpoint]:
    return [impl for name in sorted(_REGISTRY) for impl in reversed(_REGISTRY[name])]


def resolve_latest(name: str) -> Endpoint:
    return _REGISTRY[name][0]
