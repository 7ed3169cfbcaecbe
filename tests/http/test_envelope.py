"""The envelope (SEMANTICS §1.3) on success, on errors and on unexpected failures."""

from __future__ import annotations

from typing import Any

import orjson

from taskyard.http import envelope
from taskyard.http.call import Call
from taskyard.http.registry import endpoint
from tests.support import ApiClient


@endpoint("testing.explode")
def _explode(call: Call) -> dict[str, Any]:
    raise ZeroDivisionError("boom")


@endpoint("testing.echo_batch", batch=True)
def _echo_batch(call: Call) -> dict[str, Any]:
    return {"items": call.batch}


def test_success_envelope_shape(client: ApiClient) -> None:
    reply = client.call("server.info")
    assert reply.status == 200
    assert set(reply.meta) == {
        "id",
        "trx",
        "endpoint",
        "result_code",
        "result_subcode",
        "result_msg",
        "error_stack",
        "error_data",
    }
    assert reply.meta["result_msg"] == "OK"
    assert reply.meta["error_stack"] is None
    assert reply.meta["error_data"] == {}
    assert reply.headers["content-type"] == "application/json"


def test_unexpected_exception_is_500_0_in_a_valid_envelope(client: ApiClient) -> None:
    reply = client.call("testing.explode")
    assert reply.status == 500
    assert reply.code == (500, 0)
    assert "boom" in reply.msg
    assert reply.data == {}


def test_json_lines_body_reaches_a_batch_handler_as_a_list(client: ApiClient) -> None:
    reply = client.batch("testing.echo_batch", [{"a": 1}, {"b": 2}])
    assert reply.data == {"items": [{"a": 1}, {"b": 2}]}


def test_plain_object_to_a_batch_handler_is_a_one_item_batch(client: ApiClient) -> None:
    assert client.ok("testing.echo_batch", a=1) == {"items": [{"a": 1}]}


def test_json_lines_with_a_non_object_line_is_400(client: ApiClient) -> None:
    reply = client.raw(
        "testing.echo_batch",
        content=b'{"a": 1}\n[1]',
        headers={"Content-Type": "application/json-lines"},
    )
    assert reply.code == (400, 0)
    assert reply.msg == "json lines must contain objects, found: list"


def test_invalid_json_is_400_0(client: ApiClient) -> None:
    reply = client.raw(
        "server.info", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert reply.code == (400, 0)
    assert reply.msg.startswith("Failed to decode JSON object")


def test_auth_is_checked_before_the_body(client: ApiClient) -> None:
    reply = client.raw("server.info", content=b"{nope", auth=False)
    assert reply.code == (401, 20)


def test_replies_with_non_string_keys_and_sets_still_render() -> None:
    body = envelope.render(
        endpoint_name="x.y", requested="2.23", actual="1.0", trx=None, data={7: {"a"}, "k": 1.5}
    )
    assert orjson.loads(body)["data"] == {"7": ["a"], "k": 1.5}
