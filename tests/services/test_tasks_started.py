"""tasks.started (SEMANTICS §4.2)."""

from __future__ import annotations

from tests.services.tasks_support import get, task_in
from tests.support import ApiClient


def test_reply_shape(client: ApiClient) -> None:
    task = task_in(client, "created")
    data = client.ok("tasks.started", task=task)
    assert data["started"] == 1 and data["updated"] == 1
    fields = data["fields"]
    assert fields["status"] == "in_progress" and fields["started"] == fields["status_changed"]
    assert get(client, task)["started"] == fields["started"]


def test_restart_keeps_earliest_start_from_2_9(client: ApiClient) -> None:
    task = task_in(client, "created")
    first = client.ok("tasks.started", task=task)["fields"]["started"]
    client.ok("tasks.started", task=task)
    assert get(client, task)["started"] == first


def test_restart_overwrites_start_below_2_9(client: ApiClient) -> None:
    task = task_in(client, "created")
    first = client.ok("tasks.started", version="2.1", task=task)["fields"]["started"]
    again = client.ok("tasks.started", version="2.1", task=task)["fields"]["started"]
    assert again > first and get(client, task)["started"] == again


def test_start_after_completion_clears_completed_from_2_9(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    client.ok("tasks.completed", task=task)
    assert "completed" in get(client, task)
    client.ok("tasks.started", task=task)
    assert "completed" not in get(client, task)


def test_unknown_task(client: ApiClient) -> None:
    company = get(client, task_in(client, "created"))["company"]
    reply = client.call("tasks.started", task="nope")
    assert reply.code == (400, 101)
    assert reply.msg == f"Invalid task id: id=nope, company={company}"
