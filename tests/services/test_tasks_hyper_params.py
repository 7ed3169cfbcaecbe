"""tasks.edit_hyper_params, get_hyper_params, delete_hyper_params."""

from __future__ import annotations

from tests.services.tasks_support import get, new_task, task_in
from tests.support import ApiClient


def _p(section: str, name: str, value: str) -> dict[str, str]:
    return {"section": section, "name": name, "value": value, "type": "str"}


def test_edit_merge_section_and_all(client: ApiClient) -> None:
    task = new_task(client)
    client.ok(
        "tasks.edit_hyper_params", task=task, hyperparams=[_p("A", "x", "1"), _p("B", "y", "2")]
    )
    client.ok("tasks.edit_hyper_params", task=task, hyperparams=[_p("A", "z", "3")])
    assert set(get(client, task)["hyperparams"]["A"]) == {"x", "z"}
    client.ok(
        "tasks.edit_hyper_params",
        task=task,
        hyperparams=[_p("A", "w", "4")],
        replace_hyperparams="section",
    )
    hyper = get(client, task)["hyperparams"]
    assert set(hyper["A"]) == {"w"} and set(hyper["B"]) == {"y"}
    client.ok(
        "tasks.edit_hyper_params",
        task=task,
        hyperparams=[_p("C", "v", "5")],
        replace_hyperparams="all",
    )
    assert set(get(client, task)["hyperparams"]) == {"C"}


def test_get_hyper_params(client: ApiClient) -> None:
    a, b = new_task(client), new_task(client)
    client.ok("tasks.edit_hyper_params", task=a, hyperparams=[_p("A", "x", "1")])
    data = client.ok("tasks.get_hyper_params", tasks=[a, b])
    assert data == {
        "params": [
            {"task": a, "hyperparams": [_p("A", "x", "1")]},
            {"task": b, "hyperparams": []},
        ]
    }
    reply = client.call("tasks.get_hyper_params", tasks=[a, "nope"])
    assert reply.code == (400, 101) and reply.msg == "Invalid task id: ids=(nope)"


def test_delete_params_and_sections(client: ApiClient) -> None:
    task = new_task(client)
    client.ok(
        "tasks.edit_hyper_params",
        task=task,
        hyperparams=[_p("A", "x", "1"), _p("A", "y", "2"), _p("B", "z", "3")],
    )
    data = client.ok(
        "tasks.delete_hyper_params",
        task=task,
        hyperparams=[{"section": "A", "name": "x"}, {"section": "B"}],
    )
    assert data == {"deleted": 2}
    assert get(client, task)["hyperparams"] == {"A": {"y": _p("A", "y", "2")}}


def test_force_allows_running_tasks_only(client: ApiClient) -> None:
    task = task_in(client, "in_progress")
    item = [_p("A", "x", "1")]
    assert client.call("tasks.edit_hyper_params", task=task, hyperparams=item).code == (400, 110)
    client.ok("tasks.edit_hyper_params", task=task, hyperparams=item, force=True)
    done = task_in(client, "completed")
    reply = client.call("tasks.edit_hyper_params", task=done, hyperparams=item, force=True)
    assert reply.code == (400, 110)
