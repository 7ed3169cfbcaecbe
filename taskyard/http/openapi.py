"""`/openapi.json`, generated from the endpoint registry (one POST path per endpoint)."""

from __future__ import annotations

from typing import Any

from taskyard import __version__
from taskyard.http import registry


def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name in sorted({e.name for e in registry.all_endpoints()}):
        impl = registry.resolve_latest(name)
        schema: dict[str, Any] = {"type": "object"}
        if impl.request is not None:
            schema = impl.request.model_json_schema(ref_template="#/components/schemas/{model}")
            defs = schema.pop("$defs", {})
            _DEFS.update(defs)
        operation: dict[str, Any] = {
            "operationId": name,
            "summary": impl.summary,
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": schema}},
            },
            "responses": {"200": {"description": "The envelope: {meta, data}"}},
        }
        if impl.auth:
            operation["security"] = [{"basic": []}, {"bearer": []}]
        else:
            operation["security"] = []
        paths[f"/{name}"] = {"post": operation}
    return {
        "openapi": "3.0.3",
        "info": {"title": "taskyard (ClearML server API)", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": dict(_DEFS),
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


_DEFS: dict[str, Any] = {}
