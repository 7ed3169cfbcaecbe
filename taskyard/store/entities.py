"""Rows ↔ documents for the document tables (tasks, projects, models).

A document is the JSON object the API returns. Some of its top-level fields have columns (so
SQL can filter and sort them); the rest lives in the `doc` JSON column. A table declares which
column fields are *column-only*: their value is in the column alone. Any other column is a copy
of a field that `doc` also holds, and every write sets both (`assignments`). A task's `doc` is
its whole document but the dozen fields that status changes, reports and heartbeats rewrite:
get_by_id reads one JSON text and a few columns and sends them spliced, without decoding. The
column set is declared once per table here, and every reader and writer goes through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from taskyard.domain.query.sql import marks
from taskyard.store.db import POSTGRES, SQLITE, Dialect, Tx

JSON_KINDS = frozenset({"json", "object"})  # column kinds stored as JSON text (jsonb)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # a top-level key SQL may name in a JSON path


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


_Read = Callable[[Sequence[Any]], tuple[dict[str, Any], int]]  # a row → (document, rev)


@dataclass(frozen=True)
class _RowReader:
    """Fields from the leading values of a row (one per column, in order); NULL is absent."""

    fields: tuple[str, ...]
    json_at: tuple[tuple[int, str], ...]  # (position, field) of the JSON columns
    bool_at: tuple[tuple[int, str], ...]

    @classmethod
    def of(cls, columns: Sequence[Column]) -> _RowReader:
        at = list(enumerate(columns))
        return cls(
            tuple(c.field for c in columns),
            tuple((i, c.field) for i, c in at if c.is_json),
            tuple((i, c.field) for i, c in at if c.kind == "bool"),
        )

    def values(self, row: Sequence[Any]) -> dict[str, Any]:
        """{field: value}, JSON decoded."""
        out = {f: v for f, v in zip(self.fields, row, strict=False) if v is not None}
        for i, name in self.json_at:
            if row[i] is not None:
                out[name] = orjson.loads(row[i])
        for i, name in self.bool_at:
            if row[i] is not None:
                out[name] = bool(row[i])
        return out


@dataclass(frozen=True)
class Entity:
    table: str
    columns: tuple[Column, ...]
    # Fields a whole-document rewrite leaves as they are (they have writers of their own).
    kept_on_rewrite: frozenset[str] = frozenset({"id"})
    # Fields whose value is in their column alone; None: every column field. Every other field
    # is in `doc`, its column (if any) a copy.
    column_only: frozenset[str] | None = None
    # Backends whose table keeps get_text()'s members in a `members` column (m0015)
    stored_members: frozenset[str] = frozenset()
    by_field: dict[str, Column] = field(default_factory=dict, compare=False)

    # derived from `columns`: what from_row reads
    select_list: str = field(init=False, compare=False)
    # the column-only columns, in the order select_list reads them (before doc and rev)
    _only: tuple[Column, ...] = field(init=False, compare=False)
    _only_fields: frozenset[str] = field(init=False, compare=False)
    _copies: tuple[Column, ...] = field(init=False, compare=False)  # columns `doc` also holds
    _only_reader: _RowReader = field(init=False, compare=False)
    # get()'s statements by (number of ids, number of companies, select list)
    _get_sql: dict[tuple[int, int, str], str] = field(default_factory=dict, compare=False)
    # get_text()'s select list by dialect name
    _text_lists: dict[str, str] = field(init=False, compare=False)
    # get(with_doc=False): the select list and row reader of the column fields alone
    _columns_view: tuple[str, _Read] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        self.by_field.update({c.field: c for c in self.columns})
        only = tuple(
            c for c in self.columns if self.column_only is None or c.field in self.column_only
        )
        object.__setattr__(self, "_only", only)
        object.__setattr__(self, "_only_fields", frozenset(c.field for c in only))
        object.__setattr__(self, "_copies", tuple(c for c in self.columns if c not in only))
        object.__setattr__(self, "_only_reader", _RowReader.of(only))
        object.__setattr__(self, "select_list", ", ".join([*(c.name for c in only), "doc, rev"]))
        object.__setattr__(self, "_columns_view", self._view_of(self.columns))
        text_lists = {
            d.name: f"doc, {'members' if d.name in self.stored_members else self.members_sql(d)}"
            for d in (SQLITE, POSTGRES)
        }
        object.__setattr__(self, "_text_lists", text_lists)

    def in_doc(self, name: str) -> bool:
        """Whether `doc` holds this top-level field (when it has a value)."""
        return name not in self._only_fields

    @classmethod
    def _column_value(cls, col: Column, value: Any) -> Any:
        """A field's value as its column stores it (JSON as text)."""
        held = cls._doc_value(col, value)
        return orjson.dumps(held).decode() if col.is_json else held

    @staticmethod
    def _doc_value(col: Column | None, value: Any) -> Any:
        """A field's value as `doc` holds it: as its column reads back (None: absent)."""
        if col is None:
            return value
        if col.is_json:
            return value if value is not None else col.empty
        if col.kind == "bool":
            return bool(value)
        return value

    def to_row(self, document: dict[str, Any]) -> tuple[list[Any], str]:
        """Split a document into column values (in column order) and the doc JSON text."""
        values = [self._column_value(c, document.get(c.field)) for c in self.columns]
        only = self._only_fields
        held = {name: value for name, value in document.items() if name not in only}
        for col in self._copies:  # as the column reads back: None is absent, or empty JSON
            value = self._doc_value(col, held.get(col.field))
            if value is not None:
                held[col.field] = value
            else:
                held.pop(col.field, None)
        return values, orjson.dumps(held).decode()

    def from_row(self, row: Sequence[Any]) -> tuple[dict[str, Any], int]:
        """Rebuild (document, rev) from a row selected with `select_list`."""
        n = len(self._only)
        document: dict[str, Any] = orjson.loads(row[n])
        document.update(self._only_reader.values(row))
        return document, int(row[n + 1])

    def assignments(
        self, dialect: Dialect, sets: dict[str, Any], unset: Iterable[str] = ()
    ) -> tuple[list[str], list[Any]]:
        """The SET items (and their parameters) that write the given top-level fields and
        remove the `unset` ones: their columns, and `doc` for the fields it holds."""
        assigns: list[str] = []
        params: list[Any] = []
        doc_sets: dict[str, Any] = {}
        doc_unset: list[str] = []
        for name, value in sets.items():
            col = self.by_field.get(name)
            if col is not None:
                assigns.append(f"{col.name} = {dialect.json_param() if col.is_json else '?'}")
                params.append(self._column_value(col, value))
            if self.in_doc(name):
                held = self._doc_value(col, value)
                if held is None and col is not None:
                    doc_unset.append(name)
                else:
                    doc_sets[name] = held
        for name in unset:
            col = self.by_field.get(name)
            if col is not None:
                assigns.append(f"{col.name} = NULL")
            if self.in_doc(name):
                doc_unset.append(name)
        if doc_sets or doc_unset:
            expr, doc_params = _doc_expr(dialect, doc_sets, doc_unset)
            assigns.append(f"doc = {expr}")
            params.extend(doc_params)
        return assigns, params

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
        self,
        tx: Tx,
        ids: Iterable[str],
        companies: Sequence[str],
        *,
        with_doc: bool = True,
    ) -> dict[str, tuple[dict[str, Any], int]]:
        """Documents by id, restricted to `companies`; {id: (document, rev)}. Without `with_doc`
        a document holds only the column fields (nothing of `doc` is read or decoded)."""
        id_list = list(dict.fromkeys(ids))
        if not id_list:
            return {}
        select_list, read = (self.select_list, self.from_row) if with_doc else self._columns_view
        sql = self._get_statement(len(id_list), len(companies), select_list)
        out = {}
        for row in tx.query(sql, (*id_list, *companies)):
            document, rev = read(row)
            out[document["id"]] = (document, rev)
        return out

    def get_text(self, tx: Tx, entity_id: str, companies: Sequence[str]) -> str | None:
        """The JSON text of a document by id, restricted to `companies`: the text of `doc` with
        the column-only fields that have a value spliced in, as the database writes them (none
        of their values becomes a Python object, nothing is decoded). Where the table keeps
        that text in the row (`stored_members`), it is read as it is."""
        select_list = self._text_lists[tx.dialect.name]
        row = tx.query_one(
            self._get_statement(1, len(companies), select_list), (entity_id, *companies)
        )
        return None if row is None else _with_members(row[0], row[1])

    def members_sql(self, dialect: Dialect) -> str:
        """SQL for the JSON text `,"field":value` of each column-only field that is not NULL, in
        column order ('' when all are NULL): what `get_text` appends to `doc`. The SQLite tasks
        table stores the same text (m0015; tests/store/test_migrations.py checks they agree)."""
        parts = []
        for col in self._only:
            assert _KEY.match(col.field), col.field  # it goes into an SQL string literal
            if col.kind == "bool":
                value = f"CASE WHEN {col.name} THEN 'true' ELSE 'false' END"
            elif col.is_json or col.kind == "int":
                value = dialect.as_text(col.name)
            else:
                value = dialect.json_quoted(col.name)
            member = f"',\"{col.field}\":' || {value}"
            parts.append(f"CASE WHEN {col.name} IS NULL THEN '' ELSE {member} END")
        return " || ".join(parts) or "''"

    @staticmethod
    def _view_of(columns: Sequence[Column]) -> tuple[str, _Read]:
        """A select list of these columns (the id first) and rev, and its row reader."""
        ordered = sorted(columns, key=lambda c: c.field != "id")
        reader, n = _RowReader.of(ordered), len(ordered)

        def read(row: Sequence[Any]) -> tuple[dict[str, Any], int]:
            return reader.values(row), int(row[n])

        return ", ".join([*(c.name for c in ordered), "rev"]), read

    def _get_statement(self, n_ids: int, n_companies: int, select_list: str) -> str:
        shape = (n_ids, n_companies, select_list)
        sql = self._get_sql.get(shape)
        if sql is None:  # the same few shapes every time: build each text once
            sql = self._get_sql[shape] = (
                f"SELECT {select_list} FROM {self.table} WHERE id IN ({marks(n_ids)}) "
                f"AND company IN ({marks(n_companies)})"
            )
        return sql

    def delete(self, tx: Tx, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return tx.execute(f"DELETE FROM {self.table} WHERE id IN ({marks(len(ids))})", tuple(ids))


def _doc_expr(
    dialect: Dialect, sets: dict[str, Any], unset: Sequence[str]
) -> tuple[str, list[Any]]:
    """SQL for `doc` with top-level keys replaced (whole values) and others removed."""
    params: list[Any] = []
    expr = "doc"
    for key in [*sets, *unset]:
        if not _KEY.match(key):
            raise ValueError(f"unsupported document key {key!r}")
    if dialect.is_postgres:
        if sets:
            expr = f"({expr} || ?::jsonb)"
            params.append(orjson.dumps(sets).decode())
        for key in unset:
            expr = f"({expr} - ?::text)"
            params.append(key)
        return expr, params
    if sets:
        parts = []
        for key, value in sets.items():
            parts.append(f"'$.{key}', json(?)")
            params.append(orjson.dumps(value).decode())
        expr = f"json_set({expr}, {', '.join(parts)})"
    if unset:
        paths = ", ".join(f"'$.{key}'" for key in unset)  # keys checked against _KEY above
        expr = f"json_remove({expr}, {paths})"
    return expr, params


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
    # last_metrics changes only through store/tasks.py (record_progress for events batches,
    # update_fields for reset), which keeps the task_metrics rows in step with it.
    kept_on_rewrite=frozenset({"id", "last_metrics"}),
    # What status changes, events batches and heartbeats rewrite stays out of `doc` (m0013):
    # copying it there would re-encode the document (and re-check its full-text entry) on each
    # of those writes.
    column_only=frozenset(
        {
            *("status", "status_reason", "status_message", "status_changed", "last_change"),
            *("last_changed_by", "started", "completed", "published"),
            *("last_update", "last_iteration", "last_metrics"),
        }
    ),
    stored_members=frozenset({SQLITE.name}),
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


def _with_members(doc: str, members: str) -> str:
    """The JSON object text `doc` with `members` (`,"key":value`...) added at its end."""
    if not members:
        return doc
    body = doc.rstrip()[:-1].rstrip()
    if body == "{":
        return "{" + members[1:] + "}"
    return body + members + "}"
