"""Crash safety: SIGKILL a loaded `taskyard serve`, restart it on the same data, lose nothing.

32 clients create tasks, move them through statuses and report scalar batches. Each client
works on its own tasks, strictly one request at a time, so its log says exactly what the
server acknowledged (a 200 reply was read) and which single request was in flight when the
server died. After the restart:

* every acknowledged write is there (task fields, status, every event of every batch);
* the one in-flight request of each client is all-or-nothing: a task exists with all its fields
  or not at all; a status is the old or the new one; an events batch is either wholly in the
  events table *and* counted in `last_metrics`, or absent from both;
* SQLite's `PRAGMA integrity_check` is `ok`; on PostgreSQL the events table and the tasks'
  `last_metrics` agree row for row.

`TASKYARD_CRASH_CYCLES` (default 1) repeats load → kill → restart → verify on the same data;
`scripts/soak` runs many cycles.
"""

from __future__ import annotations

import base64
import os
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from taskyard.store import migrations
from taskyard.store.db import Database
from tests.conftest import drop_pg_database, fresh_database_url
from tests.procserver import ServeProcess
from tests.support import ApiClient, new_account

CYCLES = int(os.environ.get("TASKYARD_CRASH_CYCLES", "1"))
CLIENTS = 32
VARIANTS = 8  # scalar events per batch: one per variant, all at the same iteration
MIN_ACKED = 300  # acknowledged requests before the kill, at least
FINALS = {"stopped": "stopped", "completed": "completed", "failed": "failed"}


@dataclass
class TaskLog:
    """What one client did to one task, in order."""

    name: str
    fields: dict[str, Any]
    created: bool | None = None  # True acked, None in flight at the crash
    task_id: str | None = None
    status: str = "created"  # after the last acknowledged status change
    pending_status: str | None = None  # target of a status change in flight at the crash
    batches: list[int] = field(default_factory=list)  # acknowledged iterations
    pending_batch: int | None = None  # iteration of a batch in flight at the crash


class Crashed(Exception):
    """The server went away mid-request."""


class Worker(threading.Thread):
    def __init__(
        self, url: str, auth: str, project: str, tag: str, index: int, stop: threading.Event
    ) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=url, timeout=httpx.Timeout(30), headers={})
        self.auth = auth
        self.project = project
        self.tag = tag
        self.index = index
        self.stop_event = stop
        self.logs: list[TaskLog] = []
        self.acked = 0
        self.error: str | None = None
        self.rng = random.Random(f"{tag}-{index}")

    def call(self, endpoint: str, body: Any, *, lines: bool = False) -> dict[str, Any]:
        if lines:
            content = b"\n".join(orjson.dumps(item) for item in body)
            ctype = "application/json-lines"
        else:
            content, ctype = orjson.dumps(body), "application/json"
        try:
            response = self.http.post(
                f"/v2.23/{endpoint}",
                content=content,
                headers={"Authorization": self.auth, "Content-Type": ctype},
            )
            reply: dict[str, Any] = response.json()
        except (httpx.TransportError, ValueError) as exc:
            raise Crashed(str(exc)) from None
        meta = reply["meta"]
        if response.status_code != 200 or meta["result_code"] != 200:
            raise AssertionError(f"{endpoint}: {meta['result_code']}/{meta['result_subcode']} "
                                 f"{meta['result_msg']}")  # fmt: skip
        self.acked += 1
        data: dict[str, Any] = reply["data"]
        return data

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                self.one_task()
        except Crashed:
            pass
        except Exception as exc:  # reported by the test, not swallowed
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.http.close()

    def one_task(self) -> None:
        name = f"crash-{self.tag}-{self.index}-{uuid.uuid4().hex[:10]}"
        fields = {
            "name": name,
            "type": "training",
            "comment": f"comment of {name}",
            "tags": [f"t{self.index}", self.tag],
            "project": self.project,
            "script": {"repository": f"https://git.example/{name}", "entry_point": "train.py"},
        }
        log = TaskLog(name, fields)
        self.logs.append(log)
        log.created = None
        log.task_id = self.call("tasks.create", fields)["id"]
        log.created = True
        self.change(log, "tasks.started", "in_progress")
        for iteration in range(1, self.rng.randint(2, 5)):
            log.pending_batch = iteration
            events = [
                {
                    "task": log.task_id,
                    "type": "training_stats_scalar",
                    "metric": "loss",
                    "variant": f"v{v}",
                    "iter": iteration,
                    "value": float(iteration),
                    "timestamp": int(time.time() * 1000),
                }
                for v in range(VARIANTS)
            ]
            data = self.call("events.add_batch", events, lines=True)
            assert data["added"] == VARIANTS, data
            log.batches.append(iteration)
            log.pending_batch = None
        final = self.rng.choice(list(FINALS))
        self.change(log, f"tasks.{final}", FINALS[final])

    def change(self, log: TaskLog, endpoint: str, target: str) -> None:
        log.pending_status = target
        self.call(endpoint, {"task": log.task_id})
        log.status, log.pending_status = target, None


@dataclass
class Setup:
    backend: str
    url: str
    data_dir: Path
    company: str
    key: str
    secret: str


@pytest.fixture
def setup(backend: str, tmp_path: Path) -> Iterator[Setup]:
    url = fresh_database_url(backend, tmp_path)
    database = Database(url)
    migrations.upgrade(database)
    company, _, key, secret = new_account(database)
    database.close()
    yield Setup(backend, url, tmp_path / "data", company, key, secret)
    if backend == "postgres":
        drop_pg_database(url)


def _bearer(url: str, key: str, secret: str) -> str:
    api = ApiClient(url, key, secret)
    try:
        return "Bearer " + api.ok("auth.login", version="")["token"]
    finally:
        api.close()


