"""tasks.failed (SEMANTICS §4.2)."""

from __future__ import annotations

from tests.services.tasks_support import get, task_in
from tests.support import ApiClient


def test_failed_sets_completed_from_2_9_only(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    data = client.ok("tasks.failed", task=task)
    assert data["fields"]["status"] == "failed" and "completed" in get(client, task)
    old = task_in(client, "in_progress")
    client.ok("tasks.failed", version="2.1", task=old)
    doc = get(client, old)
    assert doc["status"] == "failed" and "completed" not in doc
