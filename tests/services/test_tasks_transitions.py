"""Every row of the state machine (SEMANTICS §4.1/§4.2): each status endpoint from each status,
allowed or refused without force, always allowed with force."""

from __future__ import annotations

import pytest

from tests.services.tasks_support import get, task_in
from tests.support import ApiClient

STATUSES = [
    "created",
    "queued",
    "in_progress",
    "stopped",
    "closed",
    "failed",
    "publishing",
    "published",
    "completed",
]

# endpoint → (target status, allowed source statuses without force), written from the spec.
ENDPOINTS = {
    "started": ("in_progress", {"created", "queued", "stopped", "completed", "in_progress"}),
    "stopped": ("stopped", {"in_progress", "closed", "failed", "stopped", "queued"}),
    "failed": ("failed", {"in_progress", "stopped", "closed", "failed"}),
    "close": ("closed", {"stopped", "closed"}),
    "completed": ("completed", {"in_progress", "stopped", "completed"}),
    "publish": ("published", {"stopped", "closed", "failed", "completed", "publishing"}),
    "reset": (
        "created",
        {"created", "queued", "in_progress", "stopped", "closed", "failed", "completed"},
    ),
}

CASES = [(e, s) for e in ENDPOINTS for s in STATUSES]


@pytest.mark.parametrize(("endpoint", "source"), CASES, ids=[f"{e}-from-{s}" for e, s in CASES])
def test_transition_without_force(client: ApiClient, endpoint: str, source: str) -> None:
    target, allowed = ENDPOINTS[endpoint]
    task = task_in(client, source)
    reply = client.call(f"tasks.{endpoint}", task=task)
    if source in allowed:
        assert reply.code == (200, 0), reply.msg
        assert get(client, task)["status"] == target
        return
    assert reply.code == (400, 110)
    if endpoint == "reset" and source == "published":
        assert reply.msg == f"Invalid task status: task_id={task}, status=published"
    else:
        assert reply.msg == (
            "Invalid task status (Invalid status change): "
            f"current_status={source}, new_status={target}"
        )
    assert get(client, task)["status"] == source  # nothing written


@pytest.mark.parametrize(("endpoint", "source"), CASES, ids=[f"{e}-from-{s}" for e, s in CASES])
def test_transition_with_force(client: ApiClient, endpoint: str, source: str) -> None:
    target, _ = ENDPOINTS[endpoint]
    task = task_in(client, source)
    client.ok(f"tasks.{endpoint}", task=task, force=True)
    assert get(client, task)["status"] == target


@pytest.mark.parametrize("source", STATUSES)
def test_stop_of_a_development_task_follows_the_table(client: ApiClient, source: str) -> None:
    allowed = {"in_progress", "closed", "failed", "stopped", "queued"}
    task = task_in(client, source, system_tags=["development"])
    reply = client.call("tasks.stop", task=task)
    if source in allowed:
        assert reply.code == (200, 0)
        assert get(client, task)["status"] == "stopped"
    else:
        assert reply.code == (400, 110)
        assert get(client, task)["status"] == source


def test_change_from_unknown_status_is_an_internal_error(client: ApiClient) -> None:
    task = task_in(client, "unknown")
    reply = client.call("tasks.started", task=task)
    assert reply.code == (500, 1)
    assert reply.msg == (
        "Internal server error (Current status unknown not supported by state machine)"
    )
    client.ok("tasks.started", task=task, force=True)
    assert get(client, task)["status"] == "in_progress"


def test_status_change_writes_reason_message_and_timestamps(client: ApiClient) -> None:
    task = task_in(client, "created")
    before = get(client, task)
    fields = client.ok(
        "tasks.started", task=task, status_reason="because", status_message="running now"
    )["fields"]
    doc = get(client, task)
    assert doc["status_reason"] == "because" and doc["status_message"] == "running now"
    assert doc["status_changed"] == fields["status_changed"] > before["last_update"]
    assert doc["last_update"] == fields["last_update"]
    # the next change resets the message to "" unless given again
    client.ok("tasks.stopped", task=task)
    doc = get(client, task)
    assert doc["status_reason"] == "" and doc["status_message"] == ""
