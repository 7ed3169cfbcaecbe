"""16 clients race status changes on the same tasks through a live server (issue 3).

Every refusal must be 400/110 (not allowed from the status the server saw) or 400/121 (lost
the race); every final status must be one the state machine can reach.
"""

from __future__ import annotations

import random
import threading

from taskyard.domain import states
from tests.services.tasks_support import get, new_task
from tests.support import ApiClient, LiveServer

ENDPOINTS = ("started", "stopped", "completed", "failed", "reset")
CLIENTS = 16
CALLS_PER_CLIENT = 25


def test_racing_status_changes(client: ApiClient, server: LiveServer) -> None:
    tasks = [new_task(client, f"race {i}") for i in range(4)]
    outcomes: list[tuple[int, int]] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        api = ApiClient(server.url, client.access_key, client.secret)
        try:
            for _ in range(CALLS_PER_CLIENT):
                endpoint = rnd.choice(ENDPOINTS)
                reply = api.call(f"tasks.{endpoint}", task=rnd.choice(tasks))
                with lock:
                    outcomes.append(reply.code)
        except BaseException as exc:  # reported below, never swallowed
            failures.append(exc)
        finally:
            api.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(outcomes) == CLIENTS * CALLS_PER_CLIENT
    assert set(outcomes) <= {(200, 0), (400, 110), (400, 121)}
    assert (200, 0) in outcomes
    reachable = states.reachable()
    for task in tasks:
        assert get(client, task)["status"] in reachable
