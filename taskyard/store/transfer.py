"""Copy a whole installation between databases (SQLite ↔ PostgreSQL), verifying row counts.

The copy is generic over the catalog: every regular table the two schemas share is copied
column by column (the columns both have, minus generated ones), parents before children
(foreign keys), in primary-key order and in batches, from one consistent snapshot of the
source. Values are converted where the backends differ: integers ↔ booleans, and JSON, which
PostgreSQL hands back in its own spacing and is re-encoded compactly for SQLite.

The target must be migrated to the same schema as the source (it is migrated here if it is
new) and empty. At the end every table's row count is compared, serial sequences on a
PostgreSQL target are moved past the copied ids, full-text indexes are rebuilt, and a
PostgreSQL target is ANALYZEd so its planner knows the new data.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from taskyard.store import migrations
from taskyard.store.db import Database, pg_sql

# Runtime coordination state, meaningless in another database.
SKIPPED_TABLES = frozenset({"schema_migrations", "leases"})
_TRIGGER_INSERT = re.compile(r'\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+"?(\w+)"?', re.I)
BATCH = 5000

Progress = Callable[[str], None]


class TransferError(Exception):
    """A copy that cannot start or did not verify; the message is one line for the CLI."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "bool", "json" or "" (copied as is)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # primary key columns ((), when there is none)
    parents: frozenset[str]


