"""Companies (SEMANTICS §1.6): one company never sees another's rows."""

from __future__ import annotations

from tests.support import ApiClient


def test_rows_of_one_company_are_invisible_to_another(
    client: ApiClient, other_client: ApiClient
) -> None:
    project = client.ok("projects.create", name="private-project", description="x")["id"]
    task = client.ok("tasks.create", name="private task", type="training", project=project)["id"]

    missing = other_client.call("tasks.get_by_id", task=task)
    assert missing.code == (400, 101)
    assert other_client.ok("tasks.get_all", id=[task])["tasks"] == []
    assert other_client.ok("tasks.get_all", name="private")["tasks"] == []
    assert other_client.call("projects.get_by_id", project=project).code[0] == 400
    assert other_client.call("tasks.edit", task=task, name="stolen").code == (400, 101)

    assert client.ok("tasks.get_by_id", task=task)["task"]["name"] == "private task"
    assert [t["id"] for t in client.ok("tasks.get_all", id=[task])["tasks"]] == [task]
