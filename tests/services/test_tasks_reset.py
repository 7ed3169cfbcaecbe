"""tasks.reset (SEMANTICS §4.2, §4.3, §7.4)."""

from __future__ import annotations

from taskyard.store.db import Database
from tests.services.tasks_support import add_model, get, model_row, new_task, task_in
from tests.support import ApiClient


def _run(client: ApiClient, task: str) -> None:
    client.ok("tasks.started", task=task)
    client.ok(
        "tasks.add_or_update_artifacts",
        task=task,
        force=True,
        artifacts=[
            {"key": "data", "type": "dict", "mode": "input", "uri": "http://f/in"},
            {"key": "stats", "type": "dict", "uri": "http://f/out"},
        ],
    )
    client.ok("tasks.edit", task=task, force=True, runtime={"progress": "50"})
    client.ok("tasks.update", task=task, output__error="boom")
    client.ok("tasks.completed", task=task)


def test_reset_clears_results_and_keeps_definition(client: ApiClient) -> None:
    task = new_task(client, script={"repository": "r"}, comment="keep me")
    _run(client, task)
    data = client.ok("tasks.reset", task=task)
    assert set(data) == {"updated", "fields", "dequeued", "events", "deleted_models", "urls"}
    assert data["urls"] is None and data["updated"] == 1
    assert data["fields"]["status"] == "created" and data["fields"]["started"] is None
    doc = get(client, task)
    assert doc["status"] == "created"
    assert doc["status_reason"] == "reset" and doc["status_message"] == "reset"
    assert [a["key"] for a in doc["execution"]["artifacts"]] == ["data"]
    assert doc["last_iteration"] == 0 and doc["last_metrics"] == {}
    assert "started" not in doc and "completed" not in doc
    assert doc["runtime"] == {} and "error" not in doc["output"]
    assert doc["comment"] == "keep me" and doc["script"]["repository"] == "r"


def test_seed_reset_reply_and_kept_error(client: ApiClient) -> None:
    task = new_task(client)
    _run(client, task)
    data = client.ok("tasks.reset", version="2.1", task=task, status_reason="ignored")
    assert set(data) == {"updated", "fields", "deleted_indices", "frames", "events"}
    assert data["fields"]["last_iteration"] == 0 and data["fields"]["output.model"] is None
    doc = get(client, task)
    assert doc["status_reason"] == "reset" and doc["output"]["error"] == "boom"


def test_clear_all_and_file_urls(client: ApiClient) -> None:
    task = new_task(client, script={"repository": "r"})
    _run(client, task)
    data = client.ok("tasks.reset", task=task, clear_all=True, return_file_urls=True)
    assert data["urls"] == {
        "model_urls": [],
        "event_urls": [],
        "artifact_urls": ["http://f/out"],
    }
    doc = get(client, task)
    assert "script" not in doc and doc["execution"]["artifacts"][0]["key"] == "data"


def test_ready_output_model_blocks_reset_unless_forced(client: ApiClient, db: Database) -> None:
    task = task_in(client, "stopped")
    company = get(client, task)["company"]
    model = add_model(db, company, ready=True)
    client.ok("tasks.add_or_update_model", task=task, name="out", model=model, type="output")
    reply = client.call("tasks.reset", task=task)
    assert reply.code == (400, 123)
    assert reply.msg == (
        f"Task cannot be deleted (has output model, use force=True): task={task}, model={model}"
    )
    assert get(client, task)["status"] == "stopped"
    client.ok("tasks.reset", task=task, force=True)
    assert model_row(db, model) == (f"__DELETED__{task}", True)
    assert get(client, task)["models"]["output"] == []


def test_ready_model_of_the_task_blocks_reset(client: ApiClient, db: Database) -> None:
    task = task_in(client, "stopped")
    company = get(client, task)["company"]
    add_model(db, company, task=task, ready=True)
    reply = client.call("tasks.reset", task=task)
    assert reply.code == (400, 123)
    assert reply.msg == (
        f"Task cannot be deleted (has output models, use force=True): task={task}, models=1"
    )


def test_draft_models_are_deleted(client: ApiClient, db: Database) -> None:
    task = task_in(client, "stopped")
    draft = add_model(db, get(client, task)["company"], task=task, uri="http://f/m.pt")
    data = client.ok("tasks.reset", task=task, return_file_urls=True)
    assert data["deleted_models"] == 1 and data["urls"]["model_urls"] == ["http://f/m.pt"]
    assert model_row(db, draft) is None


def test_published_child_blocks_reset_and_children_keep_their_parent(
    client: ApiClient,
) -> None:
    task = task_in(client, "stopped")
    child = task_in(client, "published", parent=task)
    reply = client.call("tasks.reset", task=task)
    assert reply.code == (400, 123)
    assert reply.msg == (
        f"Task cannot be deleted (has children, use force=True): task={task}, children=({child})"
    )
    client.ok("tasks.reset", task=task, force=True)
    assert get(client, child)["parent"] == task
