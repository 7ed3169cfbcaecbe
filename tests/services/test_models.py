"""models.*: create, read, edit, publish, metadata, delete and linking to a task."""

from __future__ import annotations

import uuid

from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.support import ApiClient


def _task(db: Database, company: str) -> str:
    task_id = uuid.uuid4().hex
    with db.write() as tx:
        TASKS.insert(
            tx,
            {
                "id": task_id,
                "company": company,
                "name": "trainer",
                "type": "training",
                "status": "in_progress",
                "tags": [],
                "system_tags": [],
                "models": {"input": [], "output": []},
            },
        )
    return task_id


def test_create_get_edit(client: ApiClient) -> None:
    pid = client.ok("projects.create", name="mp")["id"]
    mid = client.ok("models.create", name="m", uri="file:///m.pt", project=pid, labels={"cat": 1})[
        "id"
    ]
    model = client.ok("models.get_by_id", model=mid)["model"]
    assert (model["name"], model["uri"], model["ready"], model["project"]) == (
        "m",
        "file:///m.pt",
        False,
        pid,
    )
    assert model["labels"] == {"cat": 1}
    data = client.ok("models.edit", model=mid, comment="c", framework="PyTorch")
    assert data["updated"] == 1 and data["fields"]["comment"] == "c"
    assert client.ok("models.get_by_id", model=mid)["model"]["framework"] == "PyTorch"


def test_create_validates_references(client: ApiClient) -> None:
    assert client.call("models.create", name="m", uri="u", project="nope").code == (400, 401)
    assert client.call("models.create", name="m", uri="u", task="nope").code == (400, 101)
    assert client.call("models.create", name="m").code == (400, 12)
    assert client.call("models.get_by_id", model="nope").code == (400, 201)


def test_set_ready_and_delete(client: ApiClient) -> None:
    mid = client.ok("models.create", name="m", uri="s3://b/m")["id"]
    assert client.ok("models.set_ready", model=mid)["updated"] == 1
    assert client.call("models.set_ready", model=mid).code == (400, 203)
    assert client.call("models.edit", model=mid, uri="other").code == (400, 203)
    assert client.call("models.delete", model=mid).code == (400, 203)
    assert client.ok("models.delete", model=mid, force=True) == {"deleted": True, "url": "s3://b/m"}
    assert client.call("models.get_by_id", model=mid).code == (400, 201)


def test_metadata(client: ApiClient) -> None:
    mid = client.ok("models.create", name="m", uri="u")["id"]
    client.ok(
        "models.add_or_update_metadata",
        model=mid,
        metadata=[{"key": "a", "type": "int", "value": "1"}, {"key": "b", "value": "x"}],
    )
    client.ok("models.add_or_update_metadata", model=mid, metadata=[{"key": "a", "value": "2"}])
    meta = client.ok("models.get_by_id", model=mid)["model"]["metadata"]
    assert meta == {"a": {"key": "a", "value": "2"}, "b": {"key": "b", "value": "x"}}
    client.ok("models.delete_metadata", model=mid, keys=["b"])
    assert set(client.ok("models.get_by_id", model=mid)["model"]["metadata"]) == {"a"}


def test_update_for_task_links_the_output_model(
    client: ApiClient, db: Database, account: tuple[str, str, str, str]
) -> None:
    task = _task(db, account[0])
    data = client.ok("models.update_for_task", task=task, uri="file:///w.pt", iteration=7)
    assert data["created"] is True
    with db.read() as tx:
        doc = TASKS.get(tx, [task], [account[0]])[task][0]
    assert doc["models"]["output"] == [{"name": "output", "model": data["id"]}]
    assert doc["last_iteration"] == 7
    model = client.ok("models.get_by_task_id", task=task)["model"]
    assert (model["id"], model["task"], model["name"]) == (data["id"], task, "trainer")
    client.ok("models.delete", model=data["id"])
    with db.read() as tx:
        assert TASKS.get(tx, [task], [account[0]])[task][0]["models"]["output"] == []


def test_archive_many(client: ApiClient) -> None:
    mid = client.ok("models.create", name="m", uri="u")["id"]
    data = client.ok("models.archive_many", ids=[mid, "nope"])
    assert data["succeeded"] == [{"id": mid, "archived": True}]
    assert data["failed"][0]["id"] == "nope"
    assert client.ok("models.get_by_id", model=mid)["model"]["system_tags"] == ["archived"]


def test_other_company_cannot_touch_models(client: ApiClient, other_client: ApiClient) -> None:
    mid = client.ok("models.create", name="m", uri="u")["id"]
    assert other_client.call("models.get_by_id", model=mid).code == (400, 201)
    assert other_client.call("models.delete", model=mid).code == (400, 201)


def test_metadata_is_a_list_before_2_20(client: ApiClient) -> None:
    mid = client.ok("models.create", name="m", uri="u", metadata=[{"key": "a", "value": "1"}])["id"]
    old = client.at("2.13").ok("models.get_by_id", model=mid)["model"]
    assert old["metadata"] == [{"key": "a", "value": "1"}]
    assert client.at("2.20").ok("models.get_by_id", model=mid)["model"]["metadata"] == {
        "a": {"key": "a", "value": "1"}
    }


def test_get_all_metadata_is_a_list_before_2_20(client: ApiClient) -> None:
    mid = client.ok("models.create", name="m", uri="u", metadata=[{"key": "a", "value": "1"}])["id"]
    (old,) = client.at("2.13").ok("models.get_all", id=[mid])["models"]
    assert old["metadata"] == [{"key": "a", "value": "1"}]
