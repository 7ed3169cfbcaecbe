"""Two `taskyard serve` processes on one PostgreSQL database behave as one server.

Clients race status changes, edits and event writes through both processes: every accepted
status change must fit the state machine, every acknowledged write must be there at the end,
and the watchdog must have run in exactly one of the two processes.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from taskyard.domain.watchdog import REASON
from taskyard.store import migrations
from taskyard.store.db import Database
from taskyard.store.leader import holder_pid
from tests.conftest import PG_AVAILABLE, drop_pg_database, make_pg_database
from tests.serve_process import ServeProcess
from tests.support import ApiClient, new_account

pytestmark = pytest.mark.skipif(not PG_AVAILABLE, reason="needs PostgreSQL")

# Endpoint → (target status, statuses it may come from without force), from SEMANTICS §4.2.
MOVES: dict[str, tuple[str, frozenset[str]]] = {
    "tasks.started": ("in_progress", frozenset({"created", "stopped", "completed", "in_progress"})),
    "tasks.stopped": ("stopped", frozenset({"in_progress", "closed", "failed", "stopped"})),
    "tasks.failed": ("failed", frozenset({"in_progress", "stopped", "closed", "failed"})),
    "tasks.close": ("closed", frozenset({"stopped", "closed"})),
    "tasks.completed": ("completed", frozenset({"in_progress", "stopped", "completed"})),
    "tasks.reset": (
        "created",
        frozenset({"created", "in_progress", "stopped", "closed", "failed", "completed"}),
    ),
}
LOSER_CODES = {(400, 110), (400, 121)}
WATCHDOG_TIMEOUT_S = 6


@dataclass
class Cluster:
    db_url: str
    servers: list[ServeProcess]
    key: str
    secret: str

    def client(self, i: int) -> ApiClient:
        return ApiClient(self.servers[i % 2].url, self.key, self.secret)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    url = make_pg_database()
    db = Database(url)
    migrations.upgrade(db)
    _, _, key, secret = new_account(db)
    db.close()
    servers: list[ServeProcess] = []
    try:
        for i in range(2):
            servers.append(
                ServeProcess(
                    url,
                    tmp_path_factory.mktemp(f"node{i}"),
                    "--watchdog-interval-s",
                    "1",
                    "--watchdog-timeout-s",
                    str(WATCHDOG_TIMEOUT_S),
                )  # fmt: skip
            )
        yield Cluster(url, servers, key, secret)
    finally:
        for server in servers:
            server.stop()
        drop_pg_database(url)


def _replayable(final: str, successes: Counter[str]) -> bool:
    """Is there an order of the accepted changes that the state machine allows, ending in
    `final`? (The watchdog may also have moved in_progress → stopped at any point.)"""
    names = sorted(successes)

    @functools.cache
    def search(status: str, left: tuple[int, ...]) -> bool:
        if not any(left) and status == final:
            return True
        for i, name in enumerate(names):
            target, sources = MOVES[name]
            if left[i] and status in sources:
                rest = left[:i] + (left[i] - 1,) + left[i + 1 :]
                if search(target, rest):
                    return True
        return status == "in_progress" and search("stopped", left)

    return search("created", tuple(successes[n] for n in names))


def test_status_races_through_two_processes_follow_the_state_machine(cluster: Cluster) -> None:
    setup = cluster.client(0)
    tasks = [setup.ok("tasks.create", name=f"race {i}", type="training")["id"] for i in range(6)]
    setup.close()
    accepted: dict[str, Counter[str]] = {t: Counter() for t in tasks}
    unexpected: list[Any] = []
    lock = threading.Lock()

    def racer(n: int) -> None:
        rnd = random.Random(n)
        client = cluster.client(n)
        try:
            for _ in range(30):
                task, endpoint = rnd.choice(tasks), rnd.choice(sorted(MOVES))
                reply = client.call(endpoint, task=task)
                with lock:
                    if reply.code == (200, 0):
                        accepted[task][endpoint] += 1
                    elif reply.code not in LOSER_CODES:
                        unexpected.append((endpoint, reply.code, reply.msg))
        finally:
            client.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(racer, range(8)))
    assert not unexpected
    reader = cluster.client(1)
    try:
        final = {
            t["id"]: t
            for t in reader.ok("tasks.get_all", id=tasks, only_fields=["status", "status_reason"])[
                "tasks"
            ]
        }
    finally:
        reader.close()
    assert sum(sum(c.values()) for c in accepted.values()) > len(tasks)
    for task in tasks:
        assert _replayable(final[task]["status"], accepted[task]), (final[task], accepted[task])


def test_publish_race_has_exactly_one_winner(cluster: Cluster) -> None:
    """publish does not allow published → published: of concurrent publishes one wins."""
    setup = cluster.client(0)
    tasks = []
    for i in range(6):
        task = setup.ok("tasks.create", name=f"pub {i}", type="training")["id"]
        setup.ok("tasks.started", task=task)
        setup.ok("tasks.stopped", task=task)
        tasks.append(task)
    setup.close()
    codes: dict[str, list[tuple[int, int]]] = {t: [] for t in tasks}
    lock = threading.Lock()

    def publisher(n: int) -> None:
        client = cluster.client(n)
        try:
            for task in tasks:
                code = client.call("tasks.publish", task=task).code
                with lock:
                    codes[task].append(code)
        finally:
            client.close()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(publisher, range(6)))
    for task, got in codes.items():
        assert got.count((200, 0)) == 1, (task, got)
        assert set(got) - {(200, 0)} <= LOSER_CODES
    reader = cluster.client(1)
    statuses = {t["status"] for t in reader.ok("tasks.get_all", id=tasks)["tasks"]}
    reader.close()
    assert statuses == {"published"}


def test_concurrent_edits_and_event_writes_lose_nothing(cluster: Cluster) -> None:
    setup = cluster.client(0)
    task = setup.ok("tasks.create", name="shared", type="training")["id"]
    setup.close()
    keys = ["repository", "branch", "version_num", "entry_point"]
    last_acked: dict[str, str] = {}
    events_acked: Counter[str] = Counter()
    unexpected: list[Any] = []

    def editor(n: int) -> None:
        """Each editor owns one script key; edits merge `script`, so none may be lost."""
        client = cluster.client(n)
        try:
            for i in range(15):
                value = f"{keys[n]}-{i}"
                reply = client.call("tasks.edit", task=task, script={keys[n]: value})
                if reply.code == (200, 0):
                    last_acked[keys[n]] = value
                elif reply.code != (400, 121):
                    unexpected.append(reply.msg)
        finally:
            client.close()

    def reporter(n: int) -> None:
        client = cluster.client(n)
        try:
            for i in range(15):
                events = [
                    {"type": "log", "task": task, "msg": f"r{n} b{i} l{j}", "level": "info",
                     "timestamp": 1_700_000_000_000 + i}
                    for j in range(5)
                ]  # fmt: skip
                reply = client.batch("events.add_batch", events)
                if reply.code == (200, 0):
                    events_acked[f"r{n}"] += len(events)
                else:
                    unexpected.append(reply.msg)
        finally:
            client.close()

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(editor, n) for n in range(4)]
        futures += [pool.submit(reporter, n) for n in range(4)]
        for f in futures:
            f.result()
    assert not unexpected
    reader = cluster.client(1)
    try:
        script = reader.ok("tasks.get_by_id", task=task)["task"]["script"]
        got = reader.ok("events.get_task_log", task=task, batch_size=10_000)
    finally:
        reader.close()
    for key, value in last_acked.items():
        assert script[key] == value
    assert len(last_acked) == len(keys)
    messages = [e["msg"] for e in got["events"]]
    assert len(messages) == len(set(messages)) == sum(events_acked.values())


def _wait(predicate: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_watchdog_runs_in_exactly_one_process(cluster: Cluster) -> None:
    client = cluster.client(0)
    other = cluster.client(1)
    try:
        silent = client.ok("tasks.create", name="silent", type="training")["id"]
        client.ok("tasks.started", task=silent)

        def stopped() -> bool:
            task = other.ok("tasks.get_by_id", task=silent)["task"]
            return bool(task["status"] == "stopped" and task.get("status_reason") == REASON)

        assert _wait(stopped)
    finally:
        client.close()
        other.close()
    db = Database(cluster.db_url)
    try:
        with db.read() as tx:
            rows = tx.query("SELECT holder, affected FROM job_runs WHERE job = 'watchdog'")
    finally:
        db.close()
    holders = {holder for holder, _ in rows}
    assert len(rows) >= 2
    assert len(holders) == 1
    assert holder_pid(holders.pop()) in {s.pid for s in cluster.servers}
    assert sum(affected for _, affected in rows) >= 1
