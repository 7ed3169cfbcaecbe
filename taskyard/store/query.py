"""Running compiled get_all queries: one SELECT for the page, one per join kind, time-bounded.

A user's regex can be catastrophic. SQLite: the registered regexp function gives up on one
value after a few ms, and a progress handler aborts the statement past a deadline. PostgreSQL:
the read runs in a transaction with `SET LOCAL statement_timeout`. Either way the caller gets
400/21, and the worker is free again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from taskyard import errors
from taskyard.domain import task_doc
from taskyard.domain.query import projection as proj
from taskyard.domain.query.compiler import CompiledQuery, compile_query
from taskyard.domain.query.fields import EntitySpec
from taskyard.domain.query.paging import encode_scroll
from taskyard.domain.query.sql import Sql, SqlDialect, dialect_for
from taskyard.store import search
from taskyard.store.db import POSTGRES, SQLITE, Database, Tx
from taskyard.store.entities import JSON_KINDS, MODELS, PROJECTS, TASKS, Entity
from taskyard.versions import Version

QUERY_TIMEOUT_S = 5.0
ENTITIES: dict[str, Entity] = {"tasks": TASKS, "projects": PROJECTS, "models": MODELS}
_FALLBACK_TEXT_COLUMNS = {"projects": ("name", "description"), "models": ("name",)}


def sql_dialect(db: Database) -> SqlDialect:
    return dialect_for(db.dialect.is_postgres)


def readable(tx: Tx, table: str, companies: tuple[str, ...]) -> tuple[str, ...]:
    """Drop the public company when it has no rows: `company = ?` keeps index order intact."""
    public = [c for c in companies if c == ""]
    if not public:
        return companies
    if tx.query_one(f"SELECT 1 FROM {table} WHERE company = '' LIMIT 1") is None:
        return tuple(c for c in companies if c != "")
    return companies


def column_page(
    entity: Entity, query: CompiledQuery, version: Version
) -> list[tuple[str, str]] | None:
    """The (field, kind) pairs of a list page that asks only for top-level column fields,
    which are then selected and rendered straight from their columns (no document, version
    adapter or projection pass); None when the page needs whole documents."""
    projection = query.projection
    if (
        projection.all_fields
        or projection.excludes
        or projection.joins
        or (entity is TASKS and version < task_doc.TAGS_MERGED_BELOW)
        or not all(len(p) == 1 and p[0] in entity.by_field for p in projection.includes)
    ):
        return None
    return [(p[0], entity.by_field[p[0]].kind) for p in projection.includes]


def _column_documents(
    fields: list[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """Documents from rows selected with `_select_list(entity, fields)`."""
    names = [name for name, _ in fields]
    decoded = [name for name, kind in fields if kind in JSON_KINDS]
    flags = [name for name, kind in fields if kind == "bool"]
    out = []
    for row in rows:
        # NULL columns are absent, not null (as in from_row)
        doc = {name: value for name, value in zip(names, row, strict=True) if value is not None}
        for name in decoded:
            if name in doc:
                doc[name] = orjson.loads(doc[name])
        for name in flags:
            if name in doc:
                doc[name] = bool(doc[name])
        out.append(doc)
    return out


def _select_list(entity: Entity, fields: list[tuple[str, str]] | None) -> str:
    """What a page reads: just the asked-for columns of a column page, else whole rows."""
    if fields is None:
        return ", ".join(f"{entity.table}.{c}" for c in entity.select_list.split(", "))
    return ", ".join(f"{entity.table}.{entity.by_field[name].name}" for name, _ in fields)


def build_select(
    query: CompiledQuery, is_postgres: bool, fields: list[tuple[str, str]] | None = None
) -> Sql:
    """The page's SELECT; `fields` (from `column_page`) narrows it to those columns."""
    entity = ENTITIES[query.spec.table]
    table = entity.table
    join, where, score = Sql(""), query.where, Sql("")
    if query.search is not None:
        if query.search.empty:
            where = Sql("1=0")
        elif table == "tasks" and query.order.natural and not is_postgres:
            # Matches come out of the FTS table in rowid (= natural) order: a page stops
            # after LIMIT matches instead of sorting them all.
            join = Sql(f"JOIN {search.FTS_TABLE} ON {search.FTS_TABLE}.rowid = tasks.rowid")
            cond = Sql(f"{search.FTS_TABLE} MATCH ?", (search.fts5_query(query.search),))
            where = Sql(f"({where.text}) AND ({cond.text})", where.params + cond.params)
        elif table == "tasks":
            join, cond, score = search.match(
                POSTGRES if is_postgres else SQLITE, query.search, query.order.text_score
            )
            where = Sql(f"({where.text}) AND ({cond.text})", where.params + cond.params)
        else:
            cond = search.fallback(table, _FALLBACK_TEXT_COLUMNS[table], query.search)
            where = Sql(f"({where.text}) AND ({cond.text})", where.params + cond.params)
            if query.order.text_score:
                score = Sql("0")
    order_items = []
    order_params: list[Any] = []
    items = query.order.items
    if query.order.natural and not is_postgres:
        # SQLite's natural order: the rowid (insertion order).
        items = (f"{search.FTS_TABLE}.rowid" if join.text else f"{table}.rowid",)
    for item in items:
        if "{score}" in item:
            order_items.append(item.replace("{score}", f"({score.text})"))
            order_params.extend(score.params)
        else:
            order_items.append(item)
    order_sql = " ORDER BY " + ", ".join(order_items)
    page = query.page
    window = " LIMIT ? OFFSET ?" if page.limit is not None else ""
    window_params = [page.limit, page.offset] if page.limit is not None else []
    if not is_postgres and not join.text and not query.order.natural and window:
        # Pick the page's rowids first: the sort then carries only rowids (often straight
        # from an index), and whole rows are read for the page alone.
        inner = f"SELECT {table}.rowid FROM {table} WHERE {where.text}{order_sql}{window}"
        text = (
            f"SELECT {_select_list(entity, fields)} FROM {table}"
            f" WHERE {table}.rowid IN ({inner}){order_sql}"
        )
        params = [*where.params, *order_params, *window_params, *order_params]
        return Sql(text, tuple(params))
    text = f"SELECT {_select_list(entity, fields)} FROM {table} {join.text} WHERE {where.text}"
    text += order_sql + window
    params = [*join.params, *where.params, *order_params, *window_params]
    return Sql(text, tuple(params))


