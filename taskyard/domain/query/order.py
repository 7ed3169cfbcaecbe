"""order_by → ORDER BY items: `-` for descending, empties last, numeric-aware JSON values,
an `id` tie-breaker, and `@text_score` (relevance; only with search_text).

The tie-breaker runs in the direction of the last ordering key: an index that ends in
(key, id) then yields a `-key` page by walking backwards and stopping after the page, with no
sort of its own (tasks_company_status serves the SDK's "status + tag, newest first" that way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskyard import errors
from taskyard.domain.query.fields import EntitySpec
from taskyard.domain.query.sql import SqlDialect

TEXT_SCORE = "@text_score"


@dataclass(frozen=True)
class OrderBy:
    items: tuple[str, ...]  # SQL ORDER BY items; "{score}" stands for the relevance expression
    text_score: bool  # the order uses the search relevance
    natural: bool = False  # no order_by: the store's natural (insertion) order, then id


def parse_order_by(value: Any) -> list[str]:
    if value is None or value == "" or value == []:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or any(not isinstance(i, str) for i in items):
        raise errors.validation_error("expected string or list of strings", field="order_by")
    return [i for i in items if i and i not in ("-", "+")]


def legacy_field(path: str, modern: bool) -> str:
    """Seed-era names of hyperparameters (`execution.parameters.x`) before 2.9."""
    if not modern and path.startswith("execution.parameters."):
        return "hyperparams.Args." + path.removeprefix("execution.parameters.") + ".value"
    return path


def _value_path(spec: EntitySpec, path: str) -> str:
    parts = path.split(".")
    if parts[0] in ("last_metrics", "hyperparams") and len(parts) == 3:
        return path + ".value"
    return path


def compile_order(
    spec: EntitySpec, order_by: list[str], sql: SqlDialect, modern: bool, has_search: bool
) -> OrderBy:
    items: list[str] = []
    text_score = False
    seen_id = False
    desc = False
    for index, raw in enumerate(order_by):
        desc = raw.startswith("-")
        path = raw.lstrip("-+").strip()
        if path == TEXT_SCORE:
            if not has_search:
                raise errors.fields_value_error(
                    "text score cannot be used in order_by when search text is not used"
                )
            text_score = desc = True
            # Relevance: best first unless explicitly reversed ("-" means best first too,
            # as the reference's sort by score descending is the only useful one).
            items.append("{score} DESC")
            continue
        path = legacy_field(path, modern)
        spec.check_known([path])
        ref = spec.ref(_value_path(spec, path))
        seen_id = seen_id or path == "id"
        kind = spec.kind(path)
        first_ascending = index == 0 and not desc
        if kind in ("text", "datetime") and first_ascending:
            expr = sql.text(ref)
            items.append(f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN 1 ELSE 0 END")
            items.append(f"{sql.binary(expr) if kind == 'text' else expr} ASC")
        elif kind == "text":
            items.append(sql.order(sql.binary(sql.text(ref)), desc))
        elif kind == "array":
            expr = sql.text(ref)
            if first_ascending:
                items.append(f"CASE WHEN {expr} IS NULL OR {expr} = '[]' THEN 1 ELSE 0 END")
            items.append(sql.order(expr, desc))
        elif kind in ("text", "datetime", "int", "bool"):
            items.append(sql.order(sql.text(ref), desc))
        elif path.startswith("last_metrics."):
            # Metric values are JSON numbers: one typed key sorts them numerically.
            items.append(sql.order(sql.metric_value(ref), desc))
        elif spec.is_numeric(path):
            # Numbers (and numeric strings) first, in numeric order; then other text.
            items.append(sql.order(sql.number(ref), desc))
            items.append(sql.order(sql.binary(sql.text(ref)), desc))
        else:
            expr = sql.text(ref)
            if first_ascending:
                items.append(f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN 1 ELSE 0 END")
            items.append(sql.order(sql.binary(expr), desc))
    if not seen_id:
        items.append(f"{spec.table}.id DESC" if desc else f"{spec.table}.id")
    return OrderBy(tuple(items), text_score, natural=not order_by)
