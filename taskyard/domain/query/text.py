"""`search_text` parsing (§7.5): words ORed, "quoted phrases", -negated words or phrases."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # as the tokenizers split: "_" separates


@dataclass(frozen=True)
class TextQuery:
    """Positive terms (any may match) and negated terms (none may match).

    Each term is a tuple of words: one word, or the words of a phrase in order.
    """

    terms: tuple[tuple[str, ...], ...]
    negated: tuple[tuple[str, ...], ...]

    @property
    def empty(self) -> bool:
        return not self.terms


def parse(text: str) -> TextQuery:
    terms: list[tuple[str, ...]] = []
    negated: list[tuple[str, ...]] = []
    for match in _TOKEN.finditer(text):
        neg = bool(match.group(1) or match.group(3))
        raw = match.group(2) if match.group(2) is not None else match.group(4)
        words = tuple(w.lower() for w in _WORD.findall(raw))
        if not words:
            continue
        (negated if neg else terms).append(words)
    return TextQuery(tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(negated)))
