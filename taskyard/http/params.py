"""Request data: the JSON (or json-lines) body with query arguments applied on top."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from taskyard import errors


class BodyError(Exception):
    """The body could not be decoded; the message is the one the client sees."""


def decode_body(
    body: bytes, content_type: str
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """(data, batch). Batch is the list of json-lines items, or None for a plain body."""
    if content_type.startswith("application/json-lines"):
        return {}, _decode_lines(body)
    if not body.strip():
        return {}, None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"Failed to decode JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise errors.validation_error("data should be a json object", type=type(value).__name__)
    return value, None


def _decode_lines(body: bytes) -> list[dict[str, Any]]:
    items = []
    for index, line in enumerate(body.splitlines()):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise BodyError(f"{exc} in batch item #{index}") from exc
        if not isinstance(item, dict):
            raise BodyError(f"json lines must contain objects, found: {type(item).__name__}")
        items.append(item)
    return items


def _coerce(value: str) -> Any:
    if value.isdigit():
        return int(value)
    head, dot, tail = value.partition(".")
    if dot and head.isdigit() and tail.isdigit():
        return float(value)
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    return value


def apply_query(data: dict[str, Any], query_string: bytes) -> dict[str, Any]:
    """Query args override body keys; `a.b` nests, repeats and `k[]` make lists."""
    if not query_string:
        return data
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    grouped: dict[str, list[Any]] = {}
    forced_list: set[str] = set()
    for key, value in pairs:
        if key.endswith("[]"):
            key = key[:-2]
            forced_list.add(key)
        grouped.setdefault(key, []).append(_coerce(value))
    for key, values in grouped.items():
        value: Any = values if (len(values) > 1 or key in forced_list) else values[0]
        target = data
        *parents, leaf = key.split(".")
        for part in parents:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[leaf] = value
    return data
