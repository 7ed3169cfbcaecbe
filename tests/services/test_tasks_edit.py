"""tasks.edit (SEMANTICS §5.6)."""

from __future__ import annotations

from taskyard.store.db import Database
from tests.services.tasks_support import add_model, get, new_task, task_in
from tests.support import ApiClient


def test_only_created_tasks_unless_forced(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    reply = client.call("tasks.edit", task=task, comment="x")
    assert reply.code == (400, 110)
    assert reply.msg == "Invalid task status: expected=created, status=in_progress"
    client.ok("tasks.edit", task=task, comment="x", force=True)
    assert get(client, task)["comment"] == "x"


def test_reply_and_shallow_merge_of_embedded_objects(client: ApiClient) -> None:
    task = new_task(
        client,
        script={"repository": "r", "entry_point": "a.py", "branch": "main"},
        execution={"framework": "pt"},
    )
    data = client.ok(
        "tasks.edit",
        task=task,
        script={"entry_point": "b.py"},
        execution={"model_desc": {"x": 1}},
        output_dest="file:///out",
    )
    assert data["updated"] == 1 and "last_update" in data["fields"]
    doc = get(client, task)
    assert doc["script"]["repository"] == "r" and doc["script"]["entry_point"] == "b.py"
    assert doc["script"]["branch"] == "main"
    assert doc["execution"]["framework"] == "pt" and doc["execution"]["model_desc"] == {"x": 1}
    assert doc["output"] == {"destination": "file:///out"}


def test_modern_fields_are_replaced(client: ApiClient) -> None:
    task = new_task(client, runtime={"a": "1", "b": "2"})
    item = {"section": "General", "name": "lr", "value": "0.2", "type": "float"}
    client.ok(
        "tasks.edit",
        task=task,
        force=True,
        runtime={"a": "3"},
        hyperparams={"General": {"lr": item}},
        container={"image": "x"},
    )
    doc = get(client, task)
    assert doc["runtime"] == {"a": "3"}
    assert doc["hyperparams"] == {"General": {"lr": item}}
    assert doc["container"] == {"image": "x"}


def test_status_is_set_directly_but_enum_checked(client: ApiClient) -> None:
    task = new_task(client)
    client.ok("tasks.edit", task=task, status="published")
    assert get(client, task)["status"] == "published"
    reply = client.call("tasks.edit", task=task, status="bogus", force=True)
    assert reply.code == (400, 12)


def test_errors_and_empty_edit(client: ApiClient) -> None:
    reply = client.call("tasks.edit", task="nope", name="abc")
    assert reply.code == (400, 101) and reply.msg == "Invalid task id: id=nope"
    task = new_task(client)
    assert client.call("tasks.edit", task=task, name="xy").code == (400, 800)
    assert client.call("tasks.edit", task=task, parent=task).code == (400, 101)
    assert client.ok("tasks.edit", task=task) == {"updated": 0, "fields": {}}


def test_legacy_fields_below_2_9(client: ApiClient, db: Database) -> None:
    task = new_task(client, version="2.1")
    model = add_model(db, get(client, task)["company"])
    client.ok(
        "tasks.edit", version="2.1", task=task, execution={"parameters": {"a": 1}, "model": model}
    )
    old = get(client, task, "2.1")
    assert old["execution"]["parameters"] == {"a": 1}
    assert old["execution"]["model"] == model
    modern = get(client, task)
    assert modern["hyperparams"]["Args"]["a"]["value"] == "1"
    assert modern["models"]["input"][0]["model"] == model
    # a modern edit of the hyperparameter shows through to old clients, as a string
    client.ok(
        "tasks.edit",
        task=task,
        hyperparams={"Args": {"a": {"section": "Args", "name": "a", "value": "2"}}},
    )
    assert get(client, task, "2.1")["execution"]["parameters"] == {"a": "2"}


def test_sdk_reuse_edit_is_accepted(client: ApiClient) -> None:
    task = task_in(client, "completed")
    client.ok(
        "tasks.edit",
        task=task,
        force=True,
        system_tags=["development"],
        comment="",
        output_dest="",
        execution={
            "parameters": {},
            "model_desc": {},
            "model_labels": {},
            "dataviews": [],
            "artifacts": [],
        },
        script={},
        hyperparams={},
        configuration={},
        models={"input": [], "output": []},
        container={},
    )
    assert get(client, task)["system_tags"] == ["development"]
