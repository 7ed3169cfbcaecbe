"""tasks.stopped (SEMANTICS §4.2)."""

from __future__ import annotations

from tests.services.tasks_support import get, task_in
from tests.support import ApiClient


def test_stopped_sets_completed(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    data = client.ok("tasks.stopped", task=task, status_reason="USER ABORTED")
    assert data["updated"] == 1 and data["fields"]["status"] == "stopped"
    doc = get(client, task)
    assert doc["completed"] == data["fields"]["completed"]
    assert doc["status_reason"] == "USER ABORTED"


def test_after_completion_the_sdk_abort_is_refused(client: ApiClient) -> None:
    task = task_in(client, "completed")
    assert client.call("tasks.stopped", task=task).code == (400, 110)
    assert get(client, task)["status"] == "completed"
