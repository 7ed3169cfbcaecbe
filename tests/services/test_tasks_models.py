"""tasks.add_or_update_model and tasks.delete_models: the task's named models."""

from __future__ import annotations

from taskyard.store.db import Database
from tests.services.tasks_support import add_model, get, task_in
from tests.support import ApiClient


def test_add_replace_and_delete(client: ApiClient, db: Database) -> None:
    task = task_in(client, "in_progress")
    company = get(client, task)["company"]
    m1, m2 = add_model(db, company), add_model(db, company)
    client.ok("tasks.add_or_update_model", task=task, name="out", model=m1, type="output")
    client.ok(
        "tasks.add_or_update_model", task=task, name="out", model=m2, type="output", iteration=7
    )
    client.ok("tasks.add_or_update_model", task=task, name="in", model=m1, type="input")
    doc = get(client, task)
    assert doc["models"] == {
        "input": [{"name": "in", "model": m1}],
        "output": [{"name": "out", "model": m2}],
    }
    assert doc["last_iteration"] == 7
    old = get(client, task, "2.12")
    assert old["execution"]["model"] == m1 and old["output"]["model"] == m2
    assert client.ok(
        "tasks.delete_models", task=task, models=[{"name": "out", "type": "output"}]
    ) == {"updated": 1}
    assert get(client, task)["models"]["output"] == []


def test_unknown_model(client: ApiClient) -> None:
    task = task_in(client, "created")
    reply = client.call("tasks.add_or_update_model", task=task, name="o", model="x", type="output")
    assert reply.code == (400, 201)
