"""A call: everything a handler gets about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from taskyard.domain.identity import Identity
from taskyard.versions import MODERN, Version

if TYPE_CHECKING:
    from taskyard.context import AppContext
    from taskyard.http.registry import Endpoint


@dataclass
class Call:
    app: AppContext
    endpoint: Endpoint
    version: Version
    data: dict[str, Any]
    batch: list[dict[str, Any]] | None
    identity_or_none: Identity | None
    headers: dict[str, str]
    request: BaseModel | None = None
    set_cookies: list[str] = field(default_factory=list)

    @property
    def identity(self) -> Identity:
        if self.identity_or_none is None:  # only endpoints registered with auth=False lack one
            raise RuntimeError(f"{self.endpoint.name} has no identity")
        return self.identity_or_none

    @property
    def modern(self) -> bool:
        """HEAD behaviour (≥ 2.9) where it conflicts with seed-era (docs/decisions.md)."""
        return self.version >= MODERN

    def req(self, model: type[Any]) -> Any:
        """The validated request model, typed for the handler."""
        assert isinstance(self.request, model)
        return self.request
