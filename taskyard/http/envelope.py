"""The response envelope: `{"meta": {...}, "data": {...}}`, HTTP status = result_code."""

from __future__ import annotations

import random
from typing import Any

import orjson


def render(
    *,
    endpoint_name: str,
    requested: str | float | None,
    actual: str | float | None,
    trx: str | None,
    code: int = 200,
    subcode: int = 0,
    message: str = "OK",
    error_data: dict[str, Any] | None = None,
    data: Any = None,
) -> bytes:
    # 32 hex digits like a uuid4 hex; a call id need not be unpredictable, so no system call.
    call_id = f"{random.getrandbits(128):032x}"
    envelope = {
        "meta": {
            "id": call_id,
            "trx": trx or call_id,
            "endpoint": {
                "name": endpoint_name,
                "requested_version": requested,
                "actual_version": actual,
            },
            "result_code": code,
            "result_subcode": subcode,
            "result_msg": message,
            "error_stack": None,
            "error_data": error_data or {},
        },
        "data": data if data is not None else {},
    }
    try:
        return orjson.dumps(envelope, default=_fallback)
    except TypeError:  # a key that is not a string: the option for it halves orjson's speed
        return orjson.dumps(envelope, option=orjson.OPT_NON_STR_KEYS, default=_fallback)


def encoded(json_text: str) -> Any:
    """A reply value that is already JSON text: rendered as it is, not as a string."""
    return orjson.Fragment(json_text)


def _fallback(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
