"""Authentication (SEMANTICS §1.5): Basic pairs, JWTs, the cookie, revocation."""

from __future__ import annotations

import base64
import time

import jwt

from taskyard.store import accounts
from taskyard.store.db import Database
from tests.support import ApiClient


def login(client: ApiClient, **body: object) -> str:
    reply = client.raw("auth.login", body or None, method="GET", version="")
    assert reply.code == (200, 0), reply.body
    return str(reply.data["token"])


def bearer(client: ApiClient, token: str, endpoint: str = "server.info") -> tuple[int, int]:
    r = client.http.post(f"/v2.23/{endpoint}", headers={"Authorization": f"Bearer {token}"})
    meta = r.json()["meta"]
    assert r.status_code == meta["result_code"]
    return meta["result_code"], meta["result_subcode"]


def test_login_returns_a_jwt_announcing_api_2_23(client: ApiClient) -> None:
    token = login(client)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["api_version"] == "2.23"
    assert claims["feature_set"] == "basic"
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600
    assert set(claims["identity"]) >= {"user", "company", "role", "user_name", "company_name"}
    assert bearer(client, token) == (200, 0)


def test_login_honours_expiration_sec_up_to_a_cap(client: ApiClient) -> None:
    claims = jwt.decode(login(client, expiration_sec=600), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600
    capped = jwt.decode(login(client, expiration_sec=10**9), options={"verify_signature": False})
    assert capped["exp"] - capped["iat"] == 365 * 24 * 3600


def test_login_sets_the_session_cookie_which_authenticates(client: ApiClient) -> None:
    r = client.http.get("/auth.login", headers={"Authorization": client.auth_header})
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("clearml_token_basic=") and "HttpOnly" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    r2 = client.http.post("/v2.23/server.info", headers={"Cookie": f"clearml_token_basic={token}"})
    assert r2.json()["meta"]["result_code"] == 200


def test_wrong_secret_is_401_22(client: ApiClient) -> None:
    bad = "Basic " + base64.b64encode(f"{client.access_key}:nope".encode()).decode()
    reply = client.raw("auth.login", auth=False, headers={"Authorization": bad})
    assert reply.status == 401
    assert reply.code == (401, 22)
    assert reply.msg == "Unauthorized (invalid credentials) (failed to locate provided credentials)"


def test_missing_credentials_is_401_20(client: ApiClient) -> None:
    reply = client.raw("server.info", {}, auth=False)
    assert reply.code == (401, 20)
    assert reply.msg == "Unauthorized (missing credentials)"


def test_unknown_scheme_is_401_10(client: ApiClient) -> None:
    reply = client.raw("server.info", {}, auth=False, headers={"Authorization": "Digest x"})
    assert reply.code == (401, 10)
    assert reply.msg == "Unauthorized (bad authentication header type)"


def test_malformed_basic_is_401_21(client: ApiClient) -> None:
    reply = client.raw("server.info", {}, auth=False, headers={"Authorization": "Basic !!!"})
    assert reply.code == (401, 21)
    assert reply.msg.startswith("Unauthorized (malformed credentials)")


def test_tampered_token_is_401_30(client: ApiClient) -> None:
    token = login(client)
    head, body, sig = token.split(".")
    forged_body = base64.urlsafe_b64encode(
        b'{"identity":{"user":"x","company":"y"},"exp":9999999999}'
    )
    assert bearer(client, f"{head}.{forged_body.decode().rstrip('=')}.{sig}") == (401, 30)
    assert bearer(client, token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")) == (401, 30)


def test_expired_token_is_401_30(client: ApiClient, db: Database) -> None:
    with db.read() as tx:
        secret = tx.query_one("SELECT value FROM settings WHERE key = 'token_secret'")
    assert secret is not None
    claims = jwt.decode(login(client), options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 5
    expired = jwt.encode(claims, secret[0], algorithm="HS256")
    r = client.http.post("/v2.23/server.info", headers={"Authorization": f"Bearer {expired}"})
    meta = r.json()["meta"]
    assert (meta["result_code"], meta["result_subcode"]) == (401, 30)
    assert "Signature has expired" in meta["result_msg"]


def test_revoked_credentials_fail_at_once_also_their_tokens(
    client: ApiClient, db: Database
) -> None:
    token = login(client)
    assert bearer(client, token) == (200, 0)
    assert accounts.revoke_credentials(db, client.access_key)
    assert bearer(client, token) == (401, 30)
    assert client.call("server.info").code == (401, 22)


def test_debug_ping_needs_no_credentials(client: ApiClient) -> None:
    assert client.raw("debug.ping", {}, auth=False).code == (200, 0)
