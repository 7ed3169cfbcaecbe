"""The same request at /v2.2 and /v2.23 gets each version's behaviour (SEMANTICS §7.2)."""

from __future__ import annotations

from tests.services.tasks_support import get, task_in
from tests.support import ApiClient


def test_tags_differ_between_2_2_and_2_23(client: ApiClient) -> None:
    task = task_in(client, "created", tags=["mine"], system_tags=["development"])
    assert get(client, task, "2.2")["tags"] == ["development", "mine"]
    assert get(client, task, "2.23")["tags"] == ["mine"]


def test_stop_differs_between_2_2_and_2_23(client: ApiClient) -> None:
    old = task_in(client, "in_progress")
    client.ok("tasks.stop", version="2.2", task=old)
    assert get(client, old)["status"] == "in_progress"
    new = task_in(client, "in_progress")
    client.ok("tasks.stop", version="2.23", task=new)
    assert get(client, new)["status"] == "stopped"


def test_parameters_differ_between_2_2_and_2_23(client: ApiClient) -> None:
    task = task_in(client, "created")
    client.ok("tasks.edit", version="2.2", task=task, execution={"parameters": {"x": 3}})
    assert get(client, task, "2.2")["execution"]["parameters"] == {"x": 3}
    modern = get(client, task, "2.23")
    assert "parameters" not in modern["execution"]
    assert modern["hyperparams"]["Args"]["x"]["value"] == "3"
    assert not [k for k in modern if k.startswith("_")]  # what 2.2 parameters left stays hidden
