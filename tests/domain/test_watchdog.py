"""The non-responsive task watchdog: the rule, the store update, and the running server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from taskyard.domain.clock import new_id, to_wire
from taskyard.domain.watchdog import REASON, WatchdogRule
from taskyard.services.jobs import stop_silent_tasks
from taskyard.store import migrations
from taskyard.store.db import Database
from taskyard.store.entities import PROJECTS, TASKS
from tests.conftest import drop_pg_database, fresh_database_url
from tests.support import ApiClient, LiveServer, doc_drift, new_account

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def test_rule_only_concerns_silent_in_progress_tasks() -> None:
    rule = WatchdogRule(timeout_s=7200)
    old = to_wire(NOW - timedelta(hours=3))
    recent = to_wire(NOW - timedelta(minutes=5))
    assert rule.is_silent("in_progress", old, NOW)
    assert rule.is_silent("in_progress", None, NOW)
    assert not rule.is_silent("in_progress", recent, NOW)
    assert not rule.is_silent("created", old, NOW)
    assert not rule.is_silent("stopped", old, NOW)


def test_rule_compares_timestamps_with_and_without_microseconds() -> None:
    rule = WatchdogRule(timeout_s=10)
    whole = NOW - timedelta(seconds=10)  # exactly at the cutoff: not yet silent
    assert not rule.is_silent("in_progress", to_wire(whole), NOW)
    assert rule.is_silent("in_progress", to_wire(whole - timedelta(microseconds=1)), NOW)


def _task(db: Database, status: str, last_update: datetime, project: str | None = None) -> str:
    task_id = new_id()
    doc: dict[str, object] = {
        "id": task_id,
        "company": "c1",
        "name": f"t-{status}",
        "type": "training",
        "status": status,
        "project": project,
        "last_update": to_wire(last_update),
        "tags": [],
        "system_tags": [],
        "status_reason": "earlier",
        "script": {"entry_point": "train.py"},
    }
    with db.write() as tx:
        TASKS.insert(tx, {k: v for k, v in doc.items() if v is not None})
    return task_id


def _get(db: Database, task_id: str) -> tuple[dict[str, object], int]:
    with db.read() as tx:
        return TASKS.get(tx, [task_id], ["c1"])[task_id]


def test_silent_in_progress_tasks_are_stopped_and_others_left_alone(fresh_db: Database) -> None:
    project = new_id()
    with fresh_db.write() as tx:
        PROJECTS.insert(
            tx,
            {
                "id": project,
                "company": "c1",
                "name": "p",
                "last_update": to_wire(NOW - timedelta(days=9)),
                "tags": [],
                "system_tags": [],
            },
        )
    silent = _task(fresh_db, "in_progress", NOW - timedelta(hours=3), project)
    alive = _task(fresh_db, "in_progress", NOW - timedelta(minutes=1))
    old_created = _task(fresh_db, "created", NOW - timedelta(days=3))
    old_stopped = _task(fresh_db, "stopped", NOW - timedelta(days=3))
    _, rev_before = _get(fresh_db, silent)

    assert stop_silent_tasks(fresh_db, timeout_s=7200, at=NOW) == [silent]

    doc, rev = _get(fresh_db, silent)
    assert doc["status"] == "stopped"
    assert doc["status_reason"] == REASON
    assert doc["status_changed"] == doc["last_update"] == to_wire(NOW)
    assert doc["script"] == {"entry_point": "train.py"}  # the rest of the document is kept
    assert rev == rev_before + 1  # a read-modify-write in flight will notice
    assert doc_drift(fresh_db, ("c1",)) == []  # the document's copies changed with the columns
    assert _get(fresh_db, alive)[0]["status"] == "in_progress"
    assert _get(fresh_db, old_created)[0]["status"] == "created"
    assert _get(fresh_db, old_stopped)[0]["status_reason"] == "earlier"
    with fresh_db.read() as tx:
        row = tx.query_one("SELECT last_update FROM projects WHERE id = ?", (project,))
    assert row == (to_wire(NOW),)
    # A second run finds nothing more to do.
    assert stop_silent_tasks(fresh_db, timeout_s=7200, at=NOW) == []


def test_many_silent_tasks_are_stopped_in_chunks(fresh_db: Database) -> None:
    ids = {_task(fresh_db, "in_progress", NOW - timedelta(hours=5)) for _ in range(12)}
    assert set(stop_silent_tasks(fresh_db, timeout_s=60, at=NOW, chunk=5)) == ids


def _wait_for(predicate: object, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_running_server_stops_silent_tasks_but_not_pinged_ones(
    backend: str, tmp_path: Path
) -> None:
    url = fresh_database_url(backend, tmp_path)
    database = Database(url)
    migrations.upgrade(database)
    _, _, key, secret = new_account(database)
    server = LiveServer(url, str(tmp_path / "data"), watchdog_timeout_s=2, watchdog_interval_s=1)
    client = ApiClient(server.url, key, secret)
    try:
        silent = client.ok("tasks.create", name="silent", type="training")["id"]
        pinged = client.ok("tasks.create", name="pinged", type="training")["id"]
        for task in (silent, pinged):
            client.ok("tasks.started", task=task)

        def status(task: str) -> dict[str, str]:
            doc: dict[str, str] = client.ok("tasks.get_by_id", task=task)["task"]
            return doc

        def silent_stopped() -> bool:
            client.ok("tasks.ping", task=pinged)
            return status(silent)["status"] == "stopped"

        assert _wait_for(silent_stopped)
        assert status(silent)["status_reason"] == REASON
        # Keep pinging for longer than the timeout: the pinged task stays alive throughout.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            client.ok("tasks.ping", task=pinged)
            time.sleep(0.3)
        assert status(pinged)["status"] == "in_progress"
        with database.read() as tx:
            runs = tx.query("SELECT DISTINCT holder FROM job_runs WHERE job = 'watchdog'")
        assert len(runs) == 1
    finally:
        client.close()
        server.stop()
        database.close()
        if backend == "postgres":
            drop_pg_database(url)
