"""One vocabulary of operations, mapped to taskyard's (ClearML) API and to MLflow's REST API.

Operations (one "op" is what a row of the results table counts):

* ``create``     taskyard ``tasks.create``           | MLflow ``runs/create``
* ``get``        taskyard ``tasks.get_by_id``        | MLflow ``runs/get``
* ``status``     taskyard ``tasks.started`` + ``tasks.completed`` on a fresh task
                 | MLflow ``runs/update`` RUNNING + ``runs/update`` FINISHED on a fresh run.
                 The pair of calls counts as ONE op (its latency is the sum of both).
* ``ping``       taskyard ``tasks.ping``             | MLflow ``runs/set-tag`` (key ``heartbeat``):
                 MLflow has no liveness call; set-tag is its cheapest per-run write, which is what
                 a heartbeat is (``runs/get`` would be a read and is already measured by ``get``).
* ``log_batch``  taskyard ``events.add_batch`` (5 json-lines scalars) | MLflow ``runs/log-batch``
                 (5 metrics)
* ``search``     taskyard ``tasks.get_all`` (status completed + one tag, ``-last_update``, page of
                 50) | MLflow ``runs/search`` (``attributes.status = 'FINISHED' and tags.t = 'gK'``,
                 ``attributes.start_time DESC``, ``max_results`` 50)
* ``ceiling``    taskyard only: ``debug.ping`` (no auth, no store) = the HTTP stack's own ceiling.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field

from bench.client import Conn, HttpError, basic_auth

try:  # orjson is faster; plain json is fine too
    import orjson

    loads = orjson.loads

    def dumps(o: object) -> bytes:
        return orjson.dumps(o)

except ImportError:  # pragma: no cover
    loads = json.loads

    def dumps(o: object) -> bytes:
        return json.dumps(o, separators=(",", ":")).encode()


OPS = ["create", "get", "status", "ping", "log_batch", "search"]
API = "/v2.23"
# bench/load_tasks.py gives each task 0-3 of 20 tags (~7.5% carry a given one); searches rotate
# over these so that no answer is simply cached.
SEARCH_TAGS = ["baseline", "best", "ablation", "sweep", "candidate", "gpu", "fp16", "nightly"]


@dataclass
class Pools:
    all_ids: list[str] = field(default_factory=list)  # any existing task/run
    fresh: list[str] = field(default_factory=list)  # created, never started


def _ok_envelope(status: int, body: bytes) -> bool:
    return status == 200 and (b'"result_code":200' in body or b'"result_code": 200' in body)


class Target:
    name = "?"

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.pools = Pools()
        self.counter = itertools.count()

    async def setup(self) -> None:
        raise NotImplementedError

    def step(self, op: str):
        return getattr(self, f"op_{op}")

    async def fill(self, want_all: int, want_fresh: int, concurrency: int = 8) -> None:
        """Create runs/tasks (unmeasured) until the pools hold enough ids."""
        need = max(0, want_all - len(self.pools.all_ids), want_fresh - len(self.pools.fresh))
        if need <= 0:
            return
        import asyncio

        left = need

        async def w() -> None:
            nonlocal left
            conn = Conn(self.host, self.port)
            try:
                while left > 0:
                    left -= 1
                    if not await self.op_create(conn):
                        raise HttpError("create failed while filling pools")
            finally:
                conn.close()

        await asyncio.gather(*(w() for _ in range(concurrency)))


class Taskyard(Target):
    name = "taskyard"

    def __init__(self, host: str, port: int, access: str, secret: str):
        super().__init__(host, port)
        self.access = access
        self.secret = secret
        self.token = ""
        self.project = ""
        self.search_tag = itertools.cycle(SEARCH_TAGS)

    def _req(
        self, conn: Conn, endpoint: str, body: bytes, ctype: str = "application/json"
    ) -> bytes:
        return conn.build(
            "POST",
            f"{API}/{endpoint}",
            body,
            content_type=ctype,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    async def call(self, conn: Conn, endpoint: str, payload: dict) -> dict:
        status, body = await conn.send(self._req(conn, endpoint, dumps(payload)))
        if not _ok_envelope(status, body):
            raise HttpError(f"{endpoint}: HTTP {status}: {body[:300]!r}")
        return loads(body)["data"]

    async def setup(self) -> None:
        conn = Conn(self.host, self.port)
        try:
            status, data = await conn.request(
                "GET",
                "/auth.login",
                headers={"Authorization": basic_auth(self.access, self.secret)},
            )
            if status != 200:
                raise HttpError(f"auth.login: HTTP {status}: {data}")
            self.token = data["data"]["token"]
            name = f"bench-{int(time.time() * 1000)}"
            self.project = (
                await self.call(conn, "projects.create", {"name": name, "description": "bench"})
            )["id"]
        finally:
            conn.close()

    async def op_ceiling(self, conn: Conn) -> bool:
        status, body = await conn.send(conn.build("POST", f"{API}/debug.ping", b"{}"))
        return _ok_envelope(status, body)

    async def op_create(self, conn: Conn) -> bool:
        n = next(self.counter)
        body = dumps({"name": f"bench-{n}", "type": "training", "project": self.project})
        status, raw = await conn.send(self._req(conn, "tasks.create", body))
        if not _ok_envelope(status, raw):
            return False
        tid = loads(raw)["data"]["id"]
        self.pools.all_ids.append(tid)
        self.pools.fresh.append(tid)
        return True

    def _any_id(self) -> str:
        ids = self.pools.all_ids
        return ids[next(self.counter) % len(ids)]

    async def op_get(self, conn: Conn) -> bool:
        body = dumps({"task": self._any_id()})
        return _ok_envelope(*await conn.send(self._req(conn, "tasks.get_by_id", body)))

    async def op_status(self, conn: Conn) -> bool | None:
        if not self.pools.fresh:
            return None
        body = dumps({"task": self.pools.fresh.pop()})
        if not _ok_envelope(*await conn.send(self._req(conn, "tasks.started", body))):
            return False
        return _ok_envelope(*await conn.send(self._req(conn, "tasks.completed", body)))

    async def op_ping(self, conn: Conn) -> bool:
        body = dumps({"task": self._any_id()})
        return _ok_envelope(*await conn.send(self._req(conn, "tasks.ping", body)))

    async def op_log_batch(self, conn: Conn) -> bool:
        tid = self._any_id()
        it = next(self.counter)
        ts = int(time.time() * 1000)
        lines = [
            dumps(
                {
                    "task": tid,
                    "type": "training_stats_scalar",
                    "metric": "loss",
                    "variant": f"v{k}",
                    "iter": it,
                    "value": 1.0 / (it + k + 1),
                    "timestamp": ts,
                }
            )
            for k in range(5)
        ]
        req = self._req(conn, "events.add_batch", b"\n".join(lines), "application/json-lines")
        return _ok_envelope(*await conn.send(req))

    def search_body(self, tag: str) -> bytes:
        return dumps(
            {
                "status": ["completed"],
                "tags": [tag],
                "order_by": ["-last_update"],
                "page": 0,
                "page_size": 50,
                "only_fields": [
                    "id",
                    "name",
                    "status",
                    "type",
                    "tags",
                    "project",
                    "created",
                    "last_update",
                ],
            }
        )

    async def op_search(self, conn: Conn) -> bool:
        body = self.search_body(next(self.search_tag))
        return _ok_envelope(*await conn.send(self._req(conn, "tasks.get_all", body)))

    async def search_count(self, tag: str) -> int:
        conn = Conn(self.host, self.port)
        try:
            status, raw = await conn.send(self._req(conn, "tasks.get_all", self.search_body(tag)))
            if not _ok_envelope(status, raw):
                raise HttpError(f"tasks.get_all: HTTP {status}: {raw[:300]!r}")
            return len(loads(raw)["data"]["tasks"])
        finally:
            conn.close()


class Mlflow(Target):
    name = "mlflow"
    BASE = "/api/2.0/mlflow"

    def __init__(self, host: str, port: int, experiment_id: str | None = None):
        super().__init__(host, port)
        self.experiment_id = experiment_id or ""
        self.search_tag = itertools.cycle(SEARCH_TAGS)

    def _post(self, conn: Conn, action: str, body: bytes) -> bytes:
        return conn.build("POST", f"{self.BASE}/{action}", body)

    async def setup(self) -> None:
        if self.experiment_id:
            return
        conn = Conn(self.host, self.port)
        try:
            name = f"bench-{int(time.time() * 1000)}"
            status, data = await conn.request(
                "POST", f"{self.BASE}/experiments/create", {"name": name}
            )
            if status != 200:
                raise HttpError(f"experiments/create: HTTP {status}: {data}")
            self.experiment_id = data["experiment_id"]
        finally:
            conn.close()

    async def op_ceiling(self, conn: Conn) -> bool:
        status, _ = await conn.send(conn.build("GET", "/health"))
        return status == 200

    async def op_create(self, conn: Conn) -> bool:
        n = next(self.counter)
        body = dumps(
            {
                "experiment_id": self.experiment_id,
                "run_name": f"bench-{n}",
                "start_time": int(time.time() * 1000),
            }
        )
        status, raw = await conn.send(self._post(conn, "runs/create", body))
        if status != 200:
            return False
        rid = loads(raw)["run"]["info"]["run_id"]
        self.pools.all_ids.append(rid)
        self.pools.fresh.append(rid)
        return True

    def _any_id(self) -> str:
        ids = self.pools.all_ids
        return ids[next(self.counter) % len(ids)]

    async def op_get(self, conn: Conn) -> bool:
        req = conn.build("GET", f"{self.BASE}/runs/get?run_id={self._any_id()}")
        status, _ = await conn.send(req)
        return status == 200

    async def op_status(self, conn: Conn) -> bool | None:
        if not self.pools.fresh:
            return None
        rid = self.pools.fresh.pop()
        status, _ = await conn.send(
            self._post(conn, "runs/update", dumps({"run_id": rid, "status": "RUNNING"}))
        )
        if status != 200:
            return False
        body = dumps({"run_id": rid, "status": "FINISHED", "end_time": int(time.time() * 1000)})
        status, _ = await conn.send(self._post(conn, "runs/update", body))
        return status == 200

    async def op_ping(self, conn: Conn) -> bool:
        body = dumps({"run_id": self._any_id(), "key": "heartbeat", "value": str(time.time())})
        status, _ = await conn.send(self._post(conn, "runs/set-tag", body))
        return status == 200

    async def op_log_batch(self, conn: Conn) -> bool:
        it = next(self.counter)
        ts = int(time.time() * 1000)
        metrics = [
            {"key": f"loss_v{k}", "value": 1.0 / (it + k + 1), "timestamp": ts, "step": it}
            for k in range(5)
        ]
        body = dumps({"run_id": self._any_id(), "metrics": metrics})
        status, _ = await conn.send(self._post(conn, "runs/log-batch", body))
        return status == 200

    def search_body(self, tag: str) -> bytes:
        return dumps(
            {
                "experiment_ids": [self.experiment_id],
                "filter": f"attributes.status = 'FINISHED' and tags.{tag} = 'true'",
                "order_by": ["attributes.start_time DESC"],
                "max_results": 50,
            }
        )

    async def op_search(self, conn: Conn) -> bool:
        status, _ = await conn.send(
            self._post(conn, "runs/search", self.search_body(next(self.search_tag)))
        )
        return status == 200

    async def search_count(self, tag: str) -> int:
        conn = Conn(self.host, self.port)
        try:
            status, raw = await conn.send(self._post(conn, "runs/search", self.search_body(tag)))
            if status != 200:
                raise HttpError(f"runs/search: HTTP {status}: {raw[:300]!r}")
            return len(loads(raw).get("runs", []))
        finally:
            conn.close()
