"""Bad input: every malformed request gets its documented code and message, and changes nothing.

The table below is the source of docs/errors.md (between the generated-table markers): a test
renders it and compares, so the documentation cannot drift from what is asserted. Regenerate
with `TASKYARD_UPDATE_DOCS=1 .venv/bin/pytest tests/test_bad_input.py -k docs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from taskyard import services
from taskyard.http import params, registry
from taskyard.store import migrations
from taskyard.store.db import Database
from taskyard.versions import MAX_VERSION
from tests.conftest import fresh_database_url
from tests.support import ApiClient, LiveServer, new_account

services.load_all()

DOCS = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
BEGIN = "<!-- BEGIN bad-input table: generated from tests/test_bad_input.py, do not edit -->"
END = "<!-- END bad-input table -->"
LONG_NAME = "a" * 40 + "!"  # a name that makes `(a|aa)+$` backtrack exponentially


def _nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b'{"x":1}' + b"}" * (depth - 1)


@dataclass(frozen=True)
class Case:
    id: str
    what: str  # the bad input, as the docs table shows it
    endpoint: str  # "service.action", or a whole path when it starts with "/"
    body: bytes | None
    code: tuple[int, int]
    message: str  # exact; a trailing "…" means "starts with", a leading one "ends with"
    content_type: str = "application/json"
    query: str = ""
    auth: bool = True
    needs: tuple[str, ...] = ()  # endpoints that must be registered (others land later)
    data: dict[str, Any] = field(default_factory=dict)  # expected subset of `data` on success
    postgres: tuple[tuple[int, int], str] | None = None  # where PostgreSQL answers otherwise
    known_bug: str = ""  # reported, not fixed yet: an expected failure until then

    @property
    def path(self) -> str:
        if self.endpoint.startswith("/"):
            return self.endpoint
        return f"/v{MAX_VERSION}/{self.endpoint}"

    def expected(self, backend: str) -> tuple[tuple[int, int], str]:
        if backend == "postgres" and self.postgres is not None:
            return self.postgres
        return self.code, self.message


def matches(pattern: str, message: str) -> bool:
    if pattern.startswith("…"):
        return message.endswith(pattern[1:])
    if pattern.endswith("…"):
        return message.startswith(pattern[:-1])
    return message == pattern


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


CREATE = "tasks.create"
CASES = [
    # -- the body is not JSON, or not an object ------------------------------------------------
    Case("invalid-json", "invalid JSON (`{bad`)", CREATE, b"{bad", (400, 0),
         "Failed to decode JSON object: …", needs=(CREATE,)),
    Case("truncated-json", "truncated JSON", CREATE, b'{"name": "abc', (400, 0),
         "Failed to decode JSON object: …", needs=(CREATE,)),
    Case("form-body", "a form-encoded body (`name=abc&type=training`)", CREATE,
         b"name=abc&type=training", (400, 0), "Failed to decode JSON object: …",
         content_type="application/x-www-form-urlencoded", needs=(CREATE,)),
    Case("json-list", "JSON that is a list", CREATE, b"[1, 2]", (400, 12),
         "Validation error (data should be a json object): type=list", needs=(CREATE,)),
    Case("json-string", "JSON that is a string", CREATE, b'"task"', (400, 12),
         "Validation error (data should be a json object): type=str", needs=(CREATE,)),
    Case("json-number", "JSON that is a number", CREATE, b"42", (400, 12),
         "Validation error (data should be a json object): type=int", needs=(CREATE,)),
    Case("json-null", "JSON `null`", CREATE, b"null", (400, 12),
         "Validation error (data should be a json object): type=NoneType", needs=(CREATE,)),
    Case("nan", "`NaN` / `Infinity` literals", CREATE, b'{"name": "abc", "x": NaN}', (400, 0),
         "Failed to decode JSON object: …", needs=(CREATE,)),
    Case("bad-utf8", "invalid UTF-8 in the body", CREATE, b'{"name": "ab\xff\xfe"}', (400, 0),
         "Failed to decode JSON object: …", needs=(CREATE,)),
    Case("lone-surrogate", 'a lone UTF-16 surrogate (`"\\ud800"`)', CREATE,
         b'{"name": "\\ud800abc", "type": "training"}', (400, 0),
         "Failed to decode JSON object: …", needs=(CREATE,)),
    Case("nul-char", 'a NUL character in a string (`"a\\u0000b"`)', CREATE,
         b'{"name": "ab\\u0000c", "type": "training"}', (400, 12),
         "Validation error (strings must not contain nul characters)", needs=(CREATE,)),
    Case("nested-101", "JSON nested 101 levels deep", CREATE, _nested(101), (400, 12),
         "Validation error (data nested too deeply): max_depth=100", needs=(CREATE,)),
    Case("nested-5000", "JSON nested 5,000 levels deep", CREATE, _nested(5000), (400, 12),
         "Validation error (data nested too deeply): max_depth=100", needs=(CREATE,)),
    Case("nested-query", "query keys nesting 200 levels (`?a.a.a…=1`)", "debug.ping", None,
         (400, 12), "Validation error (data nested too deeply): max_depth=100",
         query=".".join(["a"] * 200) + "=1"),
    Case("u64", "an integer ≥ 2^63 (`18446744073709551615`)", CREATE,
         b'{"name": "abc", "type": "training", "x": 18446744073709551615}', (400, 12),
         "Validation error (integer out of the signed 64-bit range)", needs=(CREATE,)),
    Case("huge-query-int", "a 5,000-digit number in a query argument", "debug.ping", None,
         (400, 12), "Validation error (integer out of the signed 64-bit range)",
         query="x=" + "9" * 5000),
    Case("unicode-digit", "a Unicode digit in a query argument (`?x=²`)", "debug.ping", None,
         (200, 0), "OK", query="x=%C2%B2", data={"x": "²"}),
    Case("json-lines-not-object", "a json-lines line that is not an object", "debug.ping",
         b'{"a": 1}\n[1]', (400, 0), "json lines must contain objects, found: list",
         content_type="application/json-lines"),
    Case("json-lines-invalid", "a json-lines line that is not JSON", "debug.ping",
         b'{"a": 1}\n{oops', (400, 0), "…in batch item #1",
         content_type="application/json-lines"),
    # -- wrong types, missing fields, unknown fields ---------------------------------------------
    Case("missing-field", "a required field missing (`tasks.create` without `name`)", CREATE,
         _json({"type": "training"}), (400, 12),
         "Validation error (error for field 'name'. field is required!)", needs=(CREATE,)),
    Case("wrong-type", "a wrong type (`name: 5`)", CREATE, _json({"name": 5, "type": "training"}),
         (400, 12),
         "Validation error (error for field 'name': ('value is wrong, expected type \"str\"', 5).)",
         needs=(CREATE,)),
    Case("bad-enum", "a value outside an enum (`type: \"foo\"`)", CREATE,
         _json({"name": "abc", "type": "foo"}), (400, 12),
         "Validation error (error for field 'type': …", needs=(CREATE,)),
    Case("wrong-type-int", "a string for an integer (`expiration_sec: \"soon\"`)", "auth.login",
         _json({"expiration_sec": "soon"}), (400, 12),
         "Validation error (error for field 'expiration_sec': "
         "('value is wrong, expected type \"int\"', 'soon').)"),
    Case("unknown-field", "an unknown field (`bogus: 1`): ignored", "server.info",
         _json({"bogus": 1}), (200, 0), "OK"),
    # -- query values ------------------------------------------------------------------------------
    Case("regex-catastrophic",
         "a catastrophic regex (`name: \"(a|aa)+$\"`) on a long name; PostgreSQL's engine "
         "matches it in linear time (and has a statement timeout), SQLite's gives up after 50 ms",
         "tasks.get_all", _json({"name": "(a|aa)+$"}), (400, 21),
         "Malformed regular expression (regular expression took too long)",
         needs=("tasks.get_all", CREATE), postgres=((200, 0), "OK")),
    Case("regex-catastrophic-any", "the same regex in `_any_`", "tasks.get_all",
         _json({"_any_": {"pattern": "(a|aa)+$", "fields": ["name", "comment"]}}), (400, 21),
         "Malformed regular expression (regular expression took too long)",
         needs=("tasks.get_all", CREATE), postgres=((200, 0), "OK")),
    Case("regex-invalid", "an invalid regex (`name: \"([\"`)", "tasks.get_all",
         _json({"name": "(["}), (400, 21), "Malformed regular expression…",
         needs=("tasks.get_all",)),
    Case("date-invalid", "an invalid date (`status_changed: [\">not-a-date\"]`)",
         "tasks.get_all", _json({"status_changed": [">not-a-date"]}), (200, 0), "OK",
         needs=("tasks.get_all",)),
    Case("page-negative", "a negative page (`page: -1, page_size: 10`)", "tasks.get_all",
         _json({"page": -1, "page_size": 10}), (400, 12),
         "Validation error (page must be >=0): field=page", needs=("tasks.get_all",)),
    Case("page-size-zero", "a zero page size (`page: 0, page_size: 0`)", "tasks.get_all",
         _json({"page": 0, "page_size": 0}), (400, 12),
         "Validation error (page_size must be >0): field=page_size", needs=("tasks.get_all",)),
    Case("page-huge", "a huge page (`page: 2^62, page_size: 500`)", "tasks.get_all",
         _json({"page": 2**62, "page_size": 500}), (200, 0), "OK", needs=("tasks.get_all",),
         data={"tasks": []}),
    Case("page-size-huge", "a huge page size (`page_size: 2^62`)", "tasks.get_all",
         _json({"page": 0, "page_size": 2**62}), (200, 0), "OK", needs=("tasks.get_all",)),
    # -- paths, versions, credentials -----------------------------------------------------------
    Case("unknown-endpoint", "an unknown endpoint (`/v2.23/tasks.nosuch`)", "tasks.nosuch",
         b"{}", (404, 0), "Unable to find endpoint for name tasks.nosuch and version 2.23"),
    Case("unknown-service", "an unknown service (`/v2.23/nosuch.get_all`)", "nosuch.get_all",
         b"{}", (404, 0), "Unable to find endpoint for name nosuch.get_all and version 2.23"),
    Case("version-too-low", "a version below every implementation (`/v0.5/server.info`)",
         "/v0.5/server.info", b"{}", (404, 0),
         "Unable to find endpoint for name server.info and version 0.5"),
    Case("version-one-digit", "a one-digit version (`/v2/server.info`)", "/v2/server.info",
         b"{}", (400, 0), "Invalid request path /v2/server.info"),
    Case("version-garbage", "a non-numeric version (`/vX.Y/server.info`)", "/vX.Y/server.info",
         b"{}", (400, 0), "Invalid request path /vX.Y/server.info"),
    Case("version-above-max", "a version above the maximum (`/v9.99/server.info`)",
         "/v9.99/server.info", b"{}", (200, 0), "OK"),
    Case("short-action", "a one-letter action (`/v2.23/tasks.x`)", "tasks.x", b"{}", (400, 0),
         "Invalid request path /v2.23/tasks.x"),
    Case("no-credentials-bad-json", "invalid JSON without credentials", CREATE, b"{bad",
         (401, 20), "Unauthorized (missing credentials)", auth=False, needs=(CREATE,)),
]  # fmt: skip


def _registered(case: Case) -> bool:
    return all(registry.resolve(name, MAX_VERSION) is not None for name in case.needs)


def _tables(db: Database) -> dict[str, list[str]]:
    """Every table and its columns."""
    with db.read() as tx:
        if db.dialect.is_postgres:
            rows = tx.query(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
            )
        else:
            names = [r[0] for r in tx.query("SELECT name FROM sqlite_master WHERE type='table'")]
            rows = []
            for name in names:
                if name.startswith("sqlite_") or "fts" in name:
                    continue
                rows += [(name, c[1]) for c in tx.query(f'PRAGMA table_info("{name}")')]
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def store_snapshot(db: Database, company: str) -> dict[str, Any]:
    """Row counts of every table, and every row of `company` where a table has that column."""
    snap: dict[str, Any] = {}
    with db.read() as tx:
        for table, columns in _tables(db).items():
            snap[table] = tx.query_one(f'SELECT COUNT(*) FROM "{table}"')
            if "company" in columns:
                rows = tx.query(f'SELECT * FROM "{table}" WHERE company = ?', (company,))
                snap[f"{table}:rows"] = sorted(repr(r) for r in rows)
    return snap


def send(http: httpx.Client, auth_header: str, case: Case) -> httpx.Response:
    headers = {"Content-Type": case.content_type}
    if case.auth:
        headers["Authorization"] = auth_header
    url = case.path + (f"?{case.query}" if case.query else "")
    return http.post(url, content=case.body or b"", headers=headers)


def assert_envelope(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body: dict[str, Any] = response.json()
    assert body["meta"]["result_code"] == response.status_code
    assert isinstance(body["data"], dict)
    return body


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case,
    client: ApiClient,
    db: Database,
    account: tuple[str, str, str, str],
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    if not _registered(case):
        pytest.skip(f"not registered yet: {case.needs}")
    if case.known_bug:
        request.applymarker(pytest.mark.xfail(reason=case.known_bug, strict=False))
    if case.id.startswith("regex-catastrophic"):
        client.ok("tasks.create", name=LONG_NAME, type="training")
    before = store_snapshot(db, account[0])
    response = send(client.http, client.auth_header, case)
    body = assert_envelope(response)
    meta = body["meta"]
    code, message = case.expected(backend)
    assert (meta["result_code"], meta["result_subcode"]) == code, meta
    assert matches(message, meta["result_msg"]), (meta["result_msg"], message)
    for key, value in case.data.items():
        assert body["data"][key] == value
    assert store_snapshot(db, account[0]) == before


def test_unknown_fields_are_ignored_not_stored(client: ApiClient) -> None:
    if registry.resolve("tasks.create", MAX_VERSION) is None:
        pytest.skip("tasks.create not registered yet")
    task = client.ok("tasks.create", name="unknown-fields", type="training", bogus={"x": 1})["id"]
    doc = client.ok("tasks.get_by_id", task=task)["task"]
    assert "bogus" not in doc
    assert doc["name"] == "unknown-fields"


def test_just_under_the_nesting_limit_is_accepted_and_renders(client: ApiClient) -> None:
    reply = client.raw("debug.ping", content=_nested(params.MAX_DEPTH))
    assert reply.code == (200, 0)


# -- the body size limit needs a server with a small limit ------------------------------------
@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    tmp = tmp_path_factory.mktemp("small")
    url = fresh_database_url("sqlite", tmp)
    database = Database(url)
    migrations.upgrade(database)
    _, _, key, secret = new_account(database)
    database.close()
    srv = LiveServer(url, str(tmp / "data"), max_body_mb=1)
    yield srv, ApiClient(srv.url, key, secret).auth_header
    srv.stop()


@pytest.mark.parametrize("content_type", ["application/json", "application/json-lines"])
def test_huge_body_is_413_in_the_envelope(
    small_server: tuple[LiveServer, str], content_type: str
) -> None:
    srv, auth_header = small_server
    body = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        response = http.post(
            "/v2.23/server.info",
            content=body,
            headers={"Authorization": auth_header, "Content-Type": content_type},
        )
        envelope = assert_envelope(response)
        assert response.status_code == 413
        assert envelope["meta"]["result_subcode"] == 0
        assert envelope["meta"]["result_msg"] == "Request body too large (limit 1 MB)"
        # the server still answers afterwards
        ok = http.post("/v2.23/server.info", headers={"Authorization": auth_header})
        assert ok.status_code == 200


def test_body_just_under_the_limit_is_read(small_server: tuple[LiveServer, str]) -> None:
    srv, auth_header = small_server
    body = b'{"pad": "' + b"x" * (1024 * 1024 - 100) + b'"}'
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        response = http.post(
            "/v2.23/server.info", content=body, headers={"Authorization": auth_header}
        )
    assert response.status_code == 200


# -- docs/errors.md ------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table() -> str:
    lines = [
        "| bad input | request | HTTP | code/subcode | message |",
        "|---|---|---|---|---|",
    ]
    for case in CASES:
        request = f"`{case.path}`"
        if case.query:
            shown = case.query if len(case.query) < 40 else case.query[:30] + "…"
            request = f"`{case.path}?{shown}`"
        if case.content_type != "application/json":
            request += f" ({case.content_type})"
        if not case.auth:
            request += " (no credentials)"
        http, code, message = f"{case.code[0]}", f"{case.code[0]}/{case.code[1]}", case.message
        message = f"`{message}`"
        if case.postgres is not None:
            (pg_http, pg_sub), pg_message = case.postgres
            http += f" (PostgreSQL: {pg_http})"
            code += f" (PostgreSQL: {pg_http}/{pg_sub})"
            message += f" (PostgreSQL: `{pg_message}`)"
        lines.append(
            f"| {_cell(case.what)} | {_cell(request)} | {http} | {code} | {_cell(message)} |"
        )
    lines.append(
        "| a body over `--max-body-mb` (default 64) | any endpoint | 413 | 413/0 | "
        "`Request body too large (limit <N> MB)` |"
    )
    return "\n".join(lines)


def test_docs_errors_table_matches_the_asserted_cases() -> None:
    table = render_table()
    text = DOCS.read_text()
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    assert begin and end, f"{DOCS} lacks the generated-table markers"
    current = rest.partition(END)[0].strip()
    if current != table and os.environ.get("TASKYARD_UPDATE_DOCS") == "1":
        DOCS.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
        return
    assert current == table, "docs/errors.md is stale: rerun with TASKYARD_UPDATE_DOCS=1"
