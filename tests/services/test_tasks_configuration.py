"""tasks.edit_configuration, get_configurations, get_configuration_names, delete_configuration."""

from __future__ import annotations

from tests.services.tasks_support import get, new_task
from tests.support import ApiClient


def _c(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value, "type": "yaml", "description": "d"}


def test_edit_and_get(client: ApiClient) -> None:
    task = new_task(client)
    assert client.ok(
        "tasks.edit_configuration", task=task, configuration=[_c("a", "1"), _c("b", "")]
    ) == {"updated": 1}
    client.ok("tasks.edit_configuration", task=task, configuration=[_c("a", "2")])
    assert get(client, task)["configuration"]["a"]["value"] == "2"
    data = client.ok("tasks.get_configurations", tasks=[task], names=["a"])
    assert data == {"configurations": [{"task": task, "configuration": [_c("a", "2")]}]}
    names = client.ok("tasks.get_configuration_names", tasks=[task])
    assert names == {"configurations": [{"task": task, "names": ["a"]}]}
    names = client.ok("tasks.get_configuration_names", tasks=[task], skip_empty=False)
    assert names["configurations"][0]["names"] == ["a", "b"]


def test_replace_and_delete(client: ApiClient) -> None:
    task = new_task(client)
    client.ok("tasks.edit_configuration", task=task, configuration=[_c("a", "1"), _c("b", "2")])
    client.ok(
        "tasks.edit_configuration",
        task=task,
        configuration=[_c("c", "3")],
        replace_configuration=True,
    )
    assert set(get(client, task)["configuration"]) == {"c"}
    data = client.ok("tasks.delete_configuration", task=task, configuration=["c", "zz"])
    assert data == {"deleted": 1}
    assert get(client, task)["configuration"] == {}
