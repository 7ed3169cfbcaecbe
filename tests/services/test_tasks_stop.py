"""tasks.stop (SEMANTICS §4.2, §7.2): seed-era below 2.9, HEAD from 2.9."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from taskyard.store import tasks as store
from taskyard.store.db import Database
from tests.services.tasks_support import get, task_in
from tests.support import ApiClient


def _worker(db: Database, task: str, age: timedelta) -> None:
    seen = (datetime.now(UTC) - age).isoformat()
    with db.write() as tx:
        store.update_fields(tx, task, {"last_worker": "worker-1", "last_update": seen})


def test_seed_without_development_tag_only_asks(client: ApiClient) -> None:
    for status in ("created", "in_progress", "published"):
        task = task_in(client, status)
        data = client.ok(
            "tasks.stop", version="2.2", task=task, status_reason="why", status_message="ignored"
        )
        assert data["updated"] == 1 and data["fields"]["status"] == status
        doc = get(client, task)
        assert doc["status"] == status
        assert doc["status_message"] == "stopping" and doc["status_reason"] == "why"


def test_seed_development_task_stops_at_once(client: ApiClient) -> None:
    task = task_in(client, "in_progress", system_tags=["development"])
    client.ok("tasks.stop", version="2.2", task=task)
    doc = get(client, task)
    assert doc["status"] == "stopped" and doc["status_message"].startswith("Stopped by user-")


def test_modern_without_live_worker_stops_at_once(client: ApiClient, db: Database) -> None:
    task = task_in(client, "in_progress")
    client.ok("tasks.stop", task=task)
    assert get(client, task)["status"] == "stopped"
    stale = task_in(client, "in_progress")
    _worker(db, stale, timedelta(seconds=601))
    client.ok("tasks.stop", task=stale)
    assert get(client, stale)["status"] == "stopped"


def test_modern_with_live_worker_only_asks(client: ApiClient, db: Database) -> None:
    task = task_in(client, "in_progress")
    _worker(db, task, timedelta(seconds=5))
    client.ok("tasks.stop", task=task)
    doc = get(client, task)
    assert doc["status"] == "in_progress" and doc["status_message"] == "stopping"
    client.ok("tasks.stop", task=task, force=True)
    assert get(client, task)["status"] == "stopped"


def test_modern_stop_of_a_created_task_is_refused(client: ApiClient) -> None:
    task = task_in(client, "created")
    reply = client.call("tasks.stop", task=task)
    assert reply.code == (400, 110)
    assert get(client, task)["status"] == "created"
