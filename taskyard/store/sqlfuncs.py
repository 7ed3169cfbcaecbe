"""SQL functions registered on every SQLite connection."""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

import regex

# A user's pattern runs against one value at a time; a catastrophic one gives up here instead
# of hanging the worker (the query then fails with 400/21, see the query engine).
REGEX_TIMEOUT_S = 0.05


class RegexTimeout(Exception):
    pass


@lru_cache(maxsize=256)
def _compiled(pattern: str, flags: int) -> regex.Pattern[str]:
    return regex.compile(pattern, flags)


def regexp(pattern: str | None, value: object, flags: int = 0) -> bool:
    if pattern is None or value is None:
        return False
    try:
        return _compiled(pattern, flags).search(str(value), timeout=REGEX_TIMEOUT_S) is not None
    except TimeoutError as exc:
        raise RegexTimeout(pattern) from exc


def regexp_i(pattern: str | None, value: object) -> bool:
    return regexp(pattern, value, regex.IGNORECASE)


_NUMBER = re.compile(r"\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*")


def to_number(value: object) -> float | None:
    """A number, or a string that spells one, as REAL; anything else NULL (numeric-aware order)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return None


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("regexp", 2, regexp, deterministic=True)
    conn.create_function("regexp_i", 2, regexp_i, deterministic=True)
    conn.create_function("to_number", 1, to_number, deterministic=True)
