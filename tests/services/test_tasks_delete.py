"""tasks.delete (SEMANTICS §4.3, §7.4)."""

from __future__ import annotations

import pytest

from taskyard.store import tasks as store
from taskyard.store.db import Database
from tests.services.tasks_support import add_model, get, model_row, new_task, task_in
from tests.support import ApiClient


def _exists(client: ApiClient, task: str) -> bool:
    return client.call("tasks.get_by_id", task=task).code == (200, 0)


def test_delete_a_created_task(client: ApiClient) -> None:
    task = new_task(client)
    data = client.ok("tasks.delete", task=task)
    assert data == {
        "deleted": True,
        "updated_children": 0,
        "updated_models": 0,
        "deleted_models": 0,
        "events": {},
        "urls": None,
    }
    assert not _exists(client, task)
    seed = client.ok("tasks.delete", version="2.1", task=new_task(client))
    assert set(seed) == {"deleted", "updated_children", "updated_models", "deleted_models"}


def test_status_other_than_created_needs_force(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    reply = client.call("tasks.delete", task=task)
    assert reply.code == (400, 123)
    assert reply.msg == (
        "Task cannot be deleted (due to status, use force=True): "
        f"task={task}, expected=created, current=in_progress"
    )
    client.ok("tasks.delete", task=task, force=True)
    assert not _exists(client, task)


def test_archived_tasks_need_no_force_from_2_9(client: ApiClient) -> None:
    task = task_in(client, "completed", system_tags=["archived"])
    assert client.call("tasks.delete", version="2.1", task=task).code == (400, 123)
    client.ok("tasks.delete", task=task)
    assert not _exists(client, task)


def test_children_and_models_are_cleaned_up(client: ApiClient, db: Database) -> None:
    task = task_in(client, "completed", system_tags=["archived"])
    company = get(client, task)["company"]
    child = new_task(client, parent=task)
    published_child = task_in(client, "published", parent=task)
    draft = add_model(db, company, task=task, uri="http://f/draft")
    ready = add_model(db, company, task=task, ready=True)
    assert client.call("tasks.delete", task=task).code == (400, 123)
    data = client.ok("tasks.delete", task=task, force=True, return_file_urls=True)
    assert data["updated_children"] == 2
    assert data["deleted_models"] == 1 and data["updated_models"] == 1
    assert data["urls"]["model_urls"] == ["http://f/draft"]
    assert get(client, child)["parent"] == f"__DELETED__{task}"
    assert get(client, published_child)["parent"] == f"__DELETED__{task}"
    assert model_row(db, draft) is None
    assert model_row(db, ready) == (f"__DELETED__{task}", True)


def test_move_to_trash_keeps_a_copy(client: ApiClient, db: Database) -> None:
    task = new_task(client)
    client.ok("tasks.delete", task=task, move_to_trash=True)
    with db.read() as tx:
        row = tx.query_one("SELECT company FROM tasks_trash WHERE id = ?", (task,))
    assert row is not None and row[0] != ""
    other = new_task(client)
    client.ok("tasks.delete", task=other)
    with db.read() as tx:
        assert tx.query_one("SELECT 1 FROM tasks_trash WHERE id = ?", (other,)) is None


def test_events_are_deleted_and_their_urls_returned(client: ApiClient, db: Database) -> None:
    task = new_task(client)
    company = get(client, task)["company"]
    with db.write() as tx:
        if not store.events_table_exists(tx):
            pytest.skip("no events table yet")
        tx.execute(
            "INSERT INTO events (company, task, type, timestamp, url, payload) "
            "VALUES (?, ?, 'training_debug_image', 0, 'http://f/i.png', "
            f"{tx.dialect.json_param()})",
            (company, task, "{}"),
        )
    data = client.ok("tasks.delete", task=task, return_file_urls=True)
    assert data["urls"]["event_urls"] == ["http://f/i.png"]
    with db.read() as tx:
        assert tx.query_one("SELECT 1 FROM events WHERE task = ?", (task,)) is None
