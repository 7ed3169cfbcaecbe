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
        if "depth limit exceeded" in str(exc):
            raise too_deep() from None
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
            if "depth limit exceeded" in str(exc):
                raise too_deep() from None
            raise BodyError(f"{exc} in batch item #{index}") from exc
        if not isinstance(item, dict):
            raise BodyError(f"json lines must contain objects, found: {type(item).__name__}")
        items.append(item)
    return items


def _is_digits(text: str) -> bool:
    # isdigit() alone also accepts "²" and other Unicode digits that int() refuses.
    return text.isascii() and text.isdigit()


def _coerce(value: str) -> Any:
    if _is_digits(value):
        if len(value) > 19:  # int() of thousands of digits is slow, and no store keeps it
            raise out_of_range()
        return int(value)
    head, dot, tail = value.partition(".")
    if dot and _is_digits(head) and _is_digits(tail):
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
        merged: Any = values if (len(values) > 1 or key in forced_list) else values[0]
        target = data
        *parents, leaf = key.split(".")
        for part in parents:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[leaf] = merged
    return data


# Limits on values that parse but that no store can keep or no reply can render: orjson renders
# at most 254 levels (the envelope adds a few), SQLite and PostgreSQL integers are signed
# 64-bit, and PostgreSQL text/jsonb refuse NUL characters. Checked at the door, so a handler
# never fails half-way on them (and both backends answer alike).
MAX_DEPTH = 100
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
# An integer may not fit 64 bits once it has 19 digits, but a run of 19 digits can also be the
# fraction of a float (every scalar an SDK reports has one). The runs are found with bytes
# methods on a copy of the body whose digits all read "0": a regular expression with a
# look-behind cost 20 µs on a batch of 5 scalars, this costs 2.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_RUN = b"0" * 19
_DOT, _ZERO = ord("."), ord("0")


def too_deep() -> errors.ApiError:
    return errors.validation_error("data nested too deeply", max_depth=MAX_DEPTH)


def out_of_range() -> errors.ApiError:
    return errors.validation_error("integer out of the signed 64-bit range")


def _nul() -> errors.ApiError:
    return errors.validation_error("strings must not contain nul characters")


def needs_check(body: bytes, query: bytes) -> bool:
    """Cheap byte-level hints that `check_values` could fail (most requests skip the walk)."""
    if b"\\u0000" in body or b"%00" in query or _has_long_integer(body):
        return True
    if len(body) + len(query) < MAX_DEPTH:  # each level of nesting takes a byte at least
        return False
    nesting = body.count(b"{") + body.count(b"[") + query.count(b".") + query.count(b"%2")
    return nesting >= MAX_DEPTH


def _has_long_integer(body: bytes) -> bool:
    """A run of 19+ digits that is not a fraction (the byte before it is no dot)."""
    digits = body.translate(_DIGITS_AS_ZERO)
    start = digits.find(_LONG_RUN)
    while start != -1:  # `find` from a run's end meets the next run at its first digit
        if start == 0 or body[start - 1] != _DOT:
            return True
        end = start + len(_LONG_RUN)
        while end < len(digits) and digits[end] == _ZERO:
            end += 1
        start = digits.find(_LONG_RUN, end)
    return False


def check_values(value: Any) -> None:
    """Raise 400/12 for nesting deeper than MAX_DEPTH, out-of-range integers, NUL in strings."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise too_deep()
            for key, child in item.items():
                if "\x00" in key:
                    raise _nul()
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise too_deep()
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise _nul()
        elif isinstance(item, int) and not _INT_MIN <= item <= _INT_MAX:
            raise out_of_range()
