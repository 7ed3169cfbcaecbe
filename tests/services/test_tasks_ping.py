"""tasks.ping (SEMANTICS §5.8)."""

from __future__ import annotations

from tests.services.tasks_support import get, new_task
from tests.support import ApiClient


def test_ping_refreshes_last_update(client: ApiClient) -> None:
    task = new_task(client)
    before = get(client, task)["last_update"]
    assert client.ok("tasks.ping", task=task) == {}
    assert get(client, task)["last_update"] > before


def test_ping_never_errors(client: ApiClient, other_client: ApiClient) -> None:
    assert client.ok("tasks.ping", task="nope") == {}
    task = new_task(client)
    before = get(client, task)["last_update"]
    assert other_client.ok("tasks.ping", task=task) == {}
    assert get(client, task)["last_update"] == before
