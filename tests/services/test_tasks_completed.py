"""tasks.completed (SEMANTICS §4.2): from API 2.2, optionally publishing."""

from __future__ import annotations

from taskyard.store.db import Database
from tests.services.tasks_support import add_model, get, model_row, task_in
from tests.support import ApiClient


def test_not_available_below_2_2(client: ApiClient) -> None:
    reply = client.call("tasks.completed", version="2.1", task="x")
    assert reply.code == (404, 0)
    assert reply.msg == "Unable to find endpoint for name tasks.completed and version 2.1"
    task = task_in(client, "in_progress")
    data = client.ok("tasks.completed", version="2.2", task=task)
    assert data["updated"] == 1 and "published" not in data
    assert get(client, task)["completed"] == data["fields"]["completed"]


def test_twice_is_a_same_state_change(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    client.ok("tasks.completed", task=task, status_reason="completed")
    data = client.ok("tasks.completed", task=task)
    assert data["published"] == 0 and get(client, task)["status"] == "completed"


def test_completed_with_publish(client: ApiClient, db: Database) -> None:
    task = task_in(client, "in_progress")
    model = add_model(db, get(client, task)["company"], task=task)
    client.ok("tasks.add_or_update_model", task=task, name="out", model=model, type="output")
    data = client.ok("tasks.completed", task=task, publish=True)
    assert data["published"] == 1 and data["fields"]["status"] == "published"
    doc = get(client, task)
    assert doc["status"] == "published" and "published" in doc
    assert model_row(db, model) == (task, True)