class _Side:
    """A raw connection to one side of the copy, with the catalog queries we need."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        self.conn: Any
        if self.is_postgres:
            import psycopg
            from psycopg.types.string import TextLoader

            self.conn = psycopg.connect(url, autocommit=True)
            self.conn.adapters.register_loader("jsonb", TextLoader)
            self.conn.adapters.register_loader("json", TextLoader)
        else:
            path = Path(url.removeprefix("sqlite:///"))
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.is_postgres:
            rows: list[tuple[Any, ...]] = self.conn.execute(pg_sql(sql), params or None).fetchall()
            return rows
        result: list[tuple[Any, ...]] = self.conn.execute(sql, params).fetchall()
        return result

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.is_postgres:
            self.conn.execute(pg_sql(sql), params or None)
        else:
            self.conn.execute(sql, params)

    # -- catalog -----------------------------------------------------------------------
    def derived(self) -> set[str]:
        """Tables that triggers fill (search and metric indexes): rebuilt, never copied."""
        if self.is_postgres:
            bodies = self.query(
                "SELECT p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE NOT t.tgisinternal"
            )
        else:
            bodies = self.query("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
        return {m.group(1) for (body,) in bodies for m in _TRIGGER_INSERT.finditer(body or "")}

    def tables(self) -> dict[str, Table]:
        if self.is_postgres:
            names = [
                r[0]
                for r in self.query(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            ]
        else:
            rows = self.query("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            virtual = [n for n, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
            names = [
                n
                for n, _ in rows
                if not n.startswith("sqlite_")
                and n not in virtual
                and not any(n.startswith(v + "_") for v in virtual)  # FTS shadow tables
            ]
        return {n: self._table(n) for n in names if n not in SKIPPED_TABLES}

    def _table(self, name: str) -> Table:
        if self.is_postgres:
            cols = [
                Column(n, _pg_kind(t))
                for n, t, generated in self.query(
                    "SELECT column_name, data_type, is_generated FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = ? "
                    "ORDER BY ordinal_position",
                    (name,),
                )
                if generated != "ALWAYS"
            ]
            key = [
                r[0]
                for r in self.query(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                    "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                    "WHERE i.indrelid = to_regclass(?) AND i.indisprimary ORDER BY a.attnum",
                    (name,),
                )
            ]
            parents = {
                r[0]
                for r in self.query(
                    "SELECT DISTINCT ccu.table_name FROM information_schema.table_constraints tc "
                    "JOIN information_schema.constraint_column_usage ccu "
                    "ON tc.constraint_name = ccu.constraint_name "
                    "AND tc.constraint_schema = ccu.constraint_schema "
                    "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = ? "
                    "AND tc.table_schema = current_schema()",
                    (name,),
                )
            }
        else:
            info = self.query(f'PRAGMA table_xinfo("{name}")')
            # hidden: 0 normal, 1 hidden (virtual tables), 2/3 generated columns.
            cols = [Column(r[1], _sqlite_kind(str(r[2]))) for r in info if r[6] == 0]
            key = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
            parents = {r[2] for r in self.query(f'PRAGMA foreign_key_list("{name}")')}
        return Table(name, tuple(cols), tuple(key), frozenset(parents - {name}))

    def count(self, table: str) -> int:
        row = self.query(f'SELECT COUNT(*) FROM "{table}"')[0]
        return int(row[0])

    # -- snapshot reads ----------------------------------------------------------------
    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction, so the whole copy sees a single consistent state."""
        if self.is_postgres:
            self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        else:
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT COUNT(*) FROM sqlite_master")  # takes the read snapshot
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    def batches(self, table: Table, names: Sequence[str]) -> Iterator[list[tuple[Any, ...]]]:
        """All rows in primary-key order, `BATCH` at a time (keyset paging)."""
        cols = ", ".join(f'"{n}"' for n in names)
        if not table.key:
            yield self.query(f'SELECT {cols} FROM "{table.name}"')
            return
        key = ", ".join(f'"{k}"' for k in table.key)
        positions = [list(names).index(k) for k in table.key]
        after: tuple[Any, ...] | None = None
        while True:
            if after is None:
                rows = self.query(
                    f'SELECT {cols} FROM "{table.name}" ORDER BY {key} LIMIT ?', (BATCH,)
                )
            else:
                marks = ", ".join("?" for _ in after)
                rows = self.query(
                    f'SELECT {cols} FROM "{table.name}" WHERE ({key}) > ({marks}) '
                    f"ORDER BY {key} LIMIT ?",
                    (*after, BATCH),
                )
            if not rows:
                return
            yield rows
            if len(rows) < BATCH:
                return
            after = tuple(rows[-1][p] for p in positions)

    # -- writes ------------------------------------------------------------------------
    def insert(self, table: str, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{n}"' for n in names)
        if self.is_postgres:
            # COPY is several times faster than INSERT for bulk loads.
            with (
                self.conn.transaction(),
                self.conn.cursor() as cur,
                cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in names)
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def drop_secondary_indexes(self) -> list[str]:
        """PostgreSQL: drop the indexes that no constraint needs; return how to recreate them.

        Building an index once over the loaded rows is much faster than updating it per row
        (the full-text and GIN indexes especially).
        """
        if not self.is_postgres:
            return []
        rows = self.query(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(i.indexname))"
        )
        with self.conn.transaction():
            for name, _ in rows:
                self.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in rows]

    def create_indexes(self, definitions: Sequence[str]) -> None:
        for definition in definitions:
            self.execute(definition)

    def finish(self, tables: Sequence[Table]) -> None:
        """After loading: move sequences past the copied ids; rebuild indexes; ANALYZE."""
        if self.is_postgres:
            for table in tables:
                for (column,) in self.query(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = ? "
                    "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
                    (table.name,),
                ):
                    self.query(
                        f"SELECT setval(pg_get_serial_sequence(?, ?), "
                        f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) '
                        f'FROM "{table.name}"',
                        (table.name, column),
                    )
            self.conn.execute("ANALYZE")
            return
        for name, sql in self.query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'"
        ):
            # External-content full-text indexes read their table: rebuild them from it.
            # (Contentless ones, kept by triggers, were filled while the rows went in.)
            if re.search(r"content\s*=\s*'[^']+'", sql):
                self.conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
        self.conn.execute("ANALYZE")


def _pg_kind(data_type: str) -> str:
    if data_type == "boolean":
        return "bool"
    if data_type in ("json", "jsonb"):
        return "json"
    return ""


def _sqlite_kind(declared: str) -> str:
    return "bool" if declared.upper().startswith("BOOL") else ""


def _converter(source: Column, target: Column, to_postgres: bool) -> Callable[[Any], Any] | None:
    if target.kind == "bool" and source.kind != "bool":
        return lambda v: None if v is None else bool(v)
    if source.kind == "json" and not to_postgres:
        # jsonb renders with spaces after separators; store SQLite's JSON compactly.
        return lambda v: None if v is None else orjson.dumps(orjson.loads(v)).decode()
    return None


def _migrations_applied(side: _Side) -> list[str]:
    try:
        return [r[0] for r in side.query("SELECT name FROM schema_migrations ORDER BY name")]
    except Exception:
        raise TransferError(f"{_safe(side.url)} is not a taskyard database") from None


