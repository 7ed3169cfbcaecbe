"""tasks.archive / unarchive / archive_many / unarchive_many."""

from __future__ import annotations

from tests.services.tasks_support import get, new_task
from tests.support import ApiClient


def test_archive_and_unarchive(client: ApiClient) -> None:
    a, b = new_task(client), new_task(client, system_tags=["archived"])
    assert client.ok("tasks.archive", tasks=[a, b]) == {"archived": 1}
    assert get(client, a)["system_tags"] == ["archived"]
    assert client.ok("tasks.unarchive", tasks=[a, b]) == {"unarchived": 2}
    assert get(client, b)["system_tags"] == []
    reply = client.call("tasks.archive", tasks=[a, "nope"])
    assert reply.code == (400, 101)
    assert get(client, a)["system_tags"] == []


def test_many_variants_report_per_task(client: ApiClient) -> None:
    a = new_task(client)
    data = client.ok("tasks.archive_many", ids=[a, "nope"])
    assert data["succeeded"] == [{"id": a, "archived": True}]
    assert data["failed"][0]["id"] == "nope"
    assert data["failed"][0]["error"]["codes"] == [400, 101]
    data = client.ok("tasks.unarchive_many", ids=[a])
    assert data == {"succeeded": [{"id": a, "unarchived": True}], "failed": []}
