"""Races: concurrent edits, status changes, deletes and resets of the same tasks.

Every test runs on both backends and two topologies: `one` (the shared in-process server) and
`two` (two `taskyard serve` processes on one database, clients alternating between them — the
topology where writes really interleave). Invariants:

* a loser is answered 400/110 (invalid status change), 400/121 (someone changed it first) or
  400/101 (it was deleted first) — never 500, never a silent overwrite;
* no lost update: every write that was answered 200 is visible afterwards;
* no invalid transition: the successful status changes, ordered by their `status_changed`,
  form a path of allowed transitions (SEMANTICS §4.1);
* exactly one winner where only one can win (publish, delete).

`TASKYARD_RACE_ROUNDS` (default 3) repeats each race.
"""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from taskyard.store import migrations
from taskyard.store.db import Database
from tests.conftest import drop_pg_database, fresh_database_url
from tests.procserver import ServeProcess
from tests.support import ApiClient, LiveServer, Reply, new_account

ROUNDS = int(os.environ.get("TASKYARD_RACE_ROUNDS", "3"))
THREADS = 12
LOSERS = {(400, 110), (400, 121), (400, 101)}

# SEMANTICS §4.1 (HEAD column, the behaviour at version ≥ 2.9), plus same-state changes.
ALLOWED = {
    "created": {"in_progress", "queued"},
    "queued": {"created", "in_progress", "stopped"},
    "in_progress": {"stopped", "failed", "created", "completed"},
    "stopped": {"closed", "created", "failed", "in_progress", "published", "publishing",
                "completed", "queued"},
    "closed": {"created", "failed", "published", "publishing", "stopped"},
    "failed": {"created", "stopped", "published", "queued"},
    "publishing": {"published"},
    "published": set(),
    "completed": {"published", "in_progress", "created"},
}  # fmt: skip
PUBLISH_FROM = {"stopped", "closed", "failed", "completed", "publishing"}


@dataclass
class Target:
    urls: list[str]
    key: str
    secret: str
    db: Database
    name: str  # "<topology>-<backend>"

    def client(self, index: int = 0) -> ApiClient:
        return ApiClient(self.urls[index % len(self.urls)], self.key, self.secret)

    def status_log(self, task: str) -> list[tuple[str, str]]:
        """Every status change of `task` as committed, in commit order (see STATUS_LOG)."""
        with self.db.read() as tx:
            rows = tx.query("SELECT old, new FROM status_log WHERE task = ? ORDER BY id", (task,))
        return [(r[0], r[1]) for r in rows]


# A trigger records every committed status change of a task, in the order the row was written
# (row locks serialise writers of one task, so the log's ids follow the commit order). This is
# test instrumentation on databases the tests create; the server knows nothing of it.
STATUS_LOG = {
    "sqlite": [
        "CREATE TABLE status_log (id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT, old TEXT,"
        " new TEXT)",
        "CREATE TRIGGER status_log_t AFTER UPDATE OF status ON tasks"
        " WHEN OLD.status IS NOT NEW.status BEGIN"
        " INSERT INTO status_log (task, old, new) VALUES (NEW.id, OLD.status, NEW.status); END",
    ],
    "postgres": [
        "CREATE TABLE status_log (id BIGSERIAL PRIMARY KEY, task TEXT, old TEXT, new TEXT)",
        "CREATE FUNCTION status_log_f() RETURNS trigger AS $$ BEGIN"
        " INSERT INTO status_log (task, old, new) VALUES (NEW.id, OLD.status, NEW.status);"
        " RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER status_log_t AFTER UPDATE ON tasks FOR EACH ROW"
        " WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION status_log_f()",
    ],
}

# (urls, database, its URL, things to stop) per (backend, topology), for the module
_targets: dict[tuple[str, str], tuple[list[str], Database, str, list[Any]]] = {}


