"""Filter operators: one small registered object per filter kind (SEMANTICS §5.2).

Each operator says which request keys it handles for an entity and turns the key's value into
an `Sql` condition through the dialect. The compiler asks the registry, in order, which
operator takes each key; keys nobody takes are ignored, as the reference server does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from taskyard import errors
from taskyard.domain.query import values as val
from taskyard.domain.query.fields import EntitySpec
from taskyard.domain.query.sql import FALSE, Ref, Sql, SqlDialect, all_of, any_of, marks


@dataclass(frozen=True)
class Ctx:
    spec: EntitySpec
    sql: SqlDialect
    modern: bool  # ≥ 2.9: HEAD semantics where they conflict with seed-era ones


class Operator(Protocol):
    name: str

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool: ...

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql: ...


REGISTRY: list[Operator] = []


def register(op: Operator) -> Operator:
    REGISTRY.append(op)
    return op


def operator_for(spec: EntitySpec, key: str, value: Any) -> Operator | None:
    for op in REGISTRY:
        if op.takes(spec, key, value):
            return op
    return None


# -- list membership -------------------------------------------------------------------------

_OPS = {
    "__$any": "any",
    "__$or": "any",
    "__$all": "all",
    "__$and": "all",
    "__$not": "not",
    "__$nop": "nop",
}


class Membership:
    """has-any / has-all over one field, scalar column or JSON array alike."""

    def __init__(self, ref: Ref, ctx: Ctx) -> None:
        self.ref, self.sql = ref, ctx.sql
        self.is_array = ref.array

    def _empty(self) -> Sql:
        if self.is_array:
            return self.sql.is_empty_array(self.ref)
        expr = self.sql.text(self.ref)
        return Sql(f"{expr} IS NULL OR {expr} = ''")

    def _one_of(self, items: list[str]) -> Sql:
        if self.is_array:
            return self.sql.has_any(self.ref, items)
        expr = self.sql.text(self.ref)
        if len(items) == 1:
            return Sql(f"{expr} = ?", (items[0],))
        return Sql(f"{expr} IN ({marks(len(items))})", tuple(items))

    def has_any(self, items: list[str | None]) -> Sql:
        real = [i for i in items if i is not None]
        parts = [self._one_of(real)] if real else []
        if None in items:
            parts.append(self._empty())
        return any_of(parts)

    def has_all(self, items: list[str | None]) -> Sql:
        parts = [self._one_of([i]) for i in dict.fromkeys(items) if i is not None]
        if None in items:
            parts.append(self._empty())
        return all_of(parts)

    def has_none(self, items: list[str | None]) -> Sql:
        if not items:
            return all_of([])
        cond = self.has_any(items)
        if not self.is_array and None not in items:
            # NOT IN on a NULL column is NULL (unknown): a missing value is "not one of them".
            expr = self.sql.text(self.ref)
            return Sql(f"({expr} IS NULL OR NOT ({cond.text}))", cond.params)
        return cond.negate()

    def lacks_any(self, items: list[str | None]) -> Sql:
        if not items:
            return FALSE
        return self.has_all(items).negate()


@dataclass
class _Groups:
    include: dict[str, list[str | None]]
    exclude: dict[str, list[str | None]]
    first_op: str | None = None


def parse_list(values: list[Any], key: str) -> _Groups:
    """Split a list filter into include/exclude groups per context (any/all)."""
    groups = _Groups({"any": [], "all": []}, {"any": [], "all": []})
    context, legacy, negate_next = "any", True, False
    for value in values:
        if isinstance(value, str) and value in _OPS:
            op = _OPS[value]
            if op in ("any", "all"):
                context = op
                groups.first_op = groups.first_op or op
                legacy = False
            elif op == "not":
                negate_next = True
                legacy = False
            else:  # nop: back to the default context and the legacy "-" prefix
                context, legacy, negate_next = "any", True, False
            continue
        if value is not None and not isinstance(value, str):
            raise errors.fields_value_error("expected string values", field=key)
        target = groups.include
        if negate_next:
            target, negate_next = groups.exclude, False
        elif legacy and isinstance(value, str) and value.startswith("-"):
            target, value = groups.exclude, value[1:]
        target[context].append(value)
    return groups


def list_condition(m: Membership, groups: _Groups) -> Sql:
    inc, exc = groups.include, groups.exclude
    if groups.first_op is None:
        # Legacy form: includes are "any of", excludes "none of", both must hold.
        return all_of(
            [
                m.has_any(inc["any"]) if inc["any"] else all_of([]),
                m.has_none(exc["any"]),
                m.has_all(inc["all"]) if inc["all"] else all_of([]),
                m.has_none(exc["all"]),
            ]
        )
    any_terms = [
        t
        for t in (
            m.has_any(inc["any"]) if inc["any"] else None,
            m.lacks_any(exc["any"]) if exc["any"] else None,
        )
        if t is not None
    ]
    all_terms = [
        t
        for t in (
            m.has_all(inc["all"]) if inc["all"] else None,
            m.has_none(exc["all"]) if exc["all"] else None,
        )
        if t is not None
    ]
    blocks = []
    if any_terms:
        blocks.append(any_of(any_terms))
    if all_terms:
        blocks.append(all_of(all_terms))
    return any_of(blocks) if groups.first_op == "any" else all_of(blocks)


class ListOp:
    name = "list"

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        if key in spec.list_fields:
            return True
        # hyperparams.* are list filters unless given as a numeric [min, max] range.
        return key.startswith("hyperparams.") and not _is_numeric_range(value)

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        items = val.as_list(value, key, wrap_scalar=ctx.modern or key == "parent")
        if not items:
            return all_of([])
        return list_condition(Membership(_value_ref(ctx.spec, key), ctx), parse_list(items, key))


def _value_ref(spec: EntitySpec, key: str) -> Ref:
    parts = key.split(".")
    if parts[0] == "hyperparams" and len(parts) == 3:
        key += ".value"
    return spec.ref(key)


def _is_numeric_range(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in value
        )
        and any(v is not None for v in value)
    )


class FiltersOp:
    """`filters: {field: {any: {include, exclude}, all: {include, exclude}, op}}`."""

    name = "filters"

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        return key == "filters"

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        if not isinstance(value, dict):
            raise errors.validation_error("expected dict", field="filters")
        parts = []
        for field, spec_value in value.items():
            if not isinstance(spec_value, dict):
                raise errors.validation_error("incorrect field format", field=f"filters.{field}")
            groups = _Groups({"any": [], "all": []}, {"any": [], "all": []})
            for ctx_name in ("any", "all"):
                block = spec_value.get(ctx_name) or {}
                if not isinstance(block, dict):
                    raise errors.validation_error(
                        "incorrect field format", field=f"filters.{field}.{ctx_name}"
                    )
                for kind, target in (("include", groups.include), ("exclude", groups.exclude)):
                    entries = block.get(kind) or []
                    if not isinstance(entries, list) or any(
                        e is not None and not isinstance(e, str) for e in entries
                    ):
                        raise errors.validation_error(
                            "incorrect field format", field=f"filters.{field}.{ctx_name}.{kind}"
                        )
                    target[ctx_name].extend(entries)
            op = str(spec_value.get("op") or "and").lower()
            if op not in ("and", "or"):
                raise errors.validation_error("incorrect field format", field=f"filters.{field}.op")
            groups.first_op = "any" if op == "or" else "all"
            parts.append(list_condition(Membership(_value_ref(ctx.spec, field), ctx), groups))
        return all_of(parts)


# -- patterns --------------------------------------------------------------------------------


class PatternOp:
    name = "pattern"

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        return key in spec.pattern_fields

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        if not value:
            return all_of([])
        if not isinstance(value, str):
            raise errors.validation_error("expected string", field=key)
        val.check_regex(value, key)
        return ctx.sql.regex(ctx.sql.text(ctx.spec.ref(key)), value, icase=False)


# -- dates and ranges ------------------------------------------------------------------------

_CMP = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "="}


def _range(expr: str, low: Any, high: Any, low_matches_missing: bool) -> Sql:
    parts = []
    if low is not None:
        parts.append(Sql(f"{expr} >= ?", (low,)))
    if high is not None:
        parts.append(Sql(f"{expr} <= ?", (high,)))
    cond = all_of(parts)
    if low is None and low_matches_missing:
        return any_of([Sql(f"{expr} IS NULL"), cond])
    return cond


class DateConstraintOp:
    """status_changed / last_update / last_change: `>=date` strings or a `[from, to]` range."""

    name = "date"

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        return key in spec.date_fields

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        items = value if isinstance(value, list) else [value]
        expr = ctx.sql.text(ctx.spec.ref(key))
        if (
            ctx.modern
            and len(items) == 2
            and not any(val.has_prefix(v) for v in items)
            and any(v is not None for v in items)
        ):
            low, high = (val.parse_datetime(v) for v in items)
            if low is None and high is None:
                return all_of([])
            return _range(expr, low, high, low_matches_missing=False)
        constraints = val.date_constraints(items)
        return all_of(Sql(f"{expr} {_CMP[op]} ?", (when,)) for op, when in constraints.items())


class RangeOp:
    """`[min, max]` inclusive ranges: created, started, last_iteration, last_metrics.*, …"""

    name = "range"

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        if spec.matches_prefix(key, spec.range_fields):
            return True
        return key.startswith("hyperparams.") and _is_numeric_range(value)

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        if not isinstance(value, list) or len(value) != 2 or all(v is None for v in value):
            raise errors.validation_error(
                "expected a [min, max] list with at least one value", field=key
            )
        low, high = value
        spec = ctx.spec
        kind = spec.kind(key)
        if kind == "datetime":
            low, high = (val.parse_datetime(v) if v is not None else None for v in value)
            expr = ctx.sql.text(spec.ref(key))
        else:
            for v in (low, high):
                if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
                    raise errors.validation_error("expected numeric range values", field=key)
            if kind == "int":
                expr = ctx.sql.text(spec.ref(key))
            else:
                path = key
                parts = key.split(".")
                if parts[0] in ("last_metrics", "hyperparams") and len(parts) == 3:
                    path += ".value"
                expr = ctx.sql.number(spec.ref(path))
        return _range(expr, low, high, low_matches_missing=True)


class EqualityOp:
    """runtime.* (and other free-form doc values): equality, or any-of for a list."""

    name = "equality"

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        return any(key.startswith(p) for p in spec.equality_prefixes)

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        items = value if isinstance(value, list) else [value]
        if not items:
            return all_of([])
        expr = ctx.sql.text(ctx.spec.ref(key))
        strs = [str(v) for v in items if v is not None]
        parts = [Sql(f"{expr} IN ({marks(len(strs))})", tuple(strs))] if strs else []
        if None in items:
            parts.append(Sql(f"{expr} IS NULL"))
        return any_of(parts)


class BoolOp:
    """Boolean columns (models.ready): equality with a bool."""

    name = "bool"

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        return spec.kind(key) == "bool"

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        if value is None:
            return all_of([])
        if not isinstance(value, bool):
            raise errors.validation_error(
                f"error for field '{key}': ('value is wrong, expected type \"bool\"', {value!r})."
            )
        return Sql(f"{ctx.sql.text(ctx.spec.ref(key))} = ?", (value,))


# -- _any_ / _all_ ---------------------------------------------------------------------------


class AnyAllOp:
    """`{pattern | datetime, fields}` applied to several fields, ORed (_any_) or ANDed (_all_)."""

    name = "any_all"
    keys = {"_any_": "any", "_or_": "any", "_all_": "all", "_and_": "all"}

    def takes(self, spec: EntitySpec, key: str, value: Any) -> bool:
        return key in self.keys

    def compile(self, key: str, value: Any, ctx: Ctx) -> Sql:
        bad = errors.validation_error("incorrect field format", field=key)
        if not isinstance(value, dict) or "fields" not in value:
            raise bad
        has_pattern = value.get("pattern") is not None
        has_datetime = value.get("datetime") is not None
        if has_pattern == has_datetime:
            raise bad
        fields = value["fields"]
        if not isinstance(fields, list) or any(not isinstance(f, str) for f in fields):
            raise bad
        if not fields:
            return all_of([])
        spec, sql = ctx.spec, ctx.sql
        spec.check_known(fields)
        parts: list[Sql] = []
        if has_pattern:
            pattern = value["pattern"]
            if not isinstance(pattern, str):
                raise bad
            val.check_regex(pattern, key)
            for field in fields:
                ref = _value_ref(spec, field)
                if ref.array:
                    cond = sql.regex("v", pattern, icase=True)
                    parts.append(
                        Sql(
                            f"EXISTS (SELECT 1 FROM {sql.elements(ref)} x WHERE {cond.text})",
                            cond.params,
                        )
                    )
                else:
                    parts.append(sql.regex(sql.text(ref), pattern, icase=True))
        else:
            items = value["datetime"]
            items = items if isinstance(items, list) else [items]
            dated = [f for f in fields if spec.kind(f) == "datetime"]
            for field in dated:
                parts.append(DateConstraintOp().compile(field, items, ctx))
            if not parts:
                return all_of([])
        return any_of(parts) if self.keys[key] == "any" else all_of(parts)


# Order matters: the first operator that takes a key compiles it.
for _op in (
    FiltersOp(),
    AnyAllOp(),
    ListOp(),
    PatternOp(),
    DateConstraintOp(),
    RangeOp(),
    BoolOp(),
    EqualityOp(),
):
    register(_op)


def compile_filter(key: str, value: Any, ctx: Ctx) -> Sql | None:
    op = operator_for(ctx.spec, key, value)
    return op.compile(key, value, ctx) if op else None


Compiler = Callable[[str, Any, Ctx], Sql]
