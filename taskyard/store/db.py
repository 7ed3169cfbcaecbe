"""A thin database layer over sqlite3 and psycopg 3.

SQL is written once with `?` placeholders; the PostgreSQL side rewrites them to `%s`. JSON is
stored as text on SQLite and as jsonb on PostgreSQL, and always read back as text, so callers
decode uniformly with orjson. Each process holds one connection per `Database`: handlers are
short synchronous calls on the event loop thread, so SQLite gets exactly one writer path per
process (BEGIN IMMEDIATE + busy timeout across processes) and PostgreSQL one session.

Group commit (SQLite): while the API runs a synchronous handler it sets `DEFER_COMMIT`; that
handler's `write()` blocks then end with a RELEASE of their own savepoint instead of a COMMIT,
and the open transaction is committed once, by a callback that runs once a turn of the event
loop has passed in which no further write joined (at most `QUIET_TURNS_MAX` turns after the
first). Each request waits for that commit (`settle()`) before it answers, so nothing is
acknowledged before it is durable, while a COMMIT — about half the cost of a small write — is
shared by the concurrent requests. Waiting for a quiet turn, rather than committing after the
turn the first write came in, lets the requests of clients that were still sending join: with
8 clients the writes per COMMIT went from 2.9 to 7.9 (bench/results).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

Params = Sequence[Any]
Row = tuple[Any, ...]


class Tx(Protocol):
    """A transaction (or an autocommit read scope)."""

    dialect: Dialect

    def execute(self, sql: str, params: Params = ()) -> int: ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    def query_one(self, sql: str, params: Params = ()) -> Row | None: ...


@dataclass(frozen=True)
class Dialect:
    """What differs between the two backends in the SQL we write."""

    name: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"

    def json_text(self, column: str, path: Sequence[str]) -> str:
        """SQL for the scalar at `path` inside JSON `column`, as text (NULL when absent)."""
        if self.is_postgres:
            return f"({column} #>> '{{{','.join(_pg_path_part(p) for p in path)}}}')"
        return f"json_extract({column}, '{_sqlite_path(path)}')"

    def json_value(self, column: str, path: Sequence[str]) -> str:
        """SQL for the value at `path`, typed where the backend can (numbers stay numbers)."""
        if self.is_postgres:
            return f"({column} #> '{{{','.join(_pg_path_part(p) for p in path)}}}')"
        return f"json_extract({column}, '{_sqlite_path(path)}')"

    def json_quoted(self, expr: str) -> str:
        """SQL for the JSON text of a text value (a quoted, escaped JSON string)."""
        return f"to_json({expr})::text" if self.is_postgres else f"json_quote({expr})"

    def as_text(self, expr: str) -> str:
        """SQL for a number's or a JSON value's text, ready to concatenate."""
        return f"({expr})::text" if self.is_postgres else expr

    def json_param(self) -> str:
        """Placeholder for a JSON-text parameter written into a JSON column."""
        return "?::jsonb" if self.is_postgres else "?"

    @property
    def json_type(self) -> str:
        return "JSONB" if self.is_postgres else "TEXT"


def _pg_path_part(part: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_\-]+", part):
        return part
    return '"' + part.replace("\\", "\\\\").replace('"', '\\"').replace("'", "''") + '"'


def _sqlite_path(path: Sequence[str]) -> str:
    out = "$"
    for part in path:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += "." + part
        else:
            out += '."' + part.replace('"', '""').replace("'", "''") + '"'
    return out


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgresql")

_QMARK = re.compile(r"\?")

# Set by the API while a synchronous handler runs: its writes may share one COMMIT.
DEFER_COMMIT: ContextVar[bool] = ContextVar("DEFER_COMMIT", default=False)
_JOINED: ContextVar[_CommitGroup | None] = ContextVar("_JOINED", default=None)
# One savepoint name for every write: the same SQL text each time stays in the statement cache
# (a numbered name was compiled anew per write), and RELEASE / ROLLBACK TO a repeated name
# act on the innermost one, so nested writes still unwind in order.
_SAVEPOINT = "w"
# How many loop turns a COMMIT may be put off while writes keep joining its group: bounds the
# wait of the group's first request (and how long the write lock is held) under steady load.
QUIET_TURNS_MAX = 4


class CommitFailed(Exception):
    """The shared COMMIT (or the transaction under it) failed: the request's writes are lost."""


