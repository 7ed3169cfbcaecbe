"""tasks.get_by_id (SEMANTICS §3, §5.1)."""

from __future__ import annotations

import re

import pytest

from taskyard.store.db import Database
from tests.services.tasks_support import get, make_public, new_task
from tests.support import ApiClient

SEED_KEYS = {
    "id",
    "company",
    "user",
    "name",
    "type",
    "status",
    "created",
    "last_update",
    "last_iteration",
    "last_metrics",
    "tags",
    "system_tags",
    "output",
    "execution",
}


def test_seed_document_of_a_minimal_task(client: ApiClient) -> None:
    task = new_task(client, "test", version="2.1")
    doc = get(client, task, "2.1")
    assert set(doc) >= SEED_KEYS
    assert "script" not in doc and "hyperparams" not in doc and "models" not in doc
    assert doc["status"] == "created" and doc["type"] == "training"
    assert doc["last_iteration"] == 0 and doc["last_metrics"] == {}
    assert doc["tags"] == [] and doc["system_tags"] == [] and doc["output"] == {}
    assert doc["execution"] == {
        "test_split": 0,
        "parameters": {},
        "model_desc": {},
        "model_labels": {},
        "artifacts": [],
    }
    assert re.fullmatch(r"[0-9a-f]{32}", doc["id"])
    assert doc["created"].endswith("+00:00") and doc["created"] == doc["last_update"]


def test_modern_document_has_head_defaults(client: ApiClient) -> None:
    doc = get(client, new_task(client))
    assert doc["script"] == {"binary": "python", "repository": "", "entry_point": ""}
    assert doc["models"] == {"input": [], "output": []}
    assert doc["hyperparams"] == {} and doc["configuration"] == {}
    assert doc["runtime"] == {} and doc["container"] == {}
    assert doc["execution"]["artifacts"] == []
    assert "parameters" not in doc["execution"] and "model" not in doc["execution"]
    assert not any(key.startswith("_") for key in doc)


def test_unknown_id_messages_per_version(client: ApiClient) -> None:
    company = get(client, new_task(client))["company"]
    reply = client.call("tasks.get_by_id", version="2.1", task="nope")
    assert reply.code == (400, 101)
    assert reply.msg == f"Invalid task id: id=nope, company={company}"
    reply = client.call("tasks.get_by_id", task="nope")
    assert reply.code == (400, 101)
    assert reply.msg == "Invalid task id: ids=(nope)"


def test_other_companies_tasks_are_invisible(client: ApiClient, other_client: ApiClient) -> None:
    task = new_task(client)
    assert other_client.call("tasks.get_by_id", task=task).code == (400, 101)


@pytest.mark.public_rows
def test_public_tasks_are_readable_by_everyone(
    client: ApiClient, other_client: ApiClient, db: Database
) -> None:
    task = new_task(client)
    make_public(db, task)
    assert get(other_client, task)["company"] == ""


def test_missing_task_field_is_a_validation_error(client: ApiClient) -> None:
    reply = client.call("tasks.get_by_id")
    assert reply.code == (400, 12)
    assert reply.msg == "Validation error (error for field 'task'. field is required!)"


def test_tags_are_merged_below_2_3(client: ApiClient) -> None:
    task = new_task(client, tags=["b", "a", "b"], system_tags=["development"])
    assert get(client, task)["tags"] == ["a", "b"]
    old = get(client, task, "2.2")
    assert old["tags"] == ["a", "b", "development"]
    assert old["system_tags"] == ["development"]
