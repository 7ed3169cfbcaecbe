"""tasks.create (SEMANTICS §5.3, §7.3)."""

from __future__ import annotations

import pytest

from taskyard.store.db import Database
from tests.services.tasks_support import add_model, add_project, get, make_public, new_task
from tests.support import ApiClient


def test_reply_is_the_new_id_and_status_is_created(client: ApiClient) -> None:
    data = client.ok("tasks.create", name="  my task ", type="testing", status="completed")
    assert set(data) == {"id"}
    doc = get(client, data["id"])
    assert doc["name"] == "my task" and doc["status"] == "created" and doc["type"] == "testing"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "training"}, "Validation error (error for field 'name'. field is required!)"),
        ({"name": "abc"}, "Validation error (error for field 'type'. field is required!)"),
        (
            {"name": 5, "type": "training"},
            "Validation error (error for field 'name': "
            "('value is wrong, expected type \"str\"', 5).)",
        ),
    ],
)
def test_validation_errors(client: ApiClient, body: dict[str, object], message: str) -> None:
    reply = client.call("tasks.create", **body)
    assert reply.code == (400, 12)
    assert reply.msg == message


def test_bad_type_is_a_validation_error(client: ApiClient) -> None:
    reply = client.call("tasks.create", name="abc", type="foo")
    assert reply.code == (400, 12)
    assert "'type'" in reply.msg and "not a valid choice" in reply.msg


def test_short_name_is_a_data_validation_error(client: ApiClient) -> None:
    reply = client.call("tasks.create", name=" ab ", type="training")
    assert reply.code == (400, 800)
    assert reply.msg == "Data validation error: name=String value is too short"


def test_tags_are_deduplicated_and_sorted(client: ApiClient) -> None:
    doc = get(client, new_task(client, tags=["z", "a", "z"], system_tags=["y", "y"]))
    assert doc["tags"] == ["a", "z"] and doc["system_tags"] == ["y"]


def test_unsupported_tag_prefix(client: ApiClient) -> None:
    reply = client.call("tasks.create", name="abc", type="training", tags=["__$all"])
    assert reply.code == (400, 16)
    assert reply.msg == "Invalid value for fields (unsupported tag prefix): values=(__$all)"


def test_reserved_tags_move_to_system_tags_below_2_3(client: ApiClient) -> None:
    task = new_task(client, version="2.2", tags=["mine", "Development", "annotated"])
    doc = get(client, task)
    assert doc["tags"] == ["mine"]
    assert doc["system_tags"] == ["Development", "annotated"]
    doc = get(client, new_task(client, tags=["mine", "development"]))
    assert doc["tags"] == ["development", "mine"] and doc["system_tags"] == []


def test_project_must_exist_in_the_callers_company(
    client: ApiClient, other_client: ApiClient, db: Database
) -> None:
    company = get(client, new_task(client))["company"]
    reply = client.call("tasks.create", name="abc", type="training", project="nope")
    assert reply.code == (400, 401)
    assert reply.msg == "Invalid project id: id=nope"
    other_company = get(other_client, new_task(other_client))["company"]
    foreign = add_project(db, other_company)
    assert client.call("tasks.create", name="abc", type="training", project=foreign).code == (
        400,
        401,
    )
    mine = add_project(db, company)
    assert get(client, new_task(client, project=mine))["project"] == mine


@pytest.mark.public_rows
def test_parent_must_be_readable(client: ApiClient, other_client: ApiClient, db: Database) -> None:
    reply = client.call("tasks.create", name="abc", type="training", parent="nope")
    assert reply.code == (400, 101)
    assert reply.msg == "Invalid task id (invalid parent): parent=nope"
    foreign = new_task(other_client)
    assert client.call("tasks.create", name="abc", type="training", parent=foreign).code == (
        400,
        101,
    )
    make_public(db, foreign)
    assert get(client, new_task(client, parent=foreign))["parent"] == foreign


