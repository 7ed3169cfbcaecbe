"""API versions: parsing and comparing `X.Y` strings component-wise (2.10 > 2.9)."""

from __future__ import annotations

from typing import NamedTuple


class Version(NamedTuple):
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse `2.9`, `2.10`, `1.7` or the dotless `21` form of the URL (= 2.1)."""
        if "." in text:
            major, _, minor = text.partition(".")
            return cls(int(major), int(minor))
        return cls(int(text[0]), int(text[1:]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


MAX_VERSION = Version(2, 23)
# Below this, requests get seed-era behaviour where the two conflict (docs/decisions.md).
MODERN = Version(2, 9)
