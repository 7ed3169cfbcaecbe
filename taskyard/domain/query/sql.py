"""SQL fragments and the two SQL dialects the query operators write through.

An operator never writes backend-specific SQL itself: it asks a `SqlDialect` for the pieces
(JSON access, array membership, regex, numeric coercion). Both dialects are pure string
builders, so operators are unit-tested as tables of (input → SQL, params) on both.
Placeholders are `?` on both backends (the store rewrites them for PostgreSQL).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_TRUE = "1=1"
_FALSE = "1=0"


@dataclass(frozen=True)
class Sql:
    """A boolean or value SQL expression with its parameters, in order."""

    text: str
    params: tuple[Any, ...] = ()

    def __and__(self, other: Sql) -> Sql:
        return all_of([self, other])

    def __or__(self, other: Sql) -> Sql:
        return any_of([self, other])

    def negate(self) -> Sql:
        return Sql(f"NOT ({self.text})", self.params)


TRUE = Sql(_TRUE)
FALSE = Sql(_FALSE)


def _join(parts: Iterable[Sql], glue: str, empty: Sql) -> Sql:
    items = [p for p in parts if p.text != (_TRUE if glue == " AND " else _FALSE)]
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    return Sql(
        "(" + glue.join(f"({p.text})" for p in items) + ")",
        tuple(x for p in items for x in p.params),
    )


def all_of(parts: Iterable[Sql]) -> Sql:
    return _join(parts, " AND ", TRUE)


def any_of(parts: Iterable[Sql]) -> Sql:
    return _join(parts, " OR ", FALSE)


def marks(n: int) -> str:
    return ", ".join("?" * n)


@dataclass(frozen=True)
class Ref:
    """Where a field's value lives: a column, or a JSON path inside `doc` (or another JSON
    column).

    `array` marks values that are JSON arrays (tags); `key` picks one member of each array
    element (models.input[*].model).
    """

    table: str
    column: str
    path: tuple[str, ...] = ()
    array: bool = False
    key: str | None = None

    @property
    def col(self) -> str:
        return f"{self.table}.{self.column}"


class SqlDialect(Protocol):
    name: str

    def text(self, ref: Ref) -> str:
        """The value as text (NULL when absent)."""

    def number(self, ref: Ref) -> str:
        """The value as a number where it is one (JSON numbers, numeric strings), else NULL."""

    def to_number(self, expr: str) -> str:
        """A text expression as a number if it spells one, else NULL."""

    def sort_value(self, ref: Ref) -> str:
        """The value with its JSON type for sorting (numbers numerically)."""

    def binary(self, expr: str) -> str:
        """Text compared byte-wise (code point order), as SQLite and the reference do."""

    def metric_value(self, ref: Ref) -> str:
        """A `last_metrics.<m>.<v>.<field>` value for sorting."""

    def elements(self, ref: Ref) -> str:
        """A FROM source with one row per array element, its text in column `v`."""

    def has_any(self, ref: Ref, values: Sequence[str]) -> Sql: ...

    def is_empty_array(self, ref: Ref) -> Sql: ...

    def regex(self, expr: str, pattern: str, icase: bool) -> Sql: ...

    def order(self, expr: str, desc: bool) -> str:
        """An ORDER BY item that puts NULLs last in both directions."""


def _pg_path(path: Sequence[str]) -> str:
    parts = []
    for p in path:
        if re.fullmatch(r"[A-Za-z0-9_\-]+", p):
            parts.append(p)
        else:
            parts.append('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "'{" + ",".join(parts).replace("'", "''") + "}'"


def _sqlite_path(path: Sequence[str]) -> str:
    out = "$"
    for part in path:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += "." + part
        else:
            out += '."' + part.replace('"', '""') + '"'
    return "'" + out.replace("'", "''") + "'"


class SqliteSql:
    name = "sqlite"

    def text(self, ref: Ref) -> str:
        if not ref.path:
            return ref.col
        return f"json_extract({ref.col}, {_sqlite_path(ref.path)})"

    def number(self, ref: Ref) -> str:
        return self.to_number(self.text(ref))

    def sort_value(self, ref: Ref) -> str:
        return self.text(ref)  # json_extract keeps numbers as numbers

    def binary(self, expr: str) -> str:
        return expr

    def metric_value(self, ref: Ref) -> str:
        # The latest value is also kept in task_metrics (store/migrations/m0006): one indexed
        # lookup per row instead of parsing the task's last_metrics.
        parts = ref.path
        if (
            (ref.table, ref.column) == ("tasks", "last_metrics")
            and len(parts) == 3
            and parts[2] == "value"
            and all(re.fullmatch(r"[0-9a-f]{32}", p) for p in parts[:2])
        ):
            return (
                f"(SELECT value FROM task_metrics WHERE task_rowid = tasks.rowid"
                f" AND metric = '{parts[0]}' AND variant = '{parts[1]}')"
            )
        return self.sort_value(ref)

    def to_number(self, expr: str) -> str:
        # Registered in store/sqlfuncs.py: REAL for numbers and numeric strings, else NULL.
        return f"to_number({expr})"

    def elements(self, ref: Ref) -> str:
        src = (
            f"json_each({ref.col}, {_sqlite_path(ref.path)})"
            if ref.path
            else (f"json_each({ref.col})")
        )
        value = f"json_extract(value, {_sqlite_path([ref.key])})" if ref.key else "value"
        return f"(SELECT {value} AS v FROM {src})"

    def has_any(self, ref: Ref, values: Sequence[str]) -> Sql:
        if not ref.path and not ref.key:
            # instr() on the JSON text is a cheap prefilter before walking the array.
            if len(values) == 1:
                needle = '"' + values[0].replace("\\", "\\\\").replace('"', '\\"') + '"'
                return Sql(
                    f"instr({ref.col}, ?) > 0 AND EXISTS (SELECT 1 FROM json_each({ref.col})"
                    f" WHERE value = ?)",
                    (needle, values[0]),
                )
            return Sql(
                f"EXISTS (SELECT 1 FROM json_each({ref.col})"
                f" WHERE value IN ({marks(len(values))}))",
                tuple(values),
            )
        return Sql(
            f"EXISTS (SELECT 1 FROM {self.elements(ref)} WHERE v IN ({marks(len(values))}))",
            tuple(values),
        )

    def is_empty_array(self, ref: Ref) -> Sql:
        if not ref.path and not ref.key:
            return Sql(f"json_array_length({ref.col}) = 0")
        return Sql(f"NOT EXISTS (SELECT 1 FROM {self.elements(ref)} WHERE v IS NOT NULL)")

    def regex(self, expr: str, pattern: str, icase: bool) -> Sql:
        fn = "regexp_i" if icase else "regexp"
        return Sql(f"{fn}(?, {expr})", (pattern,))

    def order(self, expr: str, desc: bool) -> str:
        # SQLite sorts NULLs first ascending and last descending; the explicit IS NULL key
        # keeps them last ascending too (only added when ascending, so DESC index order holds).
        return f"{expr} DESC" if desc else f"{expr} IS NULL, {expr}"


class PostgresSql:
    name = "postgresql"

    def text(self, ref: Ref) -> str:
        if not ref.path:
            if ref.array:
                return f"{ref.col}::text"
            return ref.col
        return f"({ref.col} #>> {_pg_path(ref.path)})"

    def number(self, ref: Ref) -> str:
        if ref.path:
            value = f"({ref.col} #> {_pg_path(ref.path)})"
            return (
                f"(CASE jsonb_typeof({value}) WHEN 'number' THEN ({value})::text::double precision"
                f" WHEN 'string' THEN {self.to_number(self.text(ref))} END)"
            )
        return self.to_number(f"({ref.col})::text")

    def sort_value(self, ref: Ref) -> str:
        return self.number(ref)

    def binary(self, expr: str) -> str:
        return f'{expr} COLLATE "C"'

    def metric_value(self, ref: Ref) -> str:
        return self.number(ref)

    def to_number(self, expr: str) -> str:
        return (
            # No "?" quantifiers: "?" is the parameter placeholder in our SQL.
            f"(CASE WHEN {expr} ~ '^\\s*[-+]{{0,1}}([0-9]+\\.{{0,1}}[0-9]*|\\.[0-9]+)"
            f"([eE][-+]{{0,1}}[0-9]+){{0,1}}\\s*$'"
            f" THEN ({expr})::double precision END)"
        )

    def _array(self, ref: Ref) -> str:
        value = f"({ref.col} #> {_pg_path(ref.path)})" if ref.path else ref.col
        return f"(CASE jsonb_typeof({value}) WHEN 'array' THEN {value} ELSE '[]'::jsonb END)"

    def elements(self, ref: Ref) -> str:
        if ref.key:
            return (
                f"(SELECT e #>> {_pg_path([ref.key])} AS v"
                f" FROM jsonb_array_elements({self._array(ref)}) e)"
            )
        return f"(SELECT e AS v FROM jsonb_array_elements_text({self._array(ref)}) e)"

    def has_any(self, ref: Ref, values: Sequence[str]) -> Sql:
        if not ref.path and not ref.key:
            return Sql(
                f"jsonb_exists_any({ref.col}, ARRAY[{marks(len(values))}]::text[])", tuple(values)
            )
        return Sql(
            f"EXISTS (SELECT 1 FROM {self.elements(ref)} x WHERE v IN ({marks(len(values))}))",
            tuple(values),
        )

    def is_empty_array(self, ref: Ref) -> Sql:
        if not ref.path and not ref.key:
            return Sql(f"jsonb_array_length({ref.col}) = 0")
        return Sql(f"NOT EXISTS (SELECT 1 FROM {self.elements(ref)} x WHERE v IS NOT NULL)")

    def regex(self, expr: str, pattern: str, icase: bool) -> Sql:
        return Sql(f"({expr}) {'~*' if icase else '~'} ?", (pattern,))

    def order(self, expr: str, desc: bool) -> str:
        return f"{expr} DESC NULLS LAST" if desc else f"{expr} ASC NULLS LAST"


SQLITE_SQL = SqliteSql()
POSTGRES_SQL = PostgresSql()


def dialect_for(is_postgres: bool) -> SqlDialect:
    return POSTGRES_SQL if is_postgres else SQLITE_SQL