def run_load_and_kill(server: ServeProcess, s: Setup, project: str, cycle: int) -> list[Worker]:
    basic = "Basic " + base64.b64encode(f"{s.key}:{s.secret}".encode()).decode()
    bearer = _bearer(server.url, s.key, s.secret)
    stop = threading.Event()
    tag = f"c{cycle}-{uuid.uuid4().hex[:6]}"
    workers = [
        Worker(server.url, basic if i % 2 else bearer, project, tag, i, stop)
        for i in range(CLIENTS)
    ]
    for w in workers:
        w.start()
    rng = random.Random()
    not_before = time.monotonic() + rng.uniform(0.5, 2.0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(w.error for w in workers) or not any(w.is_alive() for w in workers):
            break
        if time.monotonic() >= not_before and sum(w.acked for w in workers) >= MIN_ACKED:
            break
        time.sleep(0.01)
    server.kill()  # mid-load: requests are in flight right now
    stop.set()
    for w in workers:
        w.join(60)
        assert not w.is_alive(), "a client hung after the server died"
    errors = [w.error for w in workers if w.error]
    assert not errors, errors
    return workers


def check_database(s: Setup) -> None:
    if s.backend == "sqlite":
        path = s.url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            conn.close()


def verify(s: Setup, server: ServeProcess, logs: list[TaskLog]) -> Counter[str]:
    """Every acknowledged write is there; every in-flight one is all-or-nothing."""
    check_database(s)
    database = Database(s.url)
    api = ApiClient(server.url, s.key, s.secret)
    stats: Counter[str] = Counter()
    try:
        with database.read() as tx:
            by_name = dict(tx.query("SELECT name, id FROM tasks WHERE company = ?", (s.company,)))
        for log in logs:
            task_id = log.task_id or by_name.get(log.name)
            if log.created is None:
                if task_id is None:
                    stats["in_flight_create_absent"] += 1
                    continue
                stats["in_flight_create_applied"] += 1
            assert task_id is not None, f"acknowledged task {log.name} is missing"
            assert by_name.get(log.name) == task_id
            doc = api.ok("tasks.get_by_id", task=task_id)["task"]
            stats["tasks"] += 1
            check_task(log, doc)
            with database.read() as tx:
                rows = tx.query(
                    "SELECT iter, COUNT(*) FROM events WHERE task = ? GROUP BY iter", (task_id,)
                )
            check_events(log, dict(rows), doc)
            if log.pending_status:
                landed = doc["status"] == log.pending_status != log.status
                stats["in_flight_status_" + ("applied" if landed else "absent")] += 1
            if log.pending_batch is not None:
                landed = bool(dict(rows).get(log.pending_batch))
                stats["in_flight_batch_" + ("applied" if landed else "absent")] += 1
    finally:
        api.close()
        database.close()
    return stats


def check_task(log: TaskLog, doc: dict[str, Any]) -> None:
    f = log.fields
    assert doc["name"] == f["name"]
    assert doc["type"] == f["type"]
    assert doc["comment"] == f["comment"]
    assert sorted(doc["tags"]) == sorted(f["tags"])
    assert doc["project"] == f["project"]
    assert doc["script"]["repository"] == f["script"]["repository"]
    assert doc["script"]["entry_point"] == f["script"]["entry_point"]
    allowed = {log.status} | ({log.pending_status} if log.pending_status else set())
    assert doc["status"] in allowed, (log.name, doc["status"], allowed)


def check_events(log: TaskLog, per_iter: dict[int, int], doc: dict[str, Any]) -> None:
    expected = {i: VARIANTS for i in log.batches}
    if log.pending_batch is not None and per_iter.get(log.pending_batch):
        expected[log.pending_batch] = VARIANTS  # the in-flight batch landed: wholly
    assert per_iter == expected, (log.name, per_iter, expected)
    # last_metrics was updated in the same transaction as the events: same count, every variant
    entries = [v for variants in doc.get("last_metrics", {}).values() for v in variants.values()]
    if not expected:
        assert entries == []
        return
    assert sorted(e["variant"] for e in entries) == [f"v{v}" for v in range(VARIANTS)]
    assert {e["count"] for e in entries} == {len(expected)}, (log.name, entries)
    assert {e["value"] for e in entries} == {float(max(expected))}
    assert doc["last_iteration"] == max(expected)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_under_load_loses_no_acknowledged_write(setup: Setup, workers: int) -> None:
    """With 2 workers the kill also hits a process mid-transaction while another waits."""
    s = setup
    server = ServeProcess(
        s.data_dir,
        s.url,
        log_path=s.data_dir.parent / "serve.log",
        extra_args=("--workers", str(workers)),
    )
    server.start()
    api = ApiClient(server.url, s.key, s.secret)
    project = api.ok("projects.create", name=f"crash-{uuid.uuid4().hex[:6]}", description="x")["id"]
    api.close()
    logs: list[TaskLog] = []
    try:
        for cycle in range(CYCLES):
            workers = run_load_and_kill(server, s, project, cycle)
            acked = sum(w.acked for w in workers)
            assert acked >= MIN_ACKED, f"only {acked} requests acknowledged before the kill"
            for w in workers:
                logs.extend(w.logs)
            server.start()  # same data directory and database
            stats = verify(s, server, logs)
            print(f"cycle {cycle}: {acked} acknowledged requests, {dict(sorted(stats.items()))}")
        # the restarted server takes writes as usual
        api = ApiClient(server.url, s.key, s.secret)
        try:
            task = api.ok("tasks.create", name="after-the-crash", type="training")["id"]
            assert api.ok("tasks.get_by_id", task=task)["task"]["name"] == "after-the-crash"
        finally:
            api.close()
    finally:
        server.stop()
    check_database(s)
