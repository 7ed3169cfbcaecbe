"""Timestamps as the API shows them: ISO-8601 UTC with `+00:00`.

`datetime.isoformat()` omits a zero microsecond part; the text still sorts in time order
because `+` sorts before `.`, so stored timestamps compare correctly as text on both backends.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def now() -> str:
    return datetime.now(UTC).isoformat()


def to_wire(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def new_id() -> str:
    """32 lower-case hex characters, as the reference server's ids."""
    return uuid.uuid4().hex
