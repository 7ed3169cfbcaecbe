"""Helpers for the tasks.* tests: tasks in a given status, projects and models in the store."""

from __future__ import annotations

import uuid
from typing import Any

from taskyard.domain import clock
from taskyard.store import tasks as task_store
from taskyard.store.db import Database
from taskyard.store.entities import MODELS, PROJECTS
from tests.support import ApiClient


def new_task(client: ApiClient, name: str = "task one", **fields: Any) -> str:
    fields.setdefault("type", "training")
    task_id: str = client.ok("tasks.create", name=name, **fields)["id"]
    return task_id


def task_in(client: ApiClient, status: str, **fields: Any) -> str:
    """A new task put into `status` directly (edit with force writes any status)."""
    task_id = new_task(client, **fields)
    if status != "created":
        client.ok("tasks.edit", task=task_id, status=status, force=True)
    return task_id


def get(client: ApiClient, task_id: str, version: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = client.ok("tasks.get_by_id", version, task=task_id)["task"]
    return doc


def company_of(client: ApiClient, task_id: str) -> str:
    return str(get(client, task_id)["company"])


def add_project(db: Database, company: str, name: str | None = None) -> str:
    project_id = uuid.uuid4().hex
    now = clock.now()
    with db.write() as tx:
        PROJECTS.insert(
            tx,
            {
                "id": project_id,
                "company": company,
                "name": name or f"project-{project_id[:6]}",
                "created": now,
                "last_update": now,
                "tags": [],
                "system_tags": [],
            },
        )
    return project_id


def add_model(
    db: Database, company: str, *, task: str | None = None, ready: bool = False, uri: str = ""
) -> str:
    model_id = uuid.uuid4().hex
    now = clock.now()
    with db.write() as tx:
        MODELS.insert(
            tx,
            {
                "id": model_id,
                "company": company,
                "name": f"model-{model_id[:6]}",
                "created": now,
                "last_update": now,
                "tags": [],
                "system_tags": [],
                "ready": ready,
                "task": task,
                "uri": uri or None,
            },
        )
    return model_id


def model_row(db: Database, model_id: str) -> tuple[Any, ...] | None:
    with db.read() as tx:
        return tx.query_one("SELECT task, ready FROM models WHERE id = ?", (model_id,))


def make_public(db: Database, task_id: str) -> None:
    """Move a task to company "" (tests calling this are marked `public_rows`)."""
    from tests.conftest import PUBLIC_ROW_URLS

    assert db.url in PUBLIC_ROW_URLS, "mark the test `public_rows`: public rows leak otherwise"
    with db.write() as tx:
        task_store.update_fields(tx, task_id, {"company": ""})  # its doc copy too
