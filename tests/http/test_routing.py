"""URL forms, versions and method handling (SEMANTICS §1.1–§1.2)."""

from __future__ import annotations

import pytest

from tests.support import ApiClient


def test_unknown_endpoint_is_404_with_reference_message(client: ApiClient) -> None:
    reply = client.call("nosuch.endpoint", version="2.1")
    assert reply.status == 404
    assert reply.code == (404, 0)
    assert reply.msg == "Unable to find endpoint for name nosuch.endpoint and version 2.1"
    assert reply.meta["endpoint"]["actual_version"] is None


def test_single_digit_version_is_an_invalid_path(client: ApiClient) -> None:
    reply = client.call("debug.ping", version="2")
    assert reply.status == 400
    assert reply.code == (400, 0)
    assert reply.msg == "Invalid request path /v2/debug.ping"
    assert reply.meta["endpoint"]["name"] == ""


@pytest.mark.parametrize(
    "path", ["/debug.ping", "/v2.1/debug.ping", "v2.10/debug.ping/", "/v21/debug.ping"]
)
def test_url_forms(client: ApiClient, path: str) -> None:
    r = client.http.post(path if path.startswith("/") else "/" + path)
    assert r.status_code == 200
    assert r.json()["data"]["msg"] == "ClearML server"


def test_no_version_resolves_to_the_max(client: ApiClient) -> None:
    reply = client.at(None).call("server.info")
    assert reply.meta["endpoint"]["requested_version"] == "2.23"
    assert reply.data["api_version"] == "2.23"


def test_actual_version_is_the_chosen_handlers_minimum(client: ApiClient) -> None:
    reply = client.call("server.info", version="2.5")
    assert reply.meta["endpoint"] == {
        "name": "server.info",
        "requested_version": "2.5",
        "actual_version": "1.0",
    }


def test_old_clients_get_float_versions(client: ApiClient) -> None:
    reply = client.call("server.info", version="1.7")
    assert reply.meta["endpoint"]["requested_version"] == 1.7
    assert reply.meta["endpoint"]["actual_version"] == 1.0


def test_versions_above_the_max_resolve_to_the_max(client: ApiClient) -> None:
    reply = client.call("server.info", version="2.99")
    assert reply.code == (200, 0)
    assert reply.meta["endpoint"]["requested_version"] == "2.99"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_any_method_with_a_json_body_reaches_the_handler(client: ApiClient, method: str) -> None:
    reply = client.raw("debug.ping", {"hello": "world", "method": "get"}, method=method)
    assert reply.data == {"msg": "ClearML server", "hello": "world"}


def test_query_args_override_body_keys_and_nest(client: ApiClient) -> None:
    reply = client.raw(
        "debug.ping", {"a": 1, "b": {"c": 1}}, params={"a": "2", "b.d": "true", "x[]": "s"}
    )
    assert reply.data["a"] == 2
    assert reply.data["b"] == {"c": 1, "d": True}
    assert reply.data["x"] == ["s"]


def test_options_is_a_cors_preflight(client: ApiClient) -> None:
    r = client.http.options("/v2.23/tasks.get_all")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"


def test_trx_header_is_echoed(client: ApiClient) -> None:
    reply = client.raw("debug.ping", {}, headers={"X-ClearML-Trx": "my-trx"})
    assert reply.meta["trx"] == "my-trx"
    assert len(reply.meta["id"]) == 32
