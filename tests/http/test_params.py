"""The byte-level pre-check of request bodies: what sends a body to the full value walk."""

from __future__ import annotations

import pytest

from taskyard.http.params import needs_check


@pytest.mark.parametrize(
    ("body", "suspect"),
    [
        (b'{"v": 12345678901234567890}', True),  # 20-digit integer
        (b'{"v": -9223372036854775809}', True),
        (b"[1234567890123456789]", True),
        (b"1234567890123456789", True),
        (b'{"v": 0.00028571428571428574}', False),  # a float's long fraction
        (b'{"v": 1.0e-3, "w": 3.1415926535897932384626}', False),
        (b'{"task": "5f1c2a9e8b7d4c3f2a1b0c9d8e7f6a5b"}', False),
        (b'{"name": "a\\u0000b"}', True),  # escaped NUL
        (b'{"v": 123456789012345678}', False),  # 18 digits fit in 64 bits
        (b'{"a": 0.1234567890123456789012345, "b": 1234567890123456789}', True),
        (b'{"a": 0.1234567890123456789012345, "b": 0.0000000000000000000001}', False),
        (b'{"a": 0.12345678901234567890, "b": [-12345678901234567890]}', True),
    ],
)
def test_long_integers_and_nul_are_suspect_float_fractions_are_not(
    body: bytes, suspect: bool
) -> None:
    assert needs_check(body, b"") is suspect
