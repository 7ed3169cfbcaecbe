"""WAL checkpoints off the request path (SQLite): the loop's connection leaves them to a
thread, which copies committed pages into the database file without waiting for the writer."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskyard.store import checkpoint, migrations
from taskyard.store.db import Database
from tests.procserver import ServeProcess
from tests.support import ApiClient, new_account

PAGE = 4096


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'c.db'}"


@pytest.fixture
def writer(url: str) -> Iterator[Database]:
    db = Database(url)
    with db.write() as tx:
        tx.execute("CREATE TABLE t (v BLOB)")
    yield db
    db.close()


def count_in_database_file(
    db_file: Path, scratch: Path, sql: str, params: tuple[str, ...] = ()
) -> int:
    """`sql` (a count) on the database file alone, as after a power loss that lost the WAL;
    0 when its table is not in the file yet (or the copy caught a checkpoint mid-write)."""
    scratch.mkdir(exist_ok=True)
    copy = scratch / "alone.db"
    shutil.copyfile(db_file, copy)
    conn = sqlite3.connect(copy)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    except sqlite3.DatabaseError:
        return 0
    finally:
        conn.close()


ROWS = "SELECT count(*) FROM t"


def test_handed_off_commits_wait_in_the_wal_for_the_checkpointer(
    url: str, writer: Database, tmp_path: Path
) -> None:
    checkpoint.hand_off(writer)
    for _ in range(300):  # ~1,500 pages: past SQLite's own threshold of 1,000
        with writer.write() as tx:
            tx.executemany("INSERT INTO t VALUES (?)", [(b"x" * PAGE,)] * 5)
    db_file = Path(url.removeprefix("sqlite:///"))
    # The writer did not checkpoint: the database file alone still has none of the rows.
    assert count_in_database_file(db_file, tmp_path / "before", ROWS) == 0

    checkpointer = checkpoint.Checkpointer(url, "normal")
    try:
        done = checkpointer.run()
    finally:
        checkpointer.close()
    assert not done.busy
    assert done.copied_pages == done.wal_pages > 1000
    assert count_in_database_file(db_file, tmp_path / "after", ROWS) == 1500


def test_without_the_hand_off_the_writer_checkpoints_itself(
    url: str, writer: Database, tmp_path: Path
) -> None:
    """The contrast: SQLite's default, which the hand-off takes off the event loop."""
    for _ in range(300):
        with writer.write() as tx:
            tx.executemany("INSERT INTO t VALUES (?)", [(b"x" * PAGE,)] * 5)
    db_file = Path(url.removeprefix("sqlite:///"))
    assert count_in_database_file(db_file, tmp_path / "s", ROWS) > 0


def test_a_checkpoint_does_not_wait_for_an_open_write(url: str, writer: Database) -> None:
    with writer.write() as tx:
        tx.execute("INSERT INTO t VALUES (?)", (b"committed",))
    results: list[checkpoint.Checkpoint] = []
    checkpointer = checkpoint.Checkpointer(url, "normal")
    try:
        with writer.write() as tx:  # holds the write lock while the checkpoint runs
            tx.execute("INSERT INTO t VALUES (?)", (b"open",))
            thread = threading.Thread(target=lambda: results.append(checkpointer.run()))
            thread.start()
            thread.join(10)
            assert not thread.is_alive(), "the checkpoint waited for the writer"
    finally:
        checkpointer.close()
    assert results and not results[0].busy
    with writer.read() as tx:
        assert tx.query_one("SELECT count(*) FROM t") == (2,)


def test_a_server_puts_an_acknowledged_write_into_the_database_file_within_the_interval(
    tmp_path: Path,
) -> None:
    """With `--durability normal` only the checkpoint reaches the disk: the server runs one
    within `INTERVAL_S` of every write, so a power loss cannot take more than that."""
    data = tmp_path / "data"
    db_file = data / "taskyard.db"
    database = Database(f"sqlite:///{db_file}")
    migrations.upgrade(database)
    _, _, key, secret = new_account(database)
    database.close()
    server = ServeProcess(data).start()
    try:
        api = ApiClient(server.url, key, secret)
        task = api.ok("tasks.create", name="durable", type="training")["id"]
        api.close()
        deadline = time.monotonic() + 1.0 + checkpoint.INTERVAL_S
        found = "SELECT count(*) FROM tasks WHERE id = ?"
        while not count_in_database_file(db_file, tmp_path / "scratch", found, (task,)):
            assert time.monotonic() < deadline, "the task never reached the database file"
            time.sleep(0.05)
    finally:
        server.kill()  # no clean shutdown, which would checkpoint on close
