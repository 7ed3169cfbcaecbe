"""`taskyard backup` under write load, and `taskyard restore`."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskyard.store import backup as backups
from taskyard.store import migrations
from taskyard.store.db import Database
from tests.conftest import PG_AVAILABLE, drop_pg_database, fresh_database_url, make_pg_database
from tests.serve_process import TASKYARD, ServeProcess
from tests.support import ApiClient, new_account

EVENTS_PER_TASK = 5


def _taskyard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TASKYARD, *args], capture_output=True, text=True, check=False, timeout=300
    )


class Writers:
    """Clients creating tasks (each with a batch of events) until stopped; acked writes noted."""

    def __init__(self, url: str, key: str, secret: str, n: int = 4) -> None:
        self.acked: list[tuple[float, str]] = []  # (monotonic time of the reply, task id)
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(url, key, secret, i)) for i in range(n)
        ]
        for t in self.threads:
            t.start()

    def _run(self, url: str, key: str, secret: str, n: int) -> None:
        client = ApiClient(url, key, secret)
        try:
            i = 0
            while not self.stop.is_set():
                i += 1
                task = client.call("tasks.create", name=f"w{n}-{i}", type="training")
                if task.code != (200, 0):
                    self.errors.append(task.msg)
                    continue
                task_id = task.data["id"]
                events = [
                    {"type": "training_stats_scalar", "task": task_id, "iter": it,
                     "metric": "m", "variant": "v", "value": it}
                    for it in range(EVENTS_PER_TASK)
                ]  # fmt: skip
                reply = client.batch("events.add_batch", events)
                if reply.code != (200, 0):
                    self.errors.append(reply.msg)
                    continue
                with self.lock:
                    self.acked.append((time.monotonic(), task_id))
        finally:
            client.close()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def acked_before(self, moment: float) -> set[str]:
        with self.lock:
            return {task for at, task in self.acked if at < moment}


def _wait_for_acks(writers: Writers, n: int) -> None:
    deadline = time.monotonic() + 60
    while len(writers.acked) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(writers.acked) >= n, writers.errors[:3]


def _contents(url: str) -> tuple[dict[str, str], dict[str, int]]:
    """Task names and event counts per task, read straight from the database."""
    db = Database(url)
    try:
        with db.read() as tx:
            names: dict[str, str] = {r[0]: r[1] for r in tx.query("SELECT id, name FROM tasks")}
            events: dict[str, int] = {
                r[0]: r[1] for r in tx.query("SELECT task, COUNT(*) FROM events GROUP BY task")
            }
    finally:
        db.close()
    return names, events


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgres" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")
    url = fresh_database_url(backend, tmp_path)
    yield url
    if backend == "postgres":
        drop_pg_database(url)


def test_backup_under_load_holds_every_acknowledged_write_and_restores(
    backend: str, fresh_url: str, tmp_path: Path
) -> None:
    db = Database(fresh_url)
    migrations.upgrade(db)
    _, _, key, secret = new_account(db)
    db.close()
    server = ServeProcess(fresh_url, tmp_path / "data")
    writers = Writers(server.url, key, secret)
    try:
        _wait_for_acks(writers, 40)
        started = time.monotonic()
        backup_file = tmp_path / "backups" / "taskyard.backup"
        out = _taskyard("backup", str(backup_file), "--db", fresh_url)
        assert out.returncode == 0, out.stderr
        count_at_end = len(writers.acked)
        _wait_for_acks(writers, count_at_end + 20)  # the server kept taking writes throughout
    finally:
        writers.finish()
        server.stop()
    assert not writers.errors
    expected = writers.acked_before(started)

    # The backup holds every write acknowledged before it started, each one complete.
    fmt = backups.file_format(backup_file)
    assert fmt == ("pg_dump" if backend == "postgres" else "sqlite")
    if fmt == "sqlite":
        assert backups.integrity_check(backup_file) == "ok"

    # Restore into a new, empty database.
    restored = fresh_database_url(backend, tmp_path)
    try:
        out = _taskyard("restore", str(backup_file), "--db", restored)
        assert out.returncode == 0, out.stderr
        if backend == "sqlite":
            assert backups.integrity_check(Path(restored.removeprefix("sqlite:///"))) == "ok"
        names, events = _contents(restored)
        assert expected <= set(names)
        # All or nothing: every task in the backup whose events were acknowledged has them all,
        # and no task has a partial batch.
        assert all(events.get(task) == EVENTS_PER_TASK for task in expected)
        assert set(events.values()) <= {EVENTS_PER_TASK}
        # The restored installation serves: the same credentials read the same tasks.
        server = ServeProcess(restored, tmp_path / "data-restored")
        client = ApiClient(server.url, key, secret)
        try:
            some = sorted(expected)[:5]
            got = client.ok("tasks.get_all", id=some, only_fields=["id", "name"])["tasks"]
            assert {t["id"]: t["name"] for t in got} == {t: names[t] for t in some}
        finally:
            client.close()
            server.stop()
    finally:
        if backend == "postgres":
            drop_pg_database(restored)


def test_restore_refuses_a_database_with_data_unless_forced(fresh_url: str, tmp_path: Path) -> None:
    db = Database(fresh_url)
    migrations.upgrade(db)
    new_account(db, "first")
    db.close()
    backup_file = tmp_path / "b.backup"
    assert _taskyard("backup", str(backup_file), "--db", fresh_url).returncode == 0
    db = Database(fresh_url)
    new_account(db, "added after the backup")
    db.close()

    out = _taskyard("restore", str(backup_file), "--db", fresh_url)
    assert out.returncode == 1
    assert out.stderr.startswith("taskyard: error: the database is not empty")
    db = Database(fresh_url)
    with db.read() as tx:
        assert tx.query_one("SELECT COUNT(*) FROM companies") == (2,)
    db.close()

    out = _taskyard("restore", str(backup_file), "--db", fresh_url, "--force")
    assert out.returncode == 0, out.stderr
    db = Database(fresh_url)
    with db.read() as tx:
        assert tx.query("SELECT name FROM companies") == [("first",)]
    db.close()


@pytest.mark.skipif(not PG_AVAILABLE, reason="needs PostgreSQL")
def test_postgres_backup_without_pg_dump_is_a_sqlite_file(tmp_path: Path) -> None:
    source = make_pg_database()
    target = make_pg_database()
    try:
        db = Database(source)
        migrations.upgrade(db)
        new_account(db, "acme")
        db.close()
        backup_file = tmp_path / "pg.sqlite"
        assert backups.backup(source, backup_file, fmt="sqlite") == "sqlite"
        assert backups.integrity_check(backup_file) == "ok"
        backups.restore(target, backup_file)
        db = Database(target)
        with db.read() as tx:
            assert tx.query("SELECT name FROM companies") == [("acme",)]
        db.close()
    finally:
        drop_pg_database(source)
        drop_pg_database(target)


def test_restore_rejects_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a database at all")
    out = _taskyard("restore", str(junk), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert out.returncode == 1
    assert "neither a taskyard SQLite backup nor a pg_dump archive" in out.stderr
