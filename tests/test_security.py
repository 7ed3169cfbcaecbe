"""Security: credentials on every endpoint, tenant isolation, public rows, revocation, logs, files.

Endpoints are enumerated from the registry, so an endpoint added later is covered without
touching this file.
"""

from __future__ import annotations

import base64
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import BaseModel

from taskyard import services
from taskyard.http import registry
from taskyard.store import accounts, migrations
from taskyard.store import tasks as task_store
from taskyard.store.db import Database
from taskyard.versions import MAX_VERSION
from tests.conftest import drop_pg_database, fresh_database_url
from tests.procserver import ServeProcess
from tests.support import ApiClient, LiveServer, new_account

services.load_all()

# The only endpoints that answer without credentials (auth.login needs them too, to log in).
OPEN_ENDPOINTS = {"debug.ping"}
LOGIN = "auth.login"


def _implementations() -> list[tuple[str, str]]:
    return [(e.name, str(e.min_version)) for e in registry.all_endpoints()]


PROTECTED = [(n, v) for n, v in _implementations() if n not in OPEN_ENDPOINTS]


def _forged(secret: str, **claims: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "identity": {"user": "u", "company": "c", "role": "admin", "key": "K"},
        "iat": now,
        "exp": now + 3600,
    }
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm="HS256")


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


BAD_CREDENTIALS: list[tuple[str, dict[str, str], tuple[int, int], str]] = [
    ("none", {}, (401, 20), "Unauthorized (missing credentials)"),
    (
        "scheme",
        {"Authorization": "Token abc"},
        (401, 10),
        "Unauthorized (bad authentication header type)",
    ),
    (
        "basic-malformed",
        {"Authorization": "Basic !!not-base64!!"},
        (401, 21),
        "Unauthorized (malformed credentials)",
    ),
    (
        "basic-wrong",
        {"Authorization": _basic("NOSUCHKEY:nosuchsecret")},
        (401, 22),
        "Unauthorized (invalid credentials) (failed to locate provided credentials)",
    ),
    ("bearer-garbage", {"Authorization": "Bearer abc.def.ghi"}, (401, 30), "Invalid token"),
    (
        "bearer-foreign-signature",
        {"Authorization": "Bearer " + _forged("not-the-server-secret" * 3)},
        (401, 30),
        "Invalid token",
    ),
    (
        "bearer-alg-none",
        {
            "Authorization": "Bearer "
            + jwt.encode({"identity": {"user": "u", "company": "c"}}, None, algorithm="none")
        },
        (401, 30),
        "Invalid token",
    ),
    ("cookie-garbage", {"Cookie": "clearml_token_basic=abc.def.ghi"}, (401, 30), "Invalid token"),
]


def _post(http: httpx.Client, name: str, version: str, headers: dict[str, str]) -> httpx.Response:
    return http.post(f"/v{version}/{name}", content=b"{}", headers=headers)