@pytest.fixture(scope="module", autouse=True)
def _stop_targets() -> Iterator[None]:
    yield
    for _, database, url, servers in _targets.values():
        for srv in servers:
            srv.stop()
        database.close()
        if url.startswith("postgres"):
            drop_pg_database(url)
    _targets.clear()


def _start(backend: str, topology: str, tmp: Path) -> tuple[list[str], Database, str, list[Any]]:
    url = fresh_database_url(backend, tmp)
    database = Database(url)
    migrations.upgrade(database)
    with database.write() as tx:
        for sql in STATUS_LOG[backend]:
            tx.execute(sql)
    # Accounts first: two servers starting at once on an empty database would both try to
    # create the first account.
    new_account(database)
    if topology == "one":
        srv = LiveServer(url, str(tmp / "data"))
        return [srv.url], database, url, [srv]
    procs = [ServeProcess(tmp / f"data{i}", url, log_path=tmp / f"serve{i}.log") for i in (0, 1)]
    for proc in procs:
        proc.launch()
    for proc in procs:
        proc.wait_ready()
    return [p.url for p in procs], database, url, list(procs)


@pytest.fixture(params=["one", "two"])
def target(
    request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Target:
    """`one`: an in-process server; `two`: two `taskyard serve` processes on one database."""
    key = (backend, str(request.param))
    if key not in _targets:
        _targets[key] = _start(backend, key[1], tmp_path_factory.mktemp("race"))
    urls, database, _, _ = _targets[key]
    _, _, access_key, secret = new_account(database)
    return Target(urls, access_key, secret, database, f"{key[1]}-{backend}")


def race(target: Target, jobs: list[Callable[[ApiClient], Reply]]) -> list[Reply]:
    """Run the jobs at the same moment, each on its own connection, alternating servers."""
    barrier = threading.Barrier(len(jobs))
    results: list[Reply | BaseException | None] = [None] * len(jobs)

    def run(index: int, job: Callable[[ApiClient], Reply]) -> None:
        api = target.client(index)
        try:
            api.call("debug.ping")  # connect first, so the barrier releases real requests
            barrier.wait(60)
            results[index] = job(api)
        except BaseException as exc:  # re-raised in the test thread
            results[index] = exc
        finally:
            api.close()

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a racing request hung"
    replies = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None
        replies.append(result)
    return replies


def assert_winners_and_losers(replies: list[Reply]) -> list[Reply]:
    """Every reply is a 200 or one of the documented losers; returns the winners."""
    for reply in replies:
        assert reply.status == reply.code[0]
        assert reply.code == (200, 0) or reply.code in LOSERS, reply.meta
    return [r for r in replies if r.code == (200, 0)]


def _call(endpoint: str, **body: Any) -> Callable[[ApiClient], Reply]:
    return lambda api: api.call(endpoint, **body)


# -- no lost update ---------------------------------------------------------------------------
EDITS: list[tuple[str, Any, Callable[[dict[str, Any]], Any]]] = [
    ("name", "edited-name", lambda d: d["name"]),
    ("comment", "edited comment", lambda d: d.get("comment")),
    ("tags", ["edited-tag"], lambda d: d.get("tags")),
    ("system_tags", ["edited-system-tag"], lambda d: d.get("system_tags")),
    ("output_dest", "s3://bucket/edited", lambda d: d.get("output", {}).get("destination")),
    ("type", "testing", lambda d: d.get("type")),
]
SCRIPT_KEYS = ["repository", "entry_point", "branch", "working_dir", "version_num", "tag"]


def test_concurrent_edits_of_different_fields_lose_nothing(target: Target) -> None:
    api = target.client()
    try:
        for _ in range(ROUNDS):
            task = api.ok("tasks.create", name="edit-race", type="training", script={})["id"]
            jobs = [_call("tasks.edit", task=task, force=True, **{f: v}) for f, v, _ in EDITS]
            # edit merges embedded objects key by key: each job sets one key of `script`
            jobs += [
                _call("tasks.edit", task=task, force=True, script={k: f"value-{k}"})
                for k in SCRIPT_KEYS
            ]
            replies = race(target, jobs)
            winners = assert_winners_and_losers(replies)
            assert all(r.code in {(200, 0), (400, 121)} for r in replies)
            doc = api.ok("tasks.get_by_id", task=task)["task"]
            for (field, value, read), reply in zip(EDITS, replies, strict=False):
                if reply in winners:
                    assert read(doc) == value, f"lost update of {field}: {doc}"
            for key, reply in zip(SCRIPT_KEYS, replies[len(EDITS) :], strict=True):
                if reply in winners:
                    assert doc["script"].get(key) == f"value-{key}", f"lost script.{key}: {doc}"
            assert len(winners) >= len(jobs) // 2, "most concurrent edits should succeed"
    finally:
        api.close()


def test_concurrent_updates_lose_nothing(target: Target) -> None:
    api = target.client()
    try:
        for _ in range(ROUNDS):
            task = api.ok("tasks.create", name="update-race", type="training")["id"]
            fields = [
                ("name", "updated-name"),
                ("comment", "updated comment"),
                ("tags", ["u1", "u2"]),
                ("system_tags", ["s1"]),
                ("status_message", "busy"),
            ]
            replies = race(target, [_call("tasks.update", task=task, **{f: v}) for f, v in fields])
            winners = assert_winners_and_losers(replies)
            doc = api.ok("tasks.get_by_id", task=task)["task"]
            for (field, value), reply in zip(fields, replies, strict=True):
                if reply in winners:
                    assert doc.get(field) == value, f"lost update of {field}: {doc}"
    finally:
        api.close()


def test_concurrent_event_batches_all_land_in_last_metrics(target: Target) -> None:
    api = target.client()
    try:
        for _ in range(ROUNDS):
            task = api.ok("tasks.create", name="events-race", type="training")["id"]
            api.ok("tasks.started", task=task)

            def batch(task: str, variant: int) -> Callable[[ApiClient], Reply]:
                events = [
                    {"task": task, "type": "training_stats_scalar", "metric": "m",
                     "variant": f"v{variant}", "iter": i, "value": float(i)}
                    for i in range(1, 6)
                ]  # fmt: skip
                return lambda a: a.batch("events.add_batch", events)

            replies = race(target, [batch(task, v) for v in range(THREADS)])
            winners = assert_winners_and_losers(replies)
            doc = api.ok("tasks.get_by_id", task=task)["task"]
            entries = {
                e["variant"]: e
                for variants in doc["last_metrics"].values()
                for e in variants.values()
            }
            for variant, reply in enumerate(replies):
                if reply in winners:
                    assert reply.data["added"] == 5
                    entry = entries.get(f"v{variant}")
                    assert entry is not None, f"lost last_metrics of v{variant}: {sorted(entries)}"
                    assert entry["count"] == 5 and entry["value"] == 5.0
            assert len(entries) == len(winners)
            assert doc["last_iteration"] == 5
    finally:
        api.close()


# -- exactly one winner -----------------------------------------------------------------------
def test_concurrent_publishes_have_one_winner(target: Target) -> None:
    api = target.client()
    try:
        for _ in range(ROUNDS):
            task = api.ok("tasks.create", name="publish-race", type="training")["id"]
            api.ok("tasks.started", task=task)
            api.ok("tasks.stopped", task=task)
            replies = race(target, [_call("tasks.publish", task=task)] * THREADS)
            winners = assert_winners_and_losers(replies)
            assert len(winners) == 1, [r.code for r in replies]
            assert all(r.code in {(200, 0), (400, 110), (400, 121)} for r in replies)
            assert api.ok("tasks.get_by_id", task=task)["task"]["status"] == "published"
    finally:
        api.close()


def test_concurrent_deletes_have_one_winner(target: Target) -> None:
    api = target.client()
    try:
        for _ in range(ROUNDS):
            task = api.ok("tasks.create", name="delete-race", type="training")["id"]
            jobs = [_call("tasks.delete", task=task, force=True)] * (THREADS // 2)
            jobs += [_call("tasks.reset", task=task, force=True)] * (THREADS // 4)
            jobs += [_call("tasks.edit", task=task, comment="late")] * (THREADS // 4)
            replies = race(target, jobs)
            assert_winners_and_losers(replies)
            deletes = [r for r in replies[: THREADS // 2] if r.code == (200, 0)]
            assert len(deletes) == 1, [r.code for r in replies]
            assert api.call("tasks.get_by_id", task=task).code == (400, 101)
            assert api.ok("tasks.get_all", id=[task])["tasks"] == []
    finally:
        api.close()


# -- a storm of status changes ----------------------------------------------------------------
STORM_OPS: list[tuple[str, dict[str, Any]]] = [
    ("tasks.started", {}),
    ("tasks.stopped", {}),
    ("tasks.failed", {}),
    ("tasks.completed", {}),
    ("tasks.close", {}),
    ("tasks.publish", {}),
    ("tasks.reset", {}),
    ("tasks.edit", {"comment": "storm"}),
    ("tasks.update", {"comment": "storm-update"}),
]


def allowed(old: str, new: str) -> bool:
    if new in ALLOWED.get(old, set()):
        return True
    if new == "created":  # reset: from anything but published/publishing (§4.2)
        return old not in ("published", "publishing")
    # publish passes through `publishing` (or writes `published` at once)
    return new in ("publishing", "published") and old in PUBLISH_FROM


def check_path(task: str, log: list[tuple[str, str]]) -> None:
    """The committed status changes of a task chain up and are all allowed transitions."""
    status = "created"
    for index, (old, new) in enumerate(log):
        window = "\n".join(map(str, log[max(0, index - 4) : index + 2]))
        assert old == status, f"task {task}: change {index} starts from {old}, not {status}"
        if not allowed(old, new):
            pytest.fail(f"task {task}: invalid transition {old} -> {new}:\n{window}")
        status = new


def test_status_storm_keeps_the_state_machine(target: Target) -> None:
    api = target.client()
    tasks = [api.ok("tasks.create", name=f"storm-{i}", type="training")["id"] for i in range(3)]
    api.close()
    per_thread = 10 * ROUNDS
    lock = threading.Lock()
    wins: dict[str, Counter[str]] = {t: Counter() for t in tasks}
    codes: list[tuple[str, tuple[int, int], str]] = []
    seed = uuid.uuid4().int

    def storm(api: ApiClient) -> Reply:
        rng = random.Random(seed + id(api))
        reply = api.call("debug.ping")
        for _ in range(per_thread):
            task = rng.choice(tasks)
            endpoint, extra = rng.choice(STORM_OPS)
            reply = api.call(endpoint, task=task, **extra)
            with lock:
                codes.append((endpoint, reply.code, reply.msg))
                if reply.code == (200, 0) and "status" in reply.data.get("fields", {}):
                    wins[task][reply.data["fields"]["status"]] += 1
        return reply

    race(target, [storm] * THREADS)
    unexpected = [c for c in codes if c[1] != (200, 0) and c[1] not in LOSERS]
    assert not unexpected, unexpected[:10]
    assert any(c[1] == (200, 0) for c in codes)
    assert any(c[1] == (400, 110) for c in codes), "the storm should hit invalid transitions"
    api = target.client()
    try:
        for task in tasks:
            log = target.status_log(task)
            check_path(task, log)
            # no phantom writes: every committed change was answered 200 to someone
            committed = Counter(new for _, new in log if new != "publishing")
            assert committed <= wins[task], (task, committed, wins[task])
            doc = api.ok("tasks.get_by_id", task=task)["task"]
            assert doc["status"] == (log[-1][1] if log else "created")
    finally:
        api.close()
