"""tasks.set_requirements (SEMANTICS §5.7)."""

from __future__ import annotations

from tests.services.tasks_support import get, new_task, task_in
from tests.support import ApiClient


def test_sets_requirements_in_any_status(client: ApiClient) -> None:
    task = task_in(client, "published", script={"repository": "r", "requirements": {"a": "1"}})
    reqs = {"pip": "numpy\n", "conda": ""}
    data = client.ok("tasks.set_requirements", task=task, requirements=reqs)
    assert data == {"updated": 1, "fields": {"script.requirements": reqs}}
    doc = get(client, task)
    assert doc["script"]["requirements"] == reqs and doc["script"]["repository"] == "r"


def test_seed_task_without_script(client: ApiClient) -> None:
    task = new_task(client, version="2.1")
    reply = client.call("tasks.set_requirements", version="2.1", task=task, requirements={})
    assert reply.code == (400, 122)
    assert reply.msg == f"Task is missing expected fields (Task has no script field): task={task}"
    client.ok("tasks.set_requirements", task=task, requirements={"pip": "x"})
    assert get(client, task)["script"]["requirements"] == {"pip": "x"}


def test_requirements_are_required(client: ApiClient) -> None:
    reply = client.call("tasks.set_requirements", task=new_task(client))
    assert reply.code == (400, 12)
    assert reply.msg == "Validation error (error for field 'requirements'. field is required!)"
