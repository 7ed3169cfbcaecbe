"""A get_all request → a compiled query: WHERE, ORDER BY, window, text search, projection.

Everything that filters, orders or pages is SQL; only the projection of the selected page
happens in Python (store/query.py runs the result).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskyard import errors
from taskyard.domain.query import operators, order, paging, projection, text
from taskyard.domain.query.fields import EntitySpec
from taskyard.domain.query.sql import Sql, SqlDialect, all_of, marks
from taskyard.versions import MODERN, Version

CONTROL_KEYS = frozenset(
    {
        "only_fields",
        "projection",
        "order_by",
        "page",
        "page_size",
        "size",
        "scroll_id",
        "refresh_scroll",
        "search_text",
        "search_hidden",
        "include_subprojects",
        "allow_public",
        "shallow_search",
        "include_stats",
        "batch_size",
    }
)

# Reserved task tags that clients below 2.3 send in `tags` (§1.8).
_RESERVED = ("active", "archived", "development")


@dataclass(frozen=True)
class CompiledQuery:
    spec: EntitySpec
    where: Sql
    order: order.OrderBy
    page: paging.Page
    search: text.TextQuery | None
    projection: projection.Projection


def conform_tags(data: dict[str, Any]) -> dict[str, Any]:
    """Below 2.3, reserved names in a `tags` filter are `system_tags` filters."""
    tags = data.get("tags")
    if not isinstance(tags, list) or data.get("system_tags"):
        return data
    system = [
        t
        for t in tags
        if isinstance(t, str)
        and (t.lstrip("-") in _RESERVED or t.lstrip("-").lower().startswith("annotat"))
    ]
    if not system:
        return data
    out = dict(data)
    out["tags"] = [t for t in tags if t not in system]
    out["system_tags"] = system
    return out


def _legacy_keys(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        out[order.legacy_field(key, modern=False)] = value
    return out


def compile_query(
    spec: EntitySpec,
    data: dict[str, Any],
    version: Version,
    sql: SqlDialect,
    companies: tuple[str, ...],
    *,
    joins: bool = False,
    extra: Sql | None = None,
) -> CompiledQuery:
    modern = version >= MODERN
    if version < Version(2, 3):
        data = conform_tags(data)
    if not modern:
        data = _legacy_keys(data)
    ctx = operators.Ctx(spec, sql, modern)
    conditions = [
        Sql(f"{spec.table}.company = ?", (companies[0],))
        if len(companies) == 1
        else Sql(f"{spec.table}.company IN ({marks(len(companies))})", companies)
    ]
    for key, value in data.items():
        if key in CONTROL_KEYS:
            continue
        cond = operators.compile_filter(key, value, ctx)
        if cond is not None:
            conditions.append(cond)
    if spec.hidden_tag and not data.get("search_hidden") and not data.get("id"):
        ref = spec.ref("system_tags")
        conditions.append(sql.has_any(ref, ["hidden"]).negate())
    if extra is not None:
        conditions.append(extra)

    search = None
    search_text = data.get("search_text")
    if search_text is not None and not isinstance(search_text, str):
        raise errors.validation_error("expected string", field="search_text")
    if search_text and search_text.strip():
        search = text.parse(search_text)

    order_by = order.compile_order(
        spec, order.parse_order_by(data.get("order_by")), sql, modern, search is not None
    )
    fields = data.get("only_fields", data.get("projection"))
    proj = projection.parse_projection(spec, fields, add_id=joins or modern, joins=joins)
    return CompiledQuery(
        spec, all_of(conditions), order_by, paging.page_window(data, modern), search, proj
    )