def _uses_regex(sql: Sql) -> bool:
    return "regexp" in sql.text or ") ~" in sql.text


@contextmanager
def _bounded_sqlite(tx: Tx, timeout: float) -> Iterator[None]:
    conn: sqlite3.Connection = tx.conn  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 20000)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


def _fetch(db: Database, sql: Sql, regex: bool) -> list[tuple[Any, ...]]:
    if db.dialect.is_postgres:
        import psycopg

        try:
            if regex:
                with db.write() as tx:
                    tx.execute(f"SET LOCAL statement_timeout = {int(QUERY_TIMEOUT_S * 1000)}")
                    return tx.query(sql.text, sql.params)
            with db.read() as tx:
                return tx.query(sql.text, sql.params)
        except psycopg.errors.QueryCanceled:
            if regex:
                raise errors.invalid_regex_error("regular expression took too long") from None
            raise errors.internal_error("query took too long") from None
        except psycopg.errors.InvalidRegularExpression as exc:
            raise errors.invalid_regex_error(str(exc).strip()) from None
    with db.read() as tx:
        try:
            with _bounded_sqlite(tx, QUERY_TIMEOUT_S):
                return tx.query(sql.text, sql.params)
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if "interrupted" in message or "user-defined function" in message:
                if regex:
                    raise errors.invalid_regex_error("regular expression took too long") from None
                raise errors.internal_error("query took too long") from None
            if "fts5" in message:
                raise errors.fields_value_error("unsupported search text") from None
            raise


def get_all(
    db: Database,
    spec: EntitySpec,
    data: dict[str, Any],
    version: Version,
    companies: tuple[str, ...],
    *,
    joins: bool = False,
    extra: Sql | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Compile and run a get_all request: the projected page and the next scroll id."""
    with db.read() as tx:
        companies = readable(tx, spec.table, companies)
    query = compile_query(spec, data, version, sql_dialect(db), companies, joins=joins, extra=extra)
    return run(db, query, version, companies)


def run(
    db: Database,
    query: CompiledQuery,
    version: Version,
    companies: tuple[str, ...],
) -> tuple[list[dict[str, Any]], str | None]:
    """The projected documents of the page, and the next scroll id when scrolling."""
    entity = ENTITIES[query.spec.table]
    fields = column_page(entity, query, version)
    sql = build_select(query, db.dialect.is_postgres, fields)
    rows = _fetch(db, sql, _uses_regex(sql))
    if fields is not None:
        out = _column_documents(fields, rows)
    else:
        docs = [entity.from_row(row)[0] for row in rows]
        if entity is TASKS:
            docs = [task_doc.for_version(d, version) for d in docs]
        out = [proj.apply(query.spec, query.projection, d) for d in docs]
    if query.projection.joins:
        with db.read() as tx:
            join_references(tx, query.spec, query.projection.joins, out, companies)
    scroll = None
    if query.page.scroll:
        scroll = encode_scroll(query.page.offset + len(out))
    return out, scroll


# -- get_all_ex joins ----------------------------------------------------------------------------


def _ids_at(doc: Any, parts: list[str]) -> Iterator[tuple[Any, str]]:
    """(container, key) pairs where a reference id sits along `parts` (lists map over items)."""
    if isinstance(doc, list):
        for item in doc:
            yield from _ids_at(item, parts)
        return
    if not isinstance(doc, dict) or parts[0] not in doc:
        return
    if len(parts) == 1:
        if isinstance(doc[parts[0]], str):
            yield doc, parts[0]
        return
    yield from _ids_at(doc[parts[0]], parts[1:])


def _lookup(
    tx: Tx, target: str, ids: list[str], fields: tuple[str, ...], companies: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    if target in ("users", "companies"):
        rows = tx.query(
            f"SELECT id, name FROM {target} WHERE id IN ({', '.join('?' * len(ids))})",
            tuple(ids),
        )
        return {r[0]: {"id": r[0], "name": r[1]} for r in rows}
    entity = ENTITIES.get(target)
    if entity is None:
        return {}
    docs = entity.get(tx, ids, companies)
    from taskyard.domain.query.fields import MODEL, PROJECT, TASK

    spec = {"tasks": TASK, "projects": PROJECT, "models": MODEL}[target]
    projection = proj.Projection(tuple(tuple(f.split(".")) for f in ("id", *fields)), (), False)
    return {i: proj.apply(spec, projection, d) for i, (d, _) in docs.items()}


def join_references(
    tx: Tx,
    spec: EntitySpec,
    joins: dict[str, tuple[str, ...]],
    docs: list[dict[str, Any]],
    companies: tuple[str, ...],
) -> None:
    targets = {r.path: r.target for r in spec.references}
    for path, fields in joins.items():
        parts = path.split(".")
        spots = [spot for doc in docs for spot in _ids_at(doc, parts)]
        ids = sorted({container[key] for container, key in spots})
        found = _lookup(tx, targets[path], ids, fields, companies) if ids else {}
        for container, key in spots:
            ref_id = container[key]
            container[key] = found.get(ref_id, {"id": ref_id})
