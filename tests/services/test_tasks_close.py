"""tasks.close (SEMANTICS §4.2)."""

from __future__ import annotations

from tests.services.tasks_support import get, task_in
from tests.support import ApiClient


def test_close_a_stopped_task(client: ApiClient) -> None:
    task = task_in(client, "stopped")
    data = client.ok("tasks.close", task=task, status_message="done")
    assert data == {"updated": 1, "fields": data["fields"]}
    assert data["fields"]["status"] == "closed"
    doc = get(client, task)
    assert doc["status"] == "closed" and doc["status_message"] == "done"
