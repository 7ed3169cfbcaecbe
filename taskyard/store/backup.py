"""Online backups and restores.

* SQLite: the backup API copies the database from one read transaction, so the copy is a
  consistent snapshot even while the server keeps writing (WAL lets writers proceed meanwhile).
  The copy goes to a temporary file next to PATH, passes `PRAGMA integrity_check`, and only then
  replaces PATH, so a failed backup never destroys the previous one.
* PostgreSQL: `pg_dump --format=custom` (also one snapshot) when the client tools are installed;
  otherwise the database is copied into a SQLite file with `transfer.copy_database`, which reads
  from one REPEATABLE READ snapshot too. Either file restores into PostgreSQL.

A restore refuses to overwrite a database that holds data unless forced.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from taskyard.store import accounts, transfer
from taskyard.store.db import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables whose rows do not make a database "hold data" (written by any start of the server).
_BOOKKEEPING = frozenset({"schema_migrations", "leases", "job_runs"})

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message is one line for the CLI."""


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def file_format(path: Path) -> str:
    """'sqlite' or 'pg_dump', from the file's first bytes."""
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    raise BackupError(f"{path} is neither a taskyard SQLite backup nor a pg_dump archive")


def integrity_check(path: Path) -> str:
    """SQLite's own verdict on a database file: 'ok' or the problems found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "\n".join(str(r[0]) for r in rows)


def backup(db_url: str, path: Path, fmt: str = "auto", log: Log | None = None) -> str:
    """Write a consistent copy of the database to `path`; return the format used."""
    say = log or (lambda _msg: None)
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.unlink(missing_ok=True)
    if fmt == "auto":
        fmt = "pg_dump" if _is_postgres(db_url) and shutil.which("pg_dump") else "sqlite"
    try:
        if fmt == "pg_dump":
            _pg_dump(db_url, tmp)
        elif _is_postgres(db_url):
            say("pg_dump not used: copying into a SQLite file instead")
            transfer.copy_database(db_url, f"sqlite:///{tmp}", log=say)
            _check(tmp)
        else:
            _sqlite_backup(_sqlite_path(db_url), tmp)
            _check(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    say(f"backup written to {path} ({fmt}, {path.stat().st_size} bytes)")
    return fmt


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: everything in one step, i.e. from one read snapshot of the source.
        src.backup(dst, pages=-1)
        # A backup is a single file: leave it in rollback-journal mode, without a -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _check(path: Path) -> None:
    verdict = integrity_check(path)
    if verdict != "ok":
        raise BackupError(f"the backup failed its integrity check: {verdict.splitlines()[0]}")


def _pg_dump(db_url: str, target: Path) -> None:
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError(
            "pg_dump not found: install the PostgreSQL client tools (the server's major "
            "version or newer), or use --format sqlite"
        )
    _run([exe, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", db_url])


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["(no output)"]
        raise BackupError(f"{Path(argv[0]).name} failed: {lines[-1]}")


def holds_data(db_url: str) -> str | None:
    """The first table that has rows (None when the database is empty or does not exist)."""
    if not _is_postgres(db_url) and not _sqlite_path(db_url).is_file():
        return None
    side = transfer._Side(db_url)
    try:
        for name in sorted(side.tables()):
            if name not in _BOOKKEEPING and side.count(name):
                return name
    finally:
        side.close()
    return None


def restore(db_url: str, path: Path, force: bool = False, log: Log | None = None) -> None:
    """Put the backup at `path` into the database; refuse to overwrite data unless forced."""
    say = log or (lambda _msg: None)
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    fmt = file_format(path)
    if fmt == "sqlite":
        _check(path)
    try:
        table = holds_data(db_url)
    except Exception as exc:
        raise BackupError(f"cannot open database: {exc}") from None
    if table is not None and not force:
        raise BackupError(
            f"the database is not empty ({table} has rows); use --force to replace its content"
        )
    if fmt == "sqlite" and not _is_postgres(db_url):
        _sqlite_restore(path, _sqlite_path(db_url))
        _check(_sqlite_path(db_url))
        # Servers that kept running must not trust credentials they checked in the old content.
        accounts.forget_checked_credentials(Database(db_url))
    elif fmt == "pg_dump" and _is_postgres(db_url):
        exe = shutil.which("pg_restore")
        if exe is None:
            raise BackupError("pg_restore not found: install the PostgreSQL client tools")
        _run([exe, "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={db_url}", str(path)])  # fmt: skip
    elif fmt == "sqlite":
        # A SQLite-format backup of any installation restores into PostgreSQL by a copy.
        if table is not None:
            _clear_postgres(db_url)
        transfer.copy_database(f"sqlite:///{path.resolve()}", db_url, log=say)
    else:
        raise BackupError(
            "a pg_dump archive restores only into PostgreSQL; restore it there, then "
            "`taskyard db copy` it to SQLite"
        )
    say(f"restored {path} ({fmt})")


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # The backup API replaces the target's whole content in one transaction.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


def _clear_postgres(db_url: str) -> None:
    side = transfer._Side(db_url)
    try:
        names = [n for n in side.tables() if n not in ("schema_migrations",)]
        if names:
            side.execute(
                "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"
            )
    finally:
        side.close()
