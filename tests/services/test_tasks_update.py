"""tasks.update (SEMANTICS §5.4)."""

from __future__ import annotations

import pytest

from taskyard.store.db import Database
from tests.services.tasks_support import add_project, get, make_public, new_task, task_in
from tests.support import ApiClient


def test_reply_lists_written_fields(client: ApiClient) -> None:
    task = new_task(client)
    data = client.ok("tasks.update", task=task, name=" renamed ", comment="c", output__error="boom")
    assert data["updated"] == 1
    fields = data["fields"]
    assert fields["name"] == "renamed" and fields["comment"] == "c"
    assert fields["output.error"] == "boom" and "last_update" in fields
    doc = get(client, task)
    assert doc["name"] == "renamed" and doc["output"]["error"] == "boom"
    assert doc["last_update"] == fields["last_update"]


def test_nothing_to_update(client: ApiClient) -> None:
    task = new_task(client)
    assert client.ok("tasks.update", task=task, bogus=1) == {"updated": 0, "fields": {}}


def test_any_status_may_be_updated(client: ApiClient) -> None:
    task = task_in(client, "published")
    client.ok("tasks.update", task=task, name="still renamable")
    assert get(client, task)["name"] == "still renamable"


@pytest.mark.public_rows
def test_errors(client: ApiClient, other_client: ApiClient, db: Database) -> None:
    reply = client.call("tasks.update", task="nope", name="abc")
    assert reply.code == (400, 101) and reply.msg == "Invalid task id: id=nope"
    task = new_task(client)
    reply = client.call("tasks.update", task=task, name="ab")
    assert reply.code == (400, 800)
    reply = client.call("tasks.update", task=task, project="nope")
    assert reply.code == (400, 401) and reply.msg == "Invalid project id: id=nope"
    project = add_project(db, get(client, task)["company"])
    client.ok("tasks.update", task=task, project=project)
    assert get(client, task)["project"] == project
    make_public(db, task)
    reply = other_client.call("tasks.update", task=task, name="abc")
    assert reply.code == (403, 21)
    assert reply.msg == (
        f"Forbidden (modification not allowed) (cannot modify public task(s), ids=('{task}',))"
    )


def test_tags_only_replace_system_tags_below_2_3(client: ApiClient) -> None:
    task = new_task(client, system_tags=["development"], tags=["x"])
    client.ok("tasks.update", version="2.2", task=task, tags=["y", "archived"])
    doc = get(client, task)
    assert doc["tags"] == ["y"] and doc["system_tags"] == ["archived"]
    client.ok("tasks.update", task=task, tags=["z"])
    doc = get(client, task)
    assert doc["tags"] == ["z"] and doc["system_tags"] == ["archived"]