def _envelope(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body["meta"]["result_code"] == response.status_code
    return body


@pytest.mark.parametrize(("name", "version"), PROTECTED, ids=[f"{n}@{v}" for n, v in PROTECTED])
def test_every_endpoint_refuses_missing_or_invalid_credentials(
    client: ApiClient, name: str, version: str
) -> None:
    for label, headers, code, message in BAD_CREDENTIALS:
        body = _envelope(_post(client.http, name, version, headers))
        meta = body["meta"]
        assert (meta["result_code"], meta["result_subcode"]) == code, (label, meta)
        assert meta["result_msg"].startswith(message), (label, meta["result_msg"])
        assert body["data"] == {}, label


def test_the_open_endpoints_are_exactly_ping(client: ApiClient) -> None:
    """A new unauthenticated endpoint must be a deliberate change of OPEN_ENDPOINTS."""
    unauthenticated = {e.name for e in registry.all_endpoints() if not e.auth}
    assert unauthenticated == OPEN_ENDPOINTS
    assert _post(client.http, "debug.ping", str(MAX_VERSION), {}).status_code == 200


def test_expired_token_is_refused(client: ApiClient, server: LiveServer, db: Database) -> None:
    with db.read() as tx:
        row = tx.query_one("SELECT value FROM settings WHERE key = 'token_secret'")
    assert row is not None
    token = _forged(str(row[0]), exp=int(time.time()) - 10)
    response = _post(client.http, "server.info", "2.23", {"Authorization": f"Bearer {token}"})
    meta = _envelope(response)["meta"]
    assert (meta["result_code"], meta["result_subcode"]) == (401, 30)
    assert meta["result_msg"] == "Invalid token (invalid jwt token): reason=Signature has expired"


# -- tenant isolation ----------------------------------------------------------------------------
# Endpoints that take a task id and what they answer for another company's task. Every other
# endpoint with a `task`/`tasks` field must answer 400/101; a new one that does not fails here.
SILENT_FOR_FOREIGN_TASKS = {
    "tasks.ping": (200, 0),  # SEMANTICS §5.8: no error, and no effect
}
TASK_FIELDS = {"task", "tasks", "ids"}
# Fields that make the call a real write (without them some endpoints have nothing to do).
FOREIGN_EXTRA: dict[str, dict[str, Any]] = {
    "tasks.edit": {"name": "hacked", "comment": "hacked"},
    "tasks.update": {"name": "hacked", "comment": "hacked"},
}


def _fill(model: type[BaseModel], task: str) -> dict[str, Any]:
    """A body that passes validation, with every task reference pointing at `task`."""
    body: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        key = info.alias or field_name
        if key == "task":
            body[key] = task
        elif key in ("tasks", "ids"):
            body[key] = [task]
        elif info.is_required():
            body[key] = _sample(info.annotation, task)
    return body


def _sample(annotation: Any, task: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return _sample(next(a for a in args if a is not type(None)), task)
    if origin is typing.Literal:
        return args[0]
    if origin is list:
        return [_sample(args[0], task)] if args else []
    if origin is dict or annotation is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _fill(annotation, task)
    return {str: "abc", int: 1, float: 1.0, bool: False}.get(annotation, "abc")


def _task_endpoints() -> list[str]:
    names = []
    for impl in registry.all_endpoints():
        if impl.request is None:
            continue
        fields = set(impl.request.model_fields)
        nested = any(
            isinstance(a, type) and issubclass(a, BaseModel) and "task" in a.model_fields
            for f in impl.request.model_fields.values()
            for a in typing.get_args(f.annotation)
        )
        if (fields & TASK_FIELDS or nested) and impl.name.startswith(("tasks.", "events.")):
            names.append(impl.name)
    return sorted(set(names))


TASK_ENDPOINTS = _task_endpoints()


@pytest.fixture
def foreign_task(client: ApiClient) -> Iterator[str]:
    task = client.ok("tasks.create", name="private-of-a", type="training", comment="secret")["id"]
    client.ok("tasks.edit", task=task, script={"repository": "r", "entry_point": "e.py"})
    yield task


@pytest.mark.parametrize("name", TASK_ENDPOINTS)
def test_other_companies_task_ids_are_invalid(
    client: ApiClient, other_client: ApiClient, foreign_task: str, name: str
) -> None:
    before = client.ok("tasks.get_by_id", task=foreign_task)["task"]
    impl = registry.resolve_latest(name)
    assert impl.request is not None
    body = {**_fill(impl.request, foreign_task), **FOREIGN_EXTRA.get(name, {})}
    if "model" in impl.request.model_fields:  # the attacker's own model: only the task is foreign
        body["model"] = other_client.ok("models.create", name="own-model", uri="file:///m")["id"]
    reply = other_client.raw(name, body)
    if name.endswith("_many"):  # per-item results: the foreign id fails with 400/101
        assert reply.code == (200, 0), (name, reply.meta)
        assert reply.data["succeeded"] == []
        assert [f["error"]["codes"] for f in reply.data["failed"]] == [[400, 101]]
        assert client.ok("tasks.get_by_id", task=foreign_task)["task"] == before
        return
    expected = SILENT_FOR_FOREIGN_TASKS.get(name, (400, 101))
    assert reply.code == expected, (name, reply.meta)
    if expected == (400, 101):
        assert reply.msg.startswith("Invalid task id"), reply.msg
        assert foreign_task not in str(reply.data)
    assert client.ok("tasks.get_by_id", task=foreign_task)["task"] == before


def test_foreign_tasks_are_invisible_in_lists_and_batches(
    client: ApiClient, other_client: ApiClient, foreign_task: str
) -> None:
    assert other_client.ok("tasks.get_all", id=[foreign_task])["tasks"] == []
    assert other_client.ok("tasks.get_all_ex", id=[foreign_task])["tasks"] == []
    reply = other_client.batch("tasks.update_batch", [{"task": foreign_task, "name": "hacked"}])
    assert reply.code == (400, 101)
    event = {"task": foreign_task, "type": "training_stats_scalar", "metric": "m", "variant": "v"}
    # add_batch reports per-event errors in a 200 reply (as the reference server does)
    reply = other_client.batch("events.add_batch", [{**event, "iter": 1, "value": 1.0}])
    assert reply.code == (200, 0), reply.meta
    assert reply.data["added"] == 0
    assert reply.data["errors_info"] == {"Invalid task id": 1}
    doc = client.ok("tasks.get_by_id", task=foreign_task)["task"]
    assert doc["name"] == "private-of-a"
    assert doc.get("last_metrics", {}) == {}


def test_foreign_project_ids_are_invalid(client: ApiClient, other_client: ApiClient) -> None:
    project = client.ok("projects.create", name="private-project", description="d")["id"]
    assert other_client.call("projects.get_by_id", project=project).code == (400, 401)
    assert other_client.call("projects.update", project=project, name="hacked").code == (400, 401)
    assert other_client.call("projects.delete", project=project).code == (400, 401)
    reply = other_client.call("tasks.create", name="in-foreign", type="training", project=project)
    assert reply.code == (400, 401)
    assert client.ok("projects.get_by_id", project=project)["project"]["name"] == "private-project"


# -- public rows ---------------------------------------------------------------------------------
@pytest.fixture
def isolated(
    backend: str, tmp_path: Path
) -> Iterator[tuple[LiveServer, Database, ApiClient, ApiClient]]:
    """A server of its own: public rows would show up in every other test's lists."""
    url = fresh_database_url(backend, tmp_path)
    database = Database(url)
    migrations.upgrade(database)
    srv = LiveServer(url, str(tmp_path / "data"))
    a = ApiClient(srv.url, *new_account(database)[2:])
    b = ApiClient(srv.url, *new_account(database)[2:])
    yield srv, database, a, b
    a.close()
    b.close()
    srv.stop()
    database.close()
    if backend == "postgres":
        drop_pg_database(url)


WRITES_ON_PUBLIC = [
    ("tasks.edit", {"name": "hacked", "force": True}),
    ("tasks.update", {"name": "hacked"}),
    ("tasks.started", {"force": True}),
    ("tasks.stopped", {"force": True}),
    ("tasks.failed", {"force": True}),
    ("tasks.close", {"force": True}),
    ("tasks.stop", {"force": True}),
    ("tasks.reset", {"force": True}),
    ("tasks.publish", {"force": True}),
    ("tasks.completed", {"force": True}),
    ("tasks.set_requirements", {"requirements": {"pip": "evil"}}),
    ("tasks.delete", {"force": True}),
    ("tasks.archive", {}),
]


def test_public_tasks_are_read_only(
    isolated: tuple[LiveServer, Database, ApiClient, ApiClient],
) -> None:
    _, database, a, b = isolated
    task = a.ok("tasks.create", name="shared-example", type="training")["id"]
    a.ok("tasks.edit", task=task, script={"repository": "r", "entry_point": "e.py"})
    with database.write() as tx:
        task_store.update_fields(tx, task, {"company": ""})  # its doc copy too
    before = b.ok("tasks.get_by_id", task=task)["task"]
    assert before["name"] == "shared-example"
    assert [t["id"] for t in b.ok("tasks.get_all", id=[task])["tasks"]] == [task]
    forbidden = (
        f"Forbidden (modification not allowed) (cannot modify public task(s), ids=('{task}',))"
    )
    for client in (a, b):
        for name, extra in WRITES_ON_PUBLIC:
            if registry.resolve(name, MAX_VERSION) is None:
                continue
            model = registry.resolve_latest(name).request
            field = "task" if model is None or "task" in model.model_fields else "tasks"
            reply = client.call(name, **{field: task if field == "task" else [task]}, **extra)
            assert reply.code == (403, 21), (name, reply.meta)
            assert reply.msg == forbidden, (name, reply.msg)
        reply = client.batch("tasks.update_batch", [{"task": task, "name": "hacked"}])
        assert reply.code == (403, 21)
    assert b.ok("tasks.get_by_id", task=task)["task"] == before


# -- revocation ----------------------------------------------------------------------------------
def test_revoked_credentials_and_their_tokens_stop_at_once(
    server: LiveServer, db: Database
) -> None:
    company, user, key, secret = new_account(db)
    with db.write() as tx:
        other_key, other_secret = accounts.create_credentials(tx, user)
    api = ApiClient(server.url, key, secret)
    other = ApiClient(server.url, other_key, other_secret)
    try:
        token = api.ok("auth.login", version="")["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        cookie = {"Cookie": f"clearml_token_basic={token}"}
        assert _post(api.http, "server.info", "2.23", bearer).status_code == 200
        assert accounts.revoke_credentials(db, key)
        # the very next call, with no pause: basic, bearer and cookie all refused
        assert api.call("server.info").code == (401, 22)
        for headers in (bearer, cookie):
            meta = _envelope(_post(api.http, "server.info", "2.23", headers))["meta"]
            assert (meta["result_code"], meta["result_subcode"]) == (401, 30)
        assert api.call("auth.login").code == (401, 22)
        # the user's other credential pair is unaffected
        assert other.call("server.info").code == (200, 0)
    finally:
        api.close()
        other.close()


# -- secrets in logs -----------------------------------------------------------------------------
def test_secrets_never_appear_in_the_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'taskyard.db'}"
    database = Database(url)
    migrations.upgrade(database)
    _, _, key, secret = new_account(database)  # accounts exist: the banner shows no secret
    database.close()
    proc = ServeProcess(data_dir, url, log_path=tmp_path / "serve.log")
    proc.extra_args = ("--log-level", "debug")
    proc.start()
    api = ApiClient(proc.url, key, secret)
    tokens: list[str] = []
    try:
        token = api.ok("auth.login", version="")["token"]
        tokens.append(token)
        bearer = {"Authorization": f"Bearer {token}"}
        task = api.ok("tasks.create", name="log-check", type="training")["id"]
        api.http.post("/v2.23/tasks.get_by_id", json={"task": task}, headers=bearer)
        api.call("tasks.started", task="0" * 32)  # a failure
        api.raw("tasks.create", content=b"{bad json")  # another one
        api.http.post("/v2.23/server.info", headers={"Authorization": _basic(f"{key}:wrong")})
        api.http.post("/v2.23/server.info", headers={"Authorization": f"Bearer {token}x"})
        api.http.post("/v2.23/server.info", headers={"Cookie": f"clearml_token_basic={token}"})
        api.http.post(f"/v2.23/server.info?secret={secret}", headers=bearer)
        api.http.get(f"/files/{secret}", headers=bearer)
        tokens.append(api.ok("auth.login", version="", expiration_sec=60)["token"])
    finally:
        api.close()
        proc.stop()
    log = proc.log_text()
    assert "Application startup complete" in log or "taskyard serving" in log
    assert secret not in log
    assert base64.b64encode(f"{key}:{secret}".encode()).decode() not in log
    for token in tokens:
        assert token not in log
        assert token.split(".")[2] not in log  # not even the signature


# -- files ---------------------------------------------------------------------------------------
SENTINEL = b"outside-the-company-root"
TRAVERSALS = [
    "/files/../sentinel.txt",
    "/files/%2e%2e/sentinel.txt",
    "/files/%252e%252e/sentinel.txt",
    "/files/..%2fsentinel.txt",
    "/files/x/../../sentinel.txt",
    "/files/%2e%2e/%2e%2e/sentinel.txt",
    "/files//sentinel.txt",
    "/files/..\\sentinel.txt",
    "/files/%2fetc%2fpasswd",
    "/files/./../sentinel.txt",
    "/files/a%00b",
]


@pytest.fixture
def planted(server: LiveServer) -> Iterator[None]:
    """Files a traversal would reach: in the data dir and in the files root above companies."""
    files_dir = server.settings.files_dir
    files_dir.mkdir(parents=True, exist_ok=True)
    for where in (server.settings.data_dir, files_dir):
        (where / "sentinel.txt").write_bytes(SENTINEL)
    yield


@pytest.mark.parametrize("path", TRAVERSALS)
def test_files_refuse_path_traversal(client: ApiClient, planted: None, path: str) -> None:
    auth_header = {"Authorization": client.auth_header}
    for method in ("GET", "HEAD", "DELETE", "PUT"):
        response = client.http.request(method, path, headers=auth_header, content=b"evil")
        assert response.status_code in (400, 404), (method, response.status_code)
        assert SENTINEL not in response.content
        body = response.json() if method != "HEAD" else None
        if body is not None:
            assert body["meta"]["result_code"] == response.status_code
    server_dirs = client.http.get("/files/sentinel.txt", headers=auth_header)
    assert server_dirs.status_code == 404  # the files root itself is not the company's


def test_multipart_field_names_cannot_traverse(client: ApiClient, planted: None) -> None:
    auth_header = {"Authorization": client.auth_header}
    for name in ("../sentinel.txt", "../../sentinel.txt", "a/../../x", "a\\..\\x"):
        response = client.http.post("/files", files={name: ("f.txt", b"evil")}, headers=auth_header)
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert response.json()["meta"]["result_code"] == 400
    # a leading slash is relative to the company's own root, like the SDK's paths
    response = client.http.post("/files", files={"/abs/x": ("f.txt", b"ok")}, headers=auth_header)
    assert response.json()["data"]["uploaded"] == ["abs/x"]
    assert client.http.get("/files/abs/x", headers=auth_header).content == b"ok"
    assert not Path("/abs/x").exists()


def test_files_of_other_companies_are_refused(
    client: ApiClient, other_client: ApiClient, server: LiveServer
) -> None:
    auth_a = {"Authorization": client.auth_header}
    auth_b = {"Authorization": other_client.auth_header}
    path = "/files/private-project/task.123/artifacts/secret.txt"
    put = client.http.post(path, content=b"top secret", headers=auth_a)
    assert put.status_code == 200, put.text
    assert client.http.get(path, headers=auth_a).content == b"top secret"
    for method in ("GET", "HEAD", "DELETE"):
        response = other_client.http.request(method, path, headers=auth_b)
        assert response.status_code == 404, (method, response.status_code)
        assert b"top secret" not in response.content
    # the other company writing the same path writes its own file, not ours
    assert other_client.http.put(path, content=b"overwritten", headers=auth_b).status_code == 200
    assert client.http.get(path, headers=auth_a).content == b"top secret"
    # nor can it name our company's directory explicitly
    company_dirs = [p.name for p in server.settings.files_dir.iterdir() if p.is_dir()]
    for company in company_dirs:
        sneaky = f"/files/../{company}/private-project/task.123/artifacts/secret.txt"
        response = other_client.http.get(sneaky, headers=auth_b)
        assert b"top secret" not in response.content
    for headers in ({}, {"Authorization": "Bearer abc.def.ghi"}, {"Authorization": _basic("x:y")}):
        response = client.http.get(path, headers=headers)
        assert response.status_code == 401
        assert b"top secret" not in response.content


@pytest.mark.parametrize(
    ("what", "path"),
    [("a 300-character name", "/files/" + "n" * 300), ("below a file", "/files/plain.txt/child")],
)
def test_files_odd_paths_get_an_envelope(client: ApiClient, what: str, path: str) -> None:
    auth_header = {"Authorization": client.auth_header}
    client.http.put("/files/plain.txt", content=b"x", headers=auth_header)
    response = client.http.put(path, content=b"data", headers=auth_header)
    meta = response.json()["meta"]
    assert meta["result_code"] == response.status_code, what
    assert str(client.http.base_url) not in meta["result_msg"]
    assert "/files/" not in meta["result_msg"], "no server paths in messages"
    assert response.status_code in (400, 404, 409), (what, response.status_code)
