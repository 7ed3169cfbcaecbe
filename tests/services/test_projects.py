"""projects.*: nested creation, get_by_id, update (rename moves children), delete refusals."""

from __future__ import annotations

from typing import Any

from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.support import ApiClient


def _project(client: ApiClient, pid: str) -> dict[str, Any]:
    project: dict[str, Any] = client.ok("projects.get_by_id", project=pid)["project"]
    return project


def test_create_nested_name_creates_the_chain(client: ApiClient) -> None:
    pid = client.ok("projects.create", name="top/mid/leaf", description="")["id"]
    leaf = _project(client, pid)
    assert leaf["name"] == "top/mid/leaf"
    assert leaf["basename"] == "leaf"
    mid = _project(client, leaf["parent"])
    assert mid["name"] == "top/mid"
    top = _project(client, mid["parent"])
    assert top["name"] == "top"
    assert "parent" not in top
    # A sibling reuses the existing ancestors.
    sibling = _project(client, client.ok("projects.create", name="top/mid/other")["id"])
    assert sibling["parent"] == mid["id"]


def test_create_same_name_twice_is_refused(client: ApiClient) -> None:
    client.ok("projects.create", name="dup")
    reply = client.call("projects.create", name="dup")
    assert reply.code == (400, 801)


def test_empty_path_part_is_a_validation_error(client: ApiClient) -> None:
    assert client.call("projects.create", name="a//b").code == (400, 12)
    assert client.call("projects.create").code == (400, 12)


def test_get_by_id_returns_output_destination(client: ApiClient) -> None:
    pid = client.ok("projects.create", name="dest", default_output_destination="s3://bucket/x")[
        "id"
    ]
    assert _project(client, pid)["default_output_destination"] == "s3://bucket/x"


def test_unknown_and_foreign_projects_are_invalid(
    client: ApiClient, other_client: ApiClient
) -> None:
    reply = client.call("projects.get_by_id", project="nope")
    assert reply.code == (400, 401)
    assert reply.msg == "Invalid project id: id=nope"
    pid = other_client.ok("projects.create", name="theirs")["id"]
    assert client.call("projects.get_by_id", project=pid).code == (400, 401)
    assert client.call("projects.update", project=pid, description="x").code == (400, 401)


def test_update_fields_and_rename_moves_children(client: ApiClient) -> None:
    pid = client.ok("projects.create", name="old")["id"]
    child = client.ok("projects.create", name="old/kid")["id"]
    data = client.ok(
        "projects.update", project=pid, name="new/place", description="d", tags=["b", "a"]
    )
    assert data["updated"] == 1
    assert data["fields"]["name"] == "new/place"
    doc = _project(client, pid)
    assert (doc["name"], doc["description"], doc["tags"]) == ("new/place", "d", ["a", "b"])
    assert _project(client, doc["parent"])["name"] == "new"
    assert _project(client, child)["name"] == "new/place/kid"


def test_rename_onto_existing_name_is_refused(client: ApiClient) -> None:
    client.ok("projects.create", name="one")
    pid = client.ok("projects.create", name="two")["id"]
    assert client.call("projects.update", project=pid, name="one").code == (400, 801)


def test_delete_refuses_projects_with_tasks_unless_forced(client: ApiClient, db: Database) -> None:
    pid = client.ok("projects.create", name="full")["id"]
    child = client.ok("projects.create", name="full/sub")["id"]
    company = _project(client, pid)["company"]
    _insert_task(db, company, child)
    reply = client.call("projects.delete", project=pid)
    assert reply.code == (400, 402)
    counts = client.ok("projects.validate_delete", project=pid)
    assert counts["tasks"] == 1 and counts["non_archived_tasks"] == 1
    data = client.ok("projects.delete", project=pid, force=True)
    assert data["deleted"] == 1 and data["disassociated_tasks"] == 1
    assert client.call("projects.get_by_id", project=child).code == (400, 401)
    with db.read() as tx:
        (doc, _), *_ = TASKS.get(tx, ["t-" + child], [company]).values()
    assert "project" not in doc


def test_delete_contents_removes_tasks(client: ApiClient, db: Database) -> None:
    pid = client.ok("projects.create", name="gone")["id"]
    company = _project(client, pid)["company"]
    _insert_task(db, company, pid)
    data = client.ok("projects.delete", project=pid, force=True, delete_contents=True)
    assert data["deleted_tasks"] == 1
    with db.read() as tx:
        assert TASKS.get(tx, ["t-" + pid], [company]) == {}


def test_delete_empty_project(client: ApiClient) -> None:
    pid = client.ok("projects.create", name="empty")["id"]
    assert client.ok("projects.delete", project=pid)["deleted"] == 1
    assert client.call("projects.delete", project=pid).code == (400, 401)


def _insert_task(db: Database, company: str, project: str) -> None:
    with db.write() as tx:
        TASKS.insert(
            tx,
            {
                "id": "t-" + project,
                "company": company,
                "name": "t",
                "type": "training",
                "status": "created",
                "project": project,
                "tags": [],
                "system_tags": [],
            },
        )
