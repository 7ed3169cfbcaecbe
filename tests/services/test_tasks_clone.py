"""tasks.clone."""

from __future__ import annotations

from taskyard.store.db import Database
from tests.services.tasks_support import add_model, add_project, get, new_task, task_in
from tests.support import ApiClient


def test_clone_copies_the_definition_not_the_results(client: ApiClient) -> None:
    source = new_task(
        client,
        "source task",
        comment="c",
        tags=["t"],
        system_tags=["development", "archived"],
        script={"repository": "r", "entry_point": "main.py"},
        hyperparams={"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}}},
        configuration={"cfg": {"name": "cfg", "value": "x"}},
        output_dest="s3://b",
    )
    client.ok("tasks.started", task=source)
    client.ok(
        "tasks.add_or_update_artifacts",
        task=source,
        force=True,
        artifacts=[{"key": "in", "type": "t", "mode": "input"}, {"key": "out", "type": "t"}],
    )
    data = client.ok("tasks.clone", task=source, new_task_name="the clone", new_task_parent=source)
    assert set(data) == {"id"}
    doc = get(client, data["id"])
    assert doc["status"] == "created" and doc["name"] == "the clone"
    assert doc["parent"] == source and doc["comment"] == "c" and doc["tags"] == ["t"]
    assert doc["system_tags"] == ["development"]
    assert doc["script"]["entry_point"] == "main.py"
    assert doc["hyperparams"]["Args"]["lr"]["value"] == "0.1"
    assert doc["configuration"]["cfg"]["value"] == "x"
    assert [a["key"] for a in doc["execution"]["artifacts"]] == ["in"]
    assert doc["output"] == {"destination": "s3://b"} and doc["models"]["output"] == []
    assert "started" not in doc and doc["last_iteration"] == 0


def test_clone_overrides(client: ApiClient, db: Database) -> None:
    source = task_in(client, "completed")
    company = get(client, source)["company"]
    project = add_project(db, company)
    model = add_model(db, company)
    data = client.ok(
        "tasks.clone",
        task=source,
        new_task_project=project,
        new_task_comment="new",
        new_task_tags=["x"],
        new_task_hyperparams={"S": {"p": {"section": "S", "name": "p", "value": "1"}}},
        new_task_container={"image": "img"},
        new_task_input_models=[{"name": "in", "model": model}],
        execution_overrides={"framework": "tf"},
    )
    doc = get(client, data["id"])
    assert doc["project"] == project and doc["comment"] == "new" and doc["tags"] == ["x"]
    assert doc["hyperparams"] == {"S": {"p": {"section": "S", "name": "p", "value": "1"}}}
    assert doc["container"] == {"image": "img"}
    assert doc["models"]["input"] == [{"name": "in", "model": model}]
    assert doc["execution"]["framework"] == "tf"


def test_clone_errors(client: ApiClient) -> None:
    reply = client.call("tasks.clone", task="nope")
    assert reply.code == (400, 101)
    source = new_task(client)
    reply = client.call("tasks.clone", task=source, new_task_project="nope")
    assert reply.code == (400, 401)
