"""Parsing of filter values: datetimes, date constraints, regex validation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from taskyard import errors
from taskyard.domain.clock import to_wire

_CONSTRAINT = re.compile(r"^\s*(>=|<=|>|<)?\s*(.*?)\s*$")


def parse_datetime(value: Any) -> str | None:
    """An ISO-8601 date/time as the stored text form, or None when it does not parse.

    Epoch numbers are not dates here, as in the reference server (ignored, not an error).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return to_wire(parsed)


def date_constraints(values: list[Any]) -> dict[str, str]:
    """`[">=2024-01-01", "<2024-02-01"]` → {op: stored-text}; a repeated op overwrites."""
    out: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        match = _CONSTRAINT.match(value)
        if match is None:
            continue
        parsed = parse_datetime(match.group(2))
        if parsed is not None:
            out[match.group(1) or "="] = parsed
    return out


def has_prefix(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"^\s*[<>]", value))


def check_regex(pattern: str, field: str) -> None:
    """400/21 for a pattern that does not compile."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise errors.invalid_regex_error(str(exc), field=field) from None


def as_list(value: Any, field: str, wrap_scalar: bool) -> list[Any]:
    if isinstance(value, list):
        return value
    if wrap_scalar:
        return [value]
    raise errors.validation_error("expected list", field=field)
