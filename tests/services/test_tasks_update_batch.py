"""tasks.update_batch (SEMANTICS §5.5)."""

from __future__ import annotations

import pytest

from taskyard.store.db import Database
from tests.services.tasks_support import get, make_public, new_task
from tests.support import ApiClient


def test_json_lines_update_several_tasks(client: ApiClient) -> None:
    a, b = new_task(client), new_task(client)
    reply = client.batch(
        "tasks.update_batch",
        [{"task": a, "comment": "first"}, {"task": b, "comment": "x"}, {"task": b, "comment": "y"}],
    )
    assert reply.code == (200, 0)
    assert reply.data == {"updated": 2}
    assert get(client, a)["comment"] == "first"
    assert get(client, b)["comment"] == "y"  # the last item of a task wins


def test_one_unknown_id_writes_nothing(client: ApiClient) -> None:
    a = new_task(client)
    reply = client.batch(
        "tasks.update_batch", [{"task": a, "comment": "changed"}, {"task": "nope", "comment": "x"}]
    )
    assert reply.code == (400, 101)
    assert reply.msg == "Invalid task id: ids=(nope)"
    assert "comment" not in get(client, a)


@pytest.mark.public_rows
def test_public_task_writes_nothing(client: ApiClient, db: Database) -> None:
    a, b = new_task(client), new_task(client)
    make_public(db, b)
    reply = client.batch(
        "tasks.update_batch", [{"task": a, "comment": "changed"}, {"task": b, "comment": "x"}]
    )
    assert reply.code == (403, 21)
    assert "comment" not in get(client, a)


def test_invalid_item_writes_nothing(client: ApiClient) -> None:
    a = new_task(client)
    reply = client.batch("tasks.update_batch", [{"task": a, "comment": "x"}, {"comment": "y"}])
    assert reply.code == (400, 12)
    assert "comment" not in get(client, a)


def test_plain_object_and_empty_body(client: ApiClient) -> None:
    a = new_task(client)
    assert client.ok("tasks.update_batch", task=a, name="by object") == {"updated": 1}
    assert get(client, a)["name"] == "by object"
    assert client.ok("tasks.update_batch") == {"updated": 0}
