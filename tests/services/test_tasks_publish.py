"""tasks.publish (SEMANTICS §4.2)."""

from __future__ import annotations

from taskyard.store.db import Database
from tests.services.tasks_support import add_model, get, model_row, task_in
from tests.support import ApiClient


def _with_output_model(client: ApiClient, db: Database, status: str) -> tuple[str, str]:
    task = task_in(client, status, output_dest="s3://bucket")
    model = add_model(db, get(client, task)["company"], task=task)
    client.ok("tasks.add_or_update_model", task=task, name="out", model=model, type="output")
    return task, model


def test_publish_marks_the_output_model_ready(client: ApiClient, db: Database) -> None:
    task, model = _with_output_model(client, db, "stopped")
    data = client.ok("tasks.publish", task=task)
    fields = data["fields"]
    assert data["updated"] == 1 and fields["status"] == "published"
    assert fields["output"] == {"destination": "s3://bucket"}
    doc = get(client, task)
    assert doc["status"] == "published" and doc["published"] == fields["published"]
    assert model_row(db, model) == (task, True)
    assert get(client, task, "2.12")["output"]["model"] == model


def test_publish_model_false_leaves_the_model(client: ApiClient, db: Database) -> None:
    task, model = _with_output_model(client, db, "completed")
    client.ok("tasks.publish", task=task, publish_model=False)
    assert model_row(db, model) == (task, False)


def test_publishing_twice_is_refused(client: ApiClient) -> None:
    task = task_in(client, "completed")
    client.ok("tasks.publish", task=task)
    reply = client.call("tasks.publish", task=task)
    assert reply.code == (400, 110)
    assert reply.msg == (
        "Invalid task status (Invalid status change): "
        "current_status=published, new_status=published"
    )