class _CommitGroup:
    """The open SQLite transaction of a few event-loop turns and the requests waiting on it."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.error: BaseException | None = None
        self.writes = 0  # writes that joined the group
        self.writes_seen = 0  # of them, those already joined at the last look
        self.turns = 0  # turns the COMMIT has been put off

    def finish(self, error: BaseException | None) -> None:
        self.error = error
        self.done.set()


class Database:
    """Opens connections on demand, one per thread, and hands out transactions."""

    dialect: Dialect

    def __init__(self, url: str, durability: str = "normal") -> None:
        self.url = url
        self.durability = durability  # "normal" or "full" (docs/durability.md)
        self._local = threading.local()
        self.commits = 0  # SQLite COMMITs so far (the WAL checkpointer watches it)
        if url.startswith(("postgresql://", "postgres://")):
            self.dialect = POSTGRES
        elif url.startswith("sqlite:///"):
            self.dialect = SQLITE
            self.path = Path(url.removeprefix("sqlite:///"))
        else:
            raise ValueError(f"unsupported database URL {url!r} (sqlite:///PATH or postgresql://…)")

    # -- connections -------------------------------------------------------------------
    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def _open(self) -> Any:
        if self.dialect.is_postgres:
            return _open_postgres(self.url, self.durability)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return _open_sqlite(self.path, self.durability)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.read_turn = None
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- transactions ------------------------------------------------------------------
    def read(self) -> _ReadScope:
        """Reads of the latest committed state (SQLite, on the loop: as of this loop turn)."""
        conn = self._connection()
        if self.dialect.is_postgres:
            return _ReadScope(_PgTx(conn, self.dialect))
        if not conn.in_transaction:
            self._begin_read_turn(conn)
        return _ReadScope(_SqliteTx(conn, self.dialect))

    def _begin_read_turn(self, conn: sqlite3.Connection) -> None:
        """On the event loop's thread, the reads of one loop turn share one read transaction.

        An autocommit read takes and drops a WAL read lock: two fcntl calls, ~10 µs of system
        time per get on the live server; the requests of a turn now share one pair. A request
        read off its socket after the snapshot was taken runs after the callback that ends it
        (the loop runs callbacks in the order they were scheduled), so a write acknowledged
        before a client sent its request is always seen. Off the loop (CLI, worker threads)
        reads stay autocommit."""
        loop = asyncio._get_running_loop()
        if loop is None:
            return
        conn.execute("BEGIN")
        turn = self._local.read_turn = object()
        loop.call_soon(self._end_read_turn, turn)

    def _end_read_turn(self, turn: object | None = None) -> None:
        """End the open read transaction (only if it is `turn`'s, when given)."""
        current = getattr(self._local, "read_turn", None)
        if current is None or (turn is not None and current is not turn):
            return  # ended already: by a write, by close(), or a later turn's
        self._local.read_turn = None
        conn = self._local.conn
        if conn.in_transaction:
            conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One atomic transaction; rolled back if the block raises."""
        conn = self._connection()
        if self.dialect.is_postgres:
            with conn.transaction():
                yield _PgTx(conn, self.dialect)
            return
        group: _CommitGroup | None = getattr(self._local, "group", None)
        # Alone in the transaction, a failure rolls it all back; joining others' writes, a
        # savepoint keeps theirs.
        savepoint = None
        if group is None:
            self._end_read_turn()
            conn.execute("BEGIN IMMEDIATE")
        else:
            savepoint = _SAVEPOINT
            conn.execute(f"SAVEPOINT {savepoint}")
        try:
            yield _SqliteTx(conn, self.dialect)
        except BaseException:
            if conn.in_transaction and savepoint is None:
                conn.execute("ROLLBACK")
            elif conn.in_transaction:
                conn.execute(f"ROLLBACK TO {savepoint}")
                conn.execute(f"RELEASE {savepoint}")
            elif group is not None:  # SQLite rolled the whole transaction back (I/O error…)
                self._local.group = None
                group.finish(CommitFailed("the transaction was rolled back"))
            raise
        if savepoint is not None:
            conn.execute(f"RELEASE {savepoint}")
        if not DEFER_COMMIT.get():
            self._commit(group)
            return
        if group is None:
            group = self._local.group = _CommitGroup()
            asyncio.get_running_loop().call_soon(self._commit_when_quiet, group)
        group.writes += 1
        _JOINED.set(group)

    def _commit_when_quiet(self, group: _CommitGroup) -> None:
        """COMMIT `group` once a loop turn has passed in which no write joined it."""
        if getattr(self._local, "group", None) is not group:
            return  # already committed by an immediate write
        if group.writes != group.writes_seen and group.turns < QUIET_TURNS_MAX:
            group.writes_seen = group.writes
            group.turns += 1
            asyncio.get_running_loop().call_soon(self._commit_when_quiet, group)
            return
        self._commit(group)

    def _commit(self, group: _CommitGroup | None) -> None:
        """COMMIT the open transaction (if `group` is still the open one)."""
        if group is not None and getattr(self._local, "group", None) is not group:
            return  # already committed by an immediate write
        self._local.group = None
        conn = self._connection()
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")
        except Exception as exc:  # waiters must never hang on a group that cannot finish
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if group is None:
                raise
            group.finish(CommitFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.commits += 1
        if group is not None:
            group.finish(None)

    async def settle(self) -> None:
        """Wait until the writes of this request (if any) are committed; CommitFailed if not."""
        group = _JOINED.get() or getattr(self._local, "group", None)
        if group is None:
            return
        _JOINED.set(None)
        await group.done.wait()
        if group.error is not None:
            raise group.error


def _open_sqlite(path: Path, durability: str = "normal") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode never corrupts; a power loss may drop the last commits. FULL also syncs
    # the WAL at every commit: nothing acknowledged is lost, at some speed (docs/durability.md).
    conn.execute("PRAGMA synchronous=FULL" if durability == "full" else "PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-65536")
    # Reads through a memory map of up to 2 GiB (this SQLite's build maximum): at a million
    # tasks the random row and metric lookups of a page cost a third less than through read().
    conn.execute("PRAGMA mmap_size=2147418112")
    conn.execute("PRAGMA temp_store=MEMORY")
    from taskyard.store import sqlfuncs

    sqlfuncs.register(conn)
    return conn


def _open_postgres(url: str, durability: str = "normal") -> Any:
    import psycopg
    from psycopg.types.string import TextLoader

    conn = psycopg.connect(url, autocommit=True)
    # Read JSON back as text so both backends decode the same way (orjson).
    conn.adapters.register_loader("jsonb", TextLoader)
    conn.adapters.register_loader("json", TextLoader)
    if durability == "full":
        # Whatever the server's configuration, wait for the WAL flush before acknowledging.
        conn.execute("SET synchronous_commit = on")
    return conn


class _ReadScope:
    """`with db.read() as tx`: nothing to begin or end (a class: cheaper than a generator)."""

    __slots__ = ("tx",)

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def __enter__(self) -> Tx:
        return self.tx

    def __exit__(self, *exc: object) -> None:
        return None


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self.conn.executemany(sql, rows)

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row


# Rows per statement of `insert_rows`: one INSERT of several rows costs less than a statement
# per row (executemany: 5 events went from 25.7 to 22.8 µs), and any number of rows then needs
# only this many statement texts in the statement cache.
ROWS_PER_INSERT = 8


def insert_rows(
    tx: Tx, into: str, row_marks: str, rows: Sequence[Params], on_conflict: str = ""
) -> None:
    """`INSERT INTO {into} VALUES {row_marks}, … {on_conflict}` of `rows`, several per statement.

    One statement may not hit a key twice (PostgreSQL's ON CONFLICT refuses it): callers
    give distinct keys."""
    whole, rest = divmod(len(rows), ROWS_PER_INSERT)
    if whole:
        chunks = [
            tuple(itertools.chain.from_iterable(rows[i : i + ROWS_PER_INSERT]))
            for i in range(0, whole * ROWS_PER_INSERT, ROWS_PER_INSERT)
        ]
        tx.executemany(_insert_sql(into, row_marks, ROWS_PER_INSERT, on_conflict), chunks)
    if rest:
        tail = tuple(itertools.chain.from_iterable(rows[whole * ROWS_PER_INSERT :]))
        tx.execute(_insert_sql(into, row_marks, rest, on_conflict), tail)


@functools.lru_cache(maxsize=64)
def _insert_sql(into: str, row_marks: str, count: int, on_conflict: str) -> str:
    values = ", ".join([f"({row_marks})"] * count)
    return f"INSERT INTO {into} VALUES {values}{' ' + on_conflict if on_conflict else ''}"


_PG_SQL_CACHE: dict[str, str] = {}


def pg_sql(sql: str) -> str:
    """Rewrite `?` placeholders to psycopg's `%s` (escaping literal percent signs)."""
    out = _PG_SQL_CACHE.get(sql)
    if out is None:
        out = _QMARK.sub("%s", sql.replace("%", "%%"))
        _PG_SQL_CACHE[sql] = out
    return out


class _PgTx:
    def __init__(self, conn: Any, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> int:
        cur = self.conn.execute(pg_sql(sql), params or None)
        return int(cur.rowcount)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(pg_sql(sql), rows)

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        rows: list[Row] = self.conn.execute(pg_sql(sql), params or None).fetchall()
        return rows

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(pg_sql(sql), params or None).fetchone()
        return row
