"""tasks.add_or_update_artifacts and tasks.delete_artifacts."""

from __future__ import annotations

from tests.services.tasks_support import get, new_task, task_in
from tests.support import ApiClient

STATS = {
    "key": "stats",
    "type": "dict",
    "uri": "http://files/p/t.x/artifacts/stats/stats.json",
    "content_size": 10,
    "hash": "abc",
    "timestamp": 1700000000,
    "type_data": {"preview": "{}", "content_type": "application/json"},
}


def test_add_then_update_by_key_and_mode(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    assert client.ok("tasks.add_or_update_artifacts", task=task, force=True, artifacts=[STATS])[
        "updated"
    ]
    client.ok(
        "tasks.add_or_update_artifacts",
        task=task,
        force=True,
        artifacts=[{**STATS, "hash": "def"}, {"key": "stats", "type": "dict", "mode": "input"}],
    )
    arts = get(client, task)["execution"]["artifacts"]
    assert [(a["key"], a["mode"]) for a in arts] == [("stats", "output"), ("stats", "input")]
    assert arts[0]["hash"] == "def" and arts[0]["type_data"]["preview"] == "{}"


def test_status_rules(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    reply = client.call("tasks.add_or_update_artifacts", task=task, artifacts=[STATS])
    assert reply.code == (400, 110)
    assert reply.msg == "Invalid task status: expected=created, status=in_progress"
    done = task_in(client, "published")
    reply = client.call("tasks.add_or_update_artifacts", task=done, force=True, artifacts=[STATS])
    assert reply.code == (400, 110)
    client.ok("tasks.add_or_update_artifacts", task=new_task(client), artifacts=[STATS])


def test_artifact_needs_key_and_type(client: ApiClient) -> None:
    reply = client.call("tasks.add_or_update_artifacts", task=new_task(client), artifacts=[{}])
    assert reply.code == (400, 12)


def test_delete_artifacts(client: ApiClient) -> None:
    task = new_task(client)
    client.ok("tasks.add_or_update_artifacts", task=task, artifacts=[STATS])
    data = client.ok(
        "tasks.delete_artifacts", task=task, artifacts=[{"key": "stats"}, {"key": "nope"}]
    )
    assert data == {"deleted": 1}
    assert get(client, task)["execution"]["artifacts"] == []
