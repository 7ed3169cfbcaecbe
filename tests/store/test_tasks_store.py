"""store/tasks.py: conditional updates and the events cleanup, before and after the events
table exists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskyard.store import migrations
from taskyard.store import tasks as store
from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.conftest import drop_pg_database, fresh_database_url


@pytest.fixture
def fresh(backend: str, tmp_path: Path) -> Iterator[Database]:
    url = fresh_database_url(backend, tmp_path)
    database = Database(url)
    migrations.upgrade(database)
    yield database
    database.close()
    if backend == "postgres":
        drop_pg_database(url)


def _task(db: Database, task_id: str, status: str = "created") -> None:
    with db.write() as tx:
        TASKS.insert(
            tx,
            {
                "id": task_id,
                "company": "c",
                "status": status,
                "tags": [],
                "system_tags": [],
                "output": {"destination": "d"},
            },
        )


def test_update_fields_is_conditional_on_status(fresh: Database) -> None:
    _task(fresh, "a", "in_progress")
    with fresh.write() as tx:
        assert store.update_fields(tx, "a", {"status": "stopped"}, expect_status="created") is None
        assert (
            store.update_fields(
                tx,
                "a",
                {"status": "stopped", "status_message": "m", "output": {}},
                ("started",),
                expect_status="in_progress",
            )
            == ""
        )
    with fresh.read() as tx:
        doc, rev = TASKS.get(tx, ["a"], ["c"])["a"]
    assert doc["status"] == "stopped" and doc["status_message"] == "m" and doc["output"] == {}
    assert rev == 1


def test_events_cleanup_with_and_without_the_table(fresh: Database) -> None:
    with fresh.write() as tx:
        if not store.events_table_exists(tx):
            assert store.delete_events(tx, ["a"]) == 0
            tx.execute(
                "CREATE TABLE events (task TEXT, company TEXT, type TEXT, timestamp BIGINT, "
                "url TEXT, payload TEXT)"
            )
        else:
            tx.execute("DELETE FROM events")
    with fresh.write() as tx:
        assert store.events_table_exists(tx)
        for task, url in (("a", "http://f/a.png"), ("a", None), ("b", "http://f/b.png")):
            tx.execute(
                "INSERT INTO events (task, company, type, timestamp, url, payload) "
                f"VALUES (?, 'c', 'log', 0, ?, {tx.dialect.json_param()})",
                (task, url, "{}"),
            )
    with fresh.read() as tx:
        assert store.event_urls(tx, ["a"]) == ["http://f/a.png"]
    with fresh.write() as tx:
        assert store.delete_events(tx, ["a"]) == 2
