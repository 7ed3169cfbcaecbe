"""Rows ↔ documents for the document tables (tasks, projects, models).

A document is the JSON object the API returns. Some of its top-level fields live in columns
(so SQL can filter and sort them); everything else lives in the `doc` JSON column. The column
set is declared once per table here, and every reader and writer goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from taskyard.domain.query.sql import marks
from taskyard.store.db import Tx

JSON_KINDS = frozenset({"json", "object"})  # column kinds stored as JSON text (jsonb)


@dataclass(frozen=True)
class Column:
    field: str  # the document key
    name: str  # the SQL column
    kind: str = "text"  # text | int | bool | json (an array) | object (a JSON object)

    @property
    def is_json(self) -> bool:
        return self.kind in JSON_KINDS

    @property
    def empty(self) -> Any:
        """What a JSON column holds for an absent field."""
        return {} if self.kind == "object" else []


@dataclass(frozen=True)
class Entity:
    table: str
    columns: tuple[Column, ...]
    # Fields a whole-document rewrite leaves as they are (they have writers of their own).
    kept_on_rewrite: frozenset[str] = frozenset({"id"})
    by_field: dict[str, Column] = field(default_factory=dict, compare=False)

    # derived from `columns`: what from_row reads (whole documents, or their columns only)
    select_list: str = field(init=False, compare=False)
    columns_select_list: str = field(init=False, compare=False)
    # (position, field) of the JSON and of the boolean columns, which from_row converts
    _json_at: tuple[tuple[int, str], ...] = field(init=False, compare=False)
    _bool_at: tuple[tuple[int, str], ...] = field(init=False, compare=False)
    _fields: tuple[str, ...] = field(init=False, compare=False)
    # get()'s statements by (number of ids, number of companies, with_doc)
    _get_sql: dict[tuple[int, int, bool], str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_field.update({c.field: c for c in self.columns})
        names = ", ".join(c.name for c in self.columns)
        object.__setattr__(self, "select_list", f"{names}, doc, rev")
        object.__setattr__(self, "columns_select_list", f"{names}, '{{}}', rev")
        at = list(enumerate(self.columns))
        object.__setattr__(self, "_json_at", tuple((i, c.field) for i, c in at if c.is_json))
        object.__setattr__(self, "_bool_at", tuple((i, c.field) for i, c in at if c.kind == "bool"))
        object.__setattr__(self, "_fields", tuple(c.field for c in self.columns))

    def to_row(self, document: dict[str, Any]) -> tuple[list[Any], str]:
        """Split a document into column values (in column order) and the doc JSON text."""
        rest = dict(document)
        values: list[Any] = []
        for col in self.columns:
            value = rest.pop(col.field, None)
            if col.is_json:
                value = orjson.dumps(value if value is not None else col.empty).decode()
            elif col.kind == "bool":
                value = bool(value)
            values.append(value)
        return values, orjson.dumps(rest).decode()

    def from_row(self, row: Sequence[Any]) -> tuple[dict[str, Any], int]:
        """Rebuild (document, rev) from a row selected with `select_list`."""
        n = len(self._fields)
        document: dict[str, Any] = orjson.loads(row[n])
        # NULL columns are absent fields, not nulls; the row goes on past them (doc, rev)
        fields = zip(self._fields, row, strict=False)
        document.update({f: v for f, v in fields if v is not None})
        for i, name in self._json_at:
            if row[i] is not None:
                document[name] = orjson.loads(row[i])
        for i, name in self._bool_at:
            if row[i] is not None:
                document[name] = bool(row[i])
        return document, int(row[n + 1])

    # -- generic statements ------------------------------------------------------------
    def insert(self, tx: Tx, document: dict[str, Any]) -> None:
        values, doc = self.to_row(document)
        names = [c.name for c in self.columns] + ["doc", "rev"]
        marks = [tx.dialect.json_param() if c.is_json else "?" for c in self.columns]
        marks += [tx.dialect.json_param(), "0"]
        tx.execute(
            f"INSERT INTO {self.table} ({', '.join(names)}) VALUES ({', '.join(marks)})",
            (*values, doc),
        )

    def save(self, tx: Tx, document: dict[str, Any], rev: int) -> bool:
        """Write a whole document back if nobody changed it since `rev` was read."""
        sets, params = self.rewrite(tx, document)
        count = tx.execute(
            f"UPDATE {self.table} SET {sets}, rev = rev + 1 WHERE id = ? AND rev = ?",
            (*params, document["id"], rev),
        )
        return count == 1

    def rewrite(self, tx: Tx, document: dict[str, Any]) -> tuple[str, list[Any]]:
        """The SET list (every column but `kept_on_rewrite`, and doc) and its parameters for a
        whole document."""
        values, doc = self.to_row(document)
        kept = self.kept_on_rewrite
        sets = [
            f"{c.name} = {tx.dialect.json_param() if c.is_json else '?'}"
            for c in self.columns
            if c.field not in kept
        ]
        sets.append(f"doc = {tx.dialect.json_param()}")
        params = [v for c, v in zip(self.columns, values, strict=True) if c.field not in kept]
        return ", ".join(sets), [*params, doc]

    def get(
        self, tx: Tx, ids: Iterable[str], companies: Sequence[str], *, with_doc: bool = True
    ) -> dict[str, tuple[dict[str, Any], int]]:
        """Documents by id, restricted to `companies`; {id: (document, rev)}. Without `with_doc`
        a document holds only the column fields (nothing of `doc` is read or decoded)."""
        id_list = list(dict.fromkeys(ids))
        if not id_list:
            return {}
        shape = (len(id_list), len(companies), with_doc)
        sql = self._get_sql.get(shape)
        if sql is None:  # the same few shapes every time: build each text once
            select_list = self.select_list if with_doc else self.columns_select_list
            sql = self._get_sql[shape] = (
                f"SELECT {select_list} FROM {self.table} WHERE id IN ({marks(shape[0])}) "
                f"AND company IN ({marks(shape[1])})"
            )
        out = {}
        for row in tx.query(sql, (*id_list, *companies)):
            document, rev = self.from_row(row)
            out[document["id"]] = (document, rev)
        return out

    def delete(self, tx: Tx, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return tx.execute(f"DELETE FROM {self.table} WHERE id IN ({marks(len(ids))})", tuple(ids))


def _cols(*spec: str) -> tuple[Column, ...]:
    out = []
    for item in spec:
        fld, _, kind = item.partition(":")
        name = "user_id" if fld == "user" else fld
        out.append(Column(fld, name, kind or "text"))
    return tuple(out)


TASKS = Entity(
    "tasks",
    _cols(
        "id",
        "company",
        "user",
        "name",
        "type",
        "status",
        "project",
        "parent",
        "comment",
        "created",
        "started",
        "completed",
        "published",
        "status_changed",
        "last_update",
        "last_change",
        "last_iteration:int",
        "tags:json",
        "system_tags:json",
        "last_metrics:object",
        "status_reason",
        "status_message",
        "last_changed_by",
    ),
    # last_metrics changes only through store/tasks.update_fields (events, reset), which keeps
    # the task_metrics rows in step with it.
    kept_on_rewrite=frozenset({"id", "last_metrics"}),
)
PROJECTS = Entity(
    "projects",
    _cols(
        "id",
        "company",
        "user",
        "name",
        "parent",
        "description",
        "created",
        "last_update",
        "tags:json",
        "system_tags:json",
    ),
)
MODELS = Entity(
    "models",
    _cols(
        "id",
        "company",
        "user",
        "name",
        "project",
        "task",
        "ready:bool",
        "uri",
        "framework",
        "created",
        "last_update",
        "tags:json",
        "system_tags:json",
    ),
)
