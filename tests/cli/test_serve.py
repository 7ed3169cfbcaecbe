"""`taskyard serve` as a user runs it: a subprocess on a free port, talked to over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from taskyard.store.db import Database
from tests.support import free_port

TASKYARD = [sys.executable, "-m", "taskyard"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TASKYARD, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


class Served:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [*TASKYARD, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **env},
        )
        deadline = time.time() + 30
        while True:
            try:
                httpx.get(f"{self.url}/debug.ping", timeout=1)
                break
            except httpx.TransportError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.1)

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=20)
        return out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "data", {})
    yield server
    server.stop()


def test_first_start_prints_a_usable_account_and_sdk_lines(tmp_path: Path) -> None:
    server = Served(tmp_path / "data", {})
    try:
        r = httpx.get(f"{server.url}/debug.ping")
        assert r.json()["data"]["msg"] == "ClearML server"
    finally:
        out = server.stop()
    lines = dict(
        line.strip().removeprefix("export ").split("=", 1)
        for line in out.splitlines()
        if line.strip().startswith("export CLEARML_")
    )
    assert lines["CLEARML_API_HOST"] == server.url
    assert lines["CLEARML_FILES_HOST"] == f"{server.url}/files"
    assert lines["CLEARML_WEB_HOST"] == server.url
    key, secret = lines["CLEARML_API_ACCESS_KEY"], lines["CLEARML_API_SECRET_KEY"]
    # The printed pair works after a restart (and the secret is not printed again).
    again = Served(tmp_path / "data", {})
    try:
        r = httpx.get(f"{again.url}/auth.login", auth=(key, secret))
        assert r.json()["meta"]["result_code"] == 200
    finally:
        out2 = again.stop()
    assert secret not in out2


def test_environment_fixes_the_first_pair(tmp_path: Path) -> None:
    server = Served(
        tmp_path / "d", {"TASKYARD_ACCESS_KEY": "KEY1", "TASKYARD_SECRET_KEY": "SECRET1"}
    )
    try:
        r = httpx.get(f"{server.url}/auth.login", auth=("KEY1", "SECRET1"))
        assert r.json()["meta"]["result_code"] == 200
        assert r.json()["data"]["token"].count(".") == 2
    finally:
        server.stop()


def test_credentials_commands_work_while_the_server_runs(served: Served, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    created = run_cli("credentials", "create", "--data-dir", data, "--label", "ci")
    assert created.returncode == 0, created.stderr
    fields = dict(line.split(": ", 1) for line in created.stdout.splitlines())
    key, secret = fields["access_key"], fields["secret_key"]
    assert (
        httpx.get(f"{served.url}/auth.login", auth=(key, secret)).json()["meta"]["result_code"]
        == 200
    )
    listed = run_cli("credentials", "list", "--data-dir", data)
    assert key in listed.stdout and secret not in listed.stdout
    revoked = run_cli("credentials", "revoke", key, "--data-dir", data)
    assert revoked.returncode == 0
    after = httpx.get(f"{served.url}/auth.login", auth=(key, secret)).json()["meta"]
    assert (after["result_code"], after["result_subcode"]) == (401, 22)


def test_users_create_and_list(served: Served, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    made = run_cli("users", "create", "alice", "--company", "acme", "--data-dir", data)
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(": ", 1) for line in made.stdout.splitlines())
    reply = httpx.get(f"{served.url}/auth.login", auth=(fields["access_key"], fields["secret_key"]))
    assert reply.json()["meta"]["result_code"] == 200
    listed = run_cli("users", "list", "--data-dir", data)
    assert "alice" in listed.stdout and "acme" in listed.stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["serve", "--port", "notaport"], {}),
        (["serve"], {"TASKYARD_PORT": "99999999"}),
        (["serve", "--workers", "0"], {}),
        (["serve", "--db", "mysql://x"], {}),
    ],
)
def test_a_bad_value_exits_with_one_line(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli(*args, "--data-dir", str(tmp_path), env=env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("taskyard: error:")
    assert "Traceback" not in result.stderr


def test_a_database_newer_than_the_code_refuses_to_start(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", "--data-dir", str(tmp_path)).returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'taskyard.db'}")
    with db.write() as tx:
        tx.execute("INSERT INTO schema_migrations (name, applied) VALUES ('9999_future', 'x')")
    db.close()
    result = run_cli("serve", "--data-dir", str(tmp_path), "--port", str(free_port()))
    assert result.returncode != 0
    assert "newer than this taskyard" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
