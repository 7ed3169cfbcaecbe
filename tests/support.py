"""Test support: a small ClearML API client and a live in-thread server."""

from __future__ import annotations

import base64
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import uvicorn

from taskyard.app import build_app
from taskyard.config import Settings
from taskyard.store import accounts
from taskyard.store.db import Database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self.body["meta"]
        return meta

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def code(self) -> tuple[int, int]:
        return self.meta["result_code"], self.meta["result_subcode"]

    @property
    def msg(self) -> str:
        return str(self.meta["result_msg"])


class ApiClient:
    """Calls `/v{version}/{endpoint}` with one identity; `ok()` asserts success."""

    def __init__(self, base_url: str, access_key: str, secret: str, version: str | None = "2.23"):
        self.base_url = base_url
        self.access_key = access_key
        self.secret = secret
        self.version = version
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.auth_header = "Basic " + base64.b64encode(f"{access_key}:{secret}".encode()).decode()

    def close(self) -> None:
        self.http.close()

    def at(self, version: str | None) -> ApiClient:
        """The same identity at another API version (None: no version in the path)."""
        other = ApiClient.__new__(ApiClient)
        other.__dict__.update(self.__dict__)
        other.version = version  # shares the HTTP connection pool, closed by the owner
        return other

    def path(self, endpoint: str, version: str | None = None) -> str:
        version = version if version is not None else self.version
        return f"/v{version}/{endpoint}" if version else f"/{endpoint}"

    def raw(
        self,
        endpoint: str,
        body: Any = None,
        *,
        version: str | None = None,
        method: str = "POST",
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        auth: bool = True,
        params: dict[str, Any] | None = None,
    ) -> Reply:
        hdrs = {"Authorization": self.auth_header} if auth else {}
        hdrs.update(headers or {})
        if content is None and body is not None:
            content = orjson.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        r = self.http.request(
            method, self.path(endpoint, version), content=content, headers=hdrs, params=params
        )
        return Reply(r.status_code, r.json(), r.headers)

    def call(self, endpoint: str, version: str | None = None, **data: Any) -> Reply:
        return self.raw(endpoint, data, version=version)

    def ok(self, endpoint: str, version: str | None = None, **data: Any) -> Any:
        reply = self.call(endpoint, version, **data)
        assert reply.status == 200 and reply.code == (200, 0), (endpoint, reply.body["meta"])
        return reply.data

    def batch(
        self, endpoint: str, items: list[dict[str, Any]], version: str | None = None
    ) -> Reply:
        content = b"\n".join(orjson.dumps(i) for i in items)
        return self.raw(
            endpoint,
            version=version,
            content=content,
            headers={"Content-Type": "application/json-lines"},
        )


class LiveServer:
    """The real app under uvicorn in a background thread, on its own database."""

    def __init__(self, db_url: str, data_dir: str, **settings: Any) -> None:
        self.port = free_port()
        self.settings = Settings(
            port=self.port, db=db_url, data_dir=__import__("pathlib").Path(data_dir), **settings
        )
        self.url = f"http://127.0.0.1:{self.port}"
        app = build_app(self.settings)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            access_log=False,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def new_account(
    db: Database, company_name: str | None = None, role: str = "user"
) -> tuple[str, str, str, str]:
    """A fresh company, user and credential pair: (company id, user id, access key, secret)."""
    with db.write() as tx:
        company = accounts.create_company(tx, company_name or f"co-{uuid.uuid4().hex[:8]}")
        user = accounts.create_user(tx, company, f"user-{uuid.uuid4().hex[:6]}", role)
        key, secret = accounts.create_credentials(tx, user)
    return company, user, key, secret


def doc_drift(db: Database, companies: tuple[str, ...]) -> list[str]:
    """Where a task's `doc` and the column copies of its fields disagree (store/entities.py:
    every writer sets both); one line per difference, for the tasks of `companies`."""
    from taskyard.domain.query.sql import marks
    from taskyard.store.entities import TASKS

    copies = [c for c in TASKS.columns if TASKS.in_doc(c.field)]
    names = ", ".join(c.name for c in copies)
    where = f"company IN ({marks(len(companies))})"
    with db.read() as tx:
        rows = tx.query(f"SELECT {names}, doc FROM tasks WHERE {where}", companies)
    out = []
    for row in rows:
        doc = orjson.loads(row[-1])
        for col, value in zip(copies, row, strict=False):
            if col.is_json:
                value = orjson.loads(value)
            if doc.get(col.field) != value or (value is None and col.field in doc):
                out.append(
                    f"task {row[0]}: {col.field}: column {value!r}, doc {doc.get(col.field)!r}"
                )
    return out
