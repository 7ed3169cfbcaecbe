"""The files host: multipart and raw upload, download, delete, isolation, traversal."""

from __future__ import annotations

import httpx

from tests.support import ApiClient, LiveServer


def _token(client: ApiClient) -> dict[str, str]:
    token = client.ok("auth.login")["token"]
    return {"Authorization": f"Bearer {token}"}


def test_multipart_upload_then_download_and_delete(client: ApiClient, server: LiveServer) -> None:
    headers = _token(client)
    path = "p/t.123/artifacts/stats/stats.json"
    with httpx.Client(base_url=server.url, headers=headers) as http:
        r = http.post("/files/", files={path: (path, b'{"a": 1}', "application/json")})
        assert r.status_code == 200
        assert r.json()["meta"]["result_code"] == 200
        got = http.get(f"/files/{path}")
        assert got.status_code == 200
        assert got.content == b'{"a": 1}'
        assert got.headers["content-type"] == "application/json"
        assert http.delete(f"/files/{path}").status_code == 200
        assert http.get(f"/files/{path}").status_code == 404


def test_multipart_to_a_subdirectory_and_raw_put(client: ApiClient, server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers=_token(client)) as http:
        r = http.post("/files/base/dir/", files={"x.bin": ("x.bin", b"\x00\x01" * 100_000)})
        assert r.json()["data"]["uploaded"] == ["base/dir/x.bin"]
        assert http.get("/files/base/dir/x.bin").content == b"\x00\x01" * 100_000
        assert http.put("/files/raw/y.txt", content=b"hello").status_code == 200
        assert http.get("/files/raw/y.txt").content == b"hello"


def test_files_need_credentials_and_are_per_company(
    client: ApiClient, other_client: ApiClient, server: LiveServer
) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        r = anonymous.post("/files/", files={"a.txt": ("a.txt", b"x")})
        assert r.status_code == 401
        assert r.json()["meta"]["result_code"] == 401
    with httpx.Client(base_url=server.url, headers=_token(client)) as http:
        http.post("/files/", files={"mine.txt": ("mine.txt", b"secret")})
        assert http.get("/files/mine.txt").status_code == 200
    with httpx.Client(base_url=server.url, headers=_token(other_client)) as other:
        assert other.get("/files/mine.txt").status_code == 404


def test_session_cookie_authenticates_downloads(client: ApiClient, server: LiveServer) -> None:
    token = client.ok("auth.login")["token"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        http.put("/files/c.txt", content=b"cookie")
    with httpx.Client(base_url=server.url, cookies={"clearml_token_basic": token}) as browser:
        assert browser.get("/files/c.txt").content == b"cookie"


def test_path_traversal_is_refused(client: ApiClient, server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers=_token(client)) as http:
        r = http.post("/files/", files={"../../escape.txt": ("../../escape.txt", b"x")})
        assert r.status_code == 400
        assert http.put("/files/a/%2E%2E/%2E%2E/b.txt", content=b"x").status_code == 400
        assert http.get("/files/a//b").status_code == 400


def test_sdk_form_post_to_the_host_without_slash(client: ApiClient, server: LiveServer) -> None:
    """The SDK posts to `<files host>` itself, naming the field `/<project>/<task>/…`."""
    name = "/proj/t.1/artifacts/a/a.json"
    with httpx.Client(base_url=server.url, headers=_token(client)) as http:
        r = http.post("/files", files={name: (name, b"{}")})
        assert r.status_code == 200
        assert http.get("/files/proj/t.1/artifacts/a/a.json").content == b"{}"


def test_paths_the_file_system_cannot_hold_are_a_400(client: ApiClient, server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers=_token(client)) as http:
        http.put("/files/plain.txt", content=b"x")
        for path in ("/files/" + "n" * 300, "/files/plain.txt/child"):
            r = http.put(path, content=b"data")
            assert r.status_code == 400, (path, r.text)
            assert r.json()["meta"]["result_code"] == 400
            assert str(server.settings.files_dir) not in r.text