def _order(tables: dict[str, Table]) -> list[Table]:
    """Parents before children, so foreign keys hold at every insert."""
    done: list[Table] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name not in tables:
            return
        if name in path:
            raise TransferError(f"foreign-key cycle through {name}")
        for parent in sorted(tables[name].parents):
            visit(parent, (*path, name))
        seen.add(name)
        done.append(tables[name])

    for name in sorted(tables):
        visit(name, ())
    return done


def _safe(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, _, rest = url.partition("://")
        creds, _, host = rest.rpartition("@")
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url


def copy_database(source_url: str, target_url: str, log: Progress | None = None) -> dict[str, int]:
    """Copy every table from `source_url` into `target_url`; return {table: rows}."""
    say = log or (lambda _msg: None)
    if source_url == target_url:
        raise TransferError("source and target are the same database")
    if source_url.startswith("sqlite:///"):
        path = Path(source_url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise TransferError(f"no SQLite database at {path}")
    try:
        target_db = Database(target_url)
        try:
            applied = migrations.upgrade(target_db)
        finally:
            target_db.close()
        source, target = _Side(source_url), _Side(target_url)
    except TransferError:
        raise
    except Exception as exc:
        raise TransferError(f"cannot open database: {exc}") from None
    if applied:
        say(f"target schema created ({len(applied)} migration(s))")
    try:
        return _copy(source, target, say)
    finally:
        source.close()
        target.close()


def _copy(source: _Side, target: _Side, say: Progress) -> dict[str, int]:
    src_migrations, dst_migrations = _migrations_applied(source), _migrations_applied(target)
    if src_migrations != dst_migrations:
        missing = sorted(set(dst_migrations) - set(src_migrations))
        if missing:
            raise TransferError(
                f"the source schema is older than this taskyard (missing {', '.join(missing)}); "
                "run `taskyard db upgrade` on it first"
            )
        raise TransferError("the source schema is newer than this taskyard; upgrade taskyard")
    src_tables, dst_tables = source.tables(), target.tables()
    # Trigger-maintained tables refill themselves as their sources are copied.
    derived = target.derived()
    shared = {n: t for n, t in dst_tables.items() if n in src_tables and n not in derived}
    for name in sorted(shared):
        present = target.count(name)
        if present:
            raise TransferError(f"the target database is not empty ({name} has {present} rows)")
    ordered = _order(shared)
    started = time.monotonic()
    dropped = target.drop_secondary_indexes()
    try:
        expected = _load(source, target, ordered, src_tables, say)
    finally:
        if dropped:
            say(f"building {len(dropped)} indexes")
        target.create_indexes(dropped)
    target.finish(ordered)
    actual = {t.name: target.count(t.name) for t in ordered}
    wrong = {n: (expected[n], actual[n]) for n in expected if expected[n] != actual[n]}
    if wrong:
        detail = ", ".join(f"{n}: source {s}, target {t}" for n, (s, t) in sorted(wrong.items()))
        raise TransferError(f"row counts differ after the copy: {detail}")
    say(
        f"verified: {len(actual)} tables, {sum(actual.values())} rows, "
        f"row counts match ({time.monotonic() - started:.1f} s)"
    )
    return actual


def _load(
    source: _Side,
    target: _Side,
    ordered: Sequence[Table],
    src_tables: dict[str, Table],
    say: Progress,
) -> dict[str, int]:
    """Copy the rows of every table; return the source's row counts (same snapshot)."""
    with source.snapshot():
        for table in ordered:
            src_cols = {c.name: c for c in src_tables[table.name].columns}
            columns = [c for c in table.columns if c.name in src_cols]
            names = [c.name for c in columns]
            converters = [_converter(src_cols[c.name], c, target.is_postgres) for c in columns]
            total = source.count(table.name)
            done, last_report = 0, time.monotonic()
            for batch in source.batches(src_tables[table.name], names):
                rows = batch
                if any(converters):
                    rows = [
                        tuple(f(v) if f else v for f, v in zip(converters, row, strict=True))
                        for row in rows
                    ]
                target.insert(table.name, names, rows)
                done += len(rows)
                if time.monotonic() - last_report > 2 and done < total:
                    say(f"  {table.name}: {done}/{total} rows")
                    last_report = time.monotonic()
            say(f"copied {table.name}: {done} rows")
        return {t.name: source.count(t.name) for t in ordered}
