"""only_fields: dotted includes, `-field` exclusions, `*` / `x.*`, applied to a page of
documents already selected in SQL. Reference paths (`project.name`) are split off for joins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from taskyard import errors
from taskyard.domain.query.fields import EntitySpec

_MISSING = object()


@dataclass(frozen=True)
class Projection:
    includes: tuple[tuple[str, ...], ...]  # empty with all_fields: everything
    excludes: tuple[tuple[str, ...], ...]
    all_fields: bool
    joins: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ref path -> sub-fields
    asked: frozenset[str] = frozenset()  # top-level fields named explicitly


def parse_projection(spec: EntitySpec, value: Any, add_id: bool, joins: bool) -> Projection:
    if value is None or value == []:
        return Projection((), (), True)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or any(not isinstance(i, str) for i in items):
        raise errors.validation_error("expected list of strings", field="only_fields")
    includes: list[str] = []
    excludes: list[str] = []
    all_fields = False
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        if item == "*":
            all_fields = True
        elif item.startswith("-"):
            excludes.append(item[1:].removesuffix(".*"))
        else:
            includes.append(item.removesuffix(".*"))
    spec.check_known([p for p in includes + excludes])
    join_map: dict[str, list[str]] = {}
    if joins:
        kept = []
        for path in includes:
            ref = next((r.path for r in spec.references if path.startswith(r.path + ".")), None)
            if ref is None:
                kept.append(path)
                continue
            join_map.setdefault(ref, []).append(path[len(ref) + 1 :])
            kept.append(ref)
        includes = kept
    if not includes and not excludes:
        all_fields = True
    if not includes and not all_fields:
        all_fields = True  # only exclusions: everything else
    elif add_id and not all_fields and "id" not in includes:
        includes.append("id")
    return Projection(
        tuple(tuple(p.split(".")) for p in dict.fromkeys(includes)),
        tuple(tuple(p.split(".")) for p in dict.fromkeys(excludes)),
        all_fields,
        {k: tuple(dict.fromkeys(v)) for k, v in join_map.items()},
        frozenset(p.split(".", 1)[0] for p in includes),
    )


def _prune(value: Any, parts: tuple[str, ...]) -> Any:
    """The part of `value` that the path selects, keeping its nesting (lists map over items)."""
    if not parts:
        return value
    if isinstance(value, dict):
        if parts[0] not in value:
            return _MISSING
        inner = _prune(value[parts[0]], parts[1:])
        return _MISSING if inner is _MISSING else {parts[0]: inner}
    if isinstance(value, list):
        # Keep one entry per item so that several paths through a list merge item by item.
        return [{} if p is _MISSING else p for p in (_prune(v, parts) for v in value)]
    return _MISSING


def _merge(target: Any, extra: Any) -> Any:
    if isinstance(target, dict) and isinstance(extra, dict):
        for key, value in extra.items():
            target[key] = _merge(target[key], value) if key in target else value
        return target
    if isinstance(target, list) and isinstance(extra, list) and len(target) == len(extra):
        return [_merge(a, b) for a, b in zip(target, extra, strict=True)]
    return extra


def _drop(target: Any, parts: tuple[str, ...]) -> None:
    if isinstance(target, list):
        for item in target:
            _drop(item, parts)
    elif isinstance(target, dict) and parts[0] in target:
        if len(parts) == 1:
            del target[parts[0]]
        else:
            _drop(target[parts[0]], parts[1:])


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def apply(spec: EntitySpec, projection: Projection, doc: dict[str, Any]) -> dict[str, Any]:
    if projection.all_fields:
        out = {
            k: v for k, v in doc.items() if k not in spec.default_excluded or k in projection.asked
        }
        if projection.excludes:
            out = _copy(out)
    elif all(len(parts) == 1 for parts in projection.includes):
        # Top-level fields only (list pages): the document is fresh, no copy needed.
        out = {p[0]: doc[p[0]] for p in projection.includes if p[0] in doc}
    else:
        out = {}
        for parts in projection.includes:
            picked = _prune(doc, parts)
            if picked is not _MISSING:
                out = _merge(out, _copy(picked))
    for parts in projection.excludes:
        _drop(out, parts)
    return out
