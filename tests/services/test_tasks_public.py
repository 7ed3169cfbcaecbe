"""Public tasks (company ""): readable by every company, never writable (SEMANTICS §1.6)."""

from __future__ import annotations

from typing import Any

import pytest

from taskyard.store.db import Database
from tests.services.tasks_support import get, make_public, new_task
from tests.support import ApiClient

pytestmark = pytest.mark.public_rows

WRITES: list[tuple[str, dict[str, Any]]] = [
    ("tasks.update", {"name": "abc"}),
    ("tasks.edit", {"name": "abc", "force": True}),
    ("tasks.started", {}),
    ("tasks.stop", {}),
    ("tasks.stopped", {"force": True}),
    ("tasks.failed", {"force": True}),
    ("tasks.close", {"force": True}),
    ("tasks.completed", {"force": True}),
    ("tasks.publish", {"force": True}),
    ("tasks.reset", {"force": True}),
    ("tasks.delete", {"force": True}),
    ("tasks.set_requirements", {"requirements": {}}),
    ("tasks.edit_hyper_params", {"hyperparams": [], "force": True}),
    ("tasks.add_or_update_artifacts", {"artifacts": [], "force": True}),
]


@pytest.mark.parametrize(("endpoint", "body"), WRITES, ids=[w[0] for w in WRITES])
def test_writes_to_public_tasks_are_forbidden(
    client: ApiClient, other_client: ApiClient, db: Database, endpoint: str, body: dict[str, Any]
) -> None:
    task = new_task(client)
    make_public(db, task)
    before = get(other_client, task)
    reply = other_client.call(endpoint, task=task, **body)
    assert reply.code == (403, 21)
    assert reply.msg == (
        f"Forbidden (modification not allowed) (cannot modify public task(s), ids=('{task}',))"
    )
    assert get(other_client, task) == before


def test_public_tasks_can_be_cloned(
    client: ApiClient, other_client: ApiClient, db: Database
) -> None:
    task = new_task(client, comment="shared")
    make_public(db, task)
    clone = other_client.ok("tasks.clone", task=task)["id"]
    doc = get(other_client, clone)
    assert doc["company"] != "" and doc["comment"] == "shared"