def test_input_model_must_exist(client: ApiClient, db: Database) -> None:
    reply = client.call(
        "tasks.create", version="2.1", name="abc", type="training", execution={"model": "m1"}
    )
    assert reply.code == (400, 201)
    assert reply.msg == "Invalid model id: model=m1"
    reply = client.call(
        "tasks.create",
        name="abc",
        type="training",
        models={"input": [{"name": "in", "model": "m1"}]},
    )
    assert reply.code == (400, 201)
    assert reply.msg == "Invalid model id: models=(m1)"
    company = get(client, new_task(client))["company"]
    model = add_model(db, company)
    task = new_task(client, version="2.1", execution={"model": model})
    assert get(client, task, "2.1")["execution"]["model"] == model
    assert get(client, task, "2.12")["execution"]["model"] == model
    modern = get(client, task)
    assert "model" not in modern["execution"]
    assert modern["models"]["input"] == [{"name": "input", "model": model}]


def test_seed_script_needs_repository_and_entry_point(client: ApiClient) -> None:
    reply = client.call(
        "tasks.create", version="2.1", name="abc", type="training", script={"repository": "r"}
    )
    assert reply.code == (400, 800)
    task = new_task(client, version="2.1", script={"repository": "r", "entry_point": " main.py "})
    assert get(client, task, "2.1")["script"] == {
        "binary": "python",
        "requirements": {},
        "repository": "r",
        "entry_point": "main.py",
    }
    modern = get(client, new_task(client, script={"repository": "r"}))
    assert modern["script"]["entry_point"] == "" and modern["script"]["binary"] == "python"


def test_unknown_script_key_is_a_validation_error(client: ApiClient) -> None:
    reply = client.call("tasks.create", name="abc", type="training", script={"bogus": 1})
    assert reply.code == (400, 12)
    assert reply.msg == "Validation error: document=Script, field=bogus"


def test_unknown_execution_keys_seed_refuses_modern_drops(client: ApiClient) -> None:
    reply = client.call(
        "tasks.create", version="2.1", name="abc", type="training", execution={"bogus": 1}
    )
    assert reply.code == (400, 12)
    assert reply.msg == "Validation error: document=Execution, field=bogus"
    task = new_task(client, execution={"dataviews": [], "framework": "pt"})
    assert "dataviews" not in get(client, task)["execution"]
    assert get(client, task)["execution"]["framework"] == "pt"


def test_parameter_keys_with_whitespace(client: ApiClient) -> None:
    reply = client.call(
        "tasks.create",
        version="2.1",
        name="abc",
        type="training",
        execution={"parameters": {"a b": 1}},
    )
    assert reply.code == (400, 12)
    assert reply.msg == (
        "Validation error (execution.parameters keys contain whitespace): keys=(a b)"
    )


def test_legacy_parameters_are_stored_as_args_hyperparams(client: ApiClient) -> None:
    params = {" lr ": 0.1, "name": "x", "flag": True, "layers": [1, 2]}
    task = new_task(client, version="2.1", execution={"parameters": params})
    assert get(client, task, "2.1")["execution"]["parameters"] == {
        "lr": 0.1,
        "name": "x",
        "flag": True,
        "layers": [1, 2],
    }
    args = get(client, task)["hyperparams"]["Args"]
    assert args["lr"] == {"section": "Args", "name": "lr", "value": "0.1"}
    assert args["layers"]["value"] == "[1,2]"


def test_output_dest_and_unknown_keys(client: ApiClient) -> None:
    task = new_task(client, output_dest="s3://b", input={"view": {}}, error="x", bogus=1)
    doc = get(client, task)
    assert doc["output"] == {"destination": "s3://b"}
    assert "input" not in doc and "bogus" not in doc and "error" not in doc


def test_modern_fields(client: ApiClient) -> None:
    task = new_task(
        client,
        hyperparams={"General": {"lr": {"section": "General", "name": "lr", "value": "0.1"}}},
        configuration={"cfg": {"name": "cfg", "value": "a: 1", "type": "yaml"}},
        container={"image": "python:3"},
        runtime={"progress": "0"},
    )
    doc = get(client, task)
    assert doc["hyperparams"]["General"]["lr"]["value"] == "0.1"
    assert doc["configuration"]["cfg"]["value"] == "a: 1"
    assert doc["container"] == {"image": "python:3"} and doc["runtime"] == {"progress": "0"}
