"""Paging by version (§5.2, §7.2): seed-era pages only on request, HEAD always (max 500)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from taskyard import errors

MAX_PAGE_SIZE = 500
# Both databases hold offsets and limits in 64-bit integers: anything past this matches no row
# anyway, so larger windows are clamped rather than overflowing in the database.
MAX_WINDOW = 2**62


@dataclass(frozen=True)
class Page:
    limit: int | None  # None: everything
    offset: int
    scroll: bool = False  # reply with a scroll_id for the next window

    def __post_init__(self) -> None:
        object.__setattr__(self, "offset", min(self.offset, MAX_WINDOW))
        if self.limit is not None:
            object.__setattr__(self, "limit", min(self.limit, MAX_WINDOW))


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise errors.validation_error(
            f"error for field '{key}': ('value is wrong, expected type \"int\"', {value!r})."
        )
    return value


def encode_scroll(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _decode_scroll(value: Any) -> int:
    try:
        text = base64.urlsafe_b64decode(str(value).encode()).decode()
        if text.startswith("o:"):
            return max(0, int(text[2:]))
    except (ValueError, UnicodeDecodeError):
        pass
    raise errors.validation_error("invalid scroll id", field="scroll_id")


def page_window(data: dict[str, Any], modern: bool) -> Page:
    page = _int(data, "page")
    page_size = _int(data, "page_size")
    if page is not None and page < 0:
        raise errors.validation_error("page must be >=0", field="page")
    if modern and (data.get("scroll_id") or data.get("size") is not None):
        size = _int(data, "size") or page_size or MAX_PAGE_SIZE
        if size < 1:
            raise errors.validation_error("size must be >0", field="size")
        offset = (
            0
            if data.get("refresh_scroll") or not data.get("scroll_id")
            else (_decode_scroll(data["scroll_id"]))
        )
        return Page(min(size, MAX_PAGE_SIZE), offset, scroll=True)
    if page_size is not None and page_size < 1 and (modern or page is not None):
        if not modern and page_size == 0:
            raise errors.missing_required_fields(
                "page_size is required when page is requested", field="page_size"
            )
        raise errors.validation_error("page_size must be >0", field="page_size")
    if modern:
        size = min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        return Page(size, (page or 0) * size)
    if page is None:
        return Page(None, 0)
    if not page_size:
        raise errors.missing_required_fields(
            "page_size is required when page is requested", field="page_size"
        )
    return Page(page_size, page * page_size)
