"""The real clearml SDK against a live `taskyard serve`, each scenario a script in a subprocess.

One server per test worker (SQLite in a temporary data dir); tests isolate by project name and
by giving every script run a HOME of its own (the SDK keeps its task-reuse cache there). The
scripts get only the environment a user would set: the five variables `taskyard serve` prints,
`CLEARML_NO_DEFAULT_SERVER=1`, and a config file of their own (empty unless a test asks for a
setting), so nothing from the machine's `~/clearml.conf` leaks in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.procserver import ServeProcess
from tests.support import ApiClient

SCRIPTS = Path(__file__).parent / "scripts"
PYTHON = sys.executable
ACCESS_KEY = "SDKTESTACCESSKEY0001"
SECRET_KEY = "sdk-test-secret-key-0001-abcdefghijklmnop"

# The reporter in a thread instead of a subprocess: `close()` then returns at once instead of
# waiting ~10 s for the reporting process. Used where the reporter's process model is not
# what a scenario is about; the main init→close scenario keeps the SDK's default.
FAST_CLOSE = "sdk { development { report_use_subprocess: false } }\n"

VERSIONS = [None, "2.9", "2.13", "2.20"]  # None: no cap, the SDK talks 2.23


def version_id(version: str | None) -> str:
    return f"api{version or '2.23'}"


@pytest.fixture(scope="session")
def sdk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    data = tmp_path_factory.mktemp("sdk-server")
    server = ServeProcess(data / "data", access_key=ACCESS_KEY, secret=SECRET_KEY).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sdk_pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """The same, on a fresh PostgreSQL database (skipped without PostgreSQL)."""
    from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, drop_pg_database, make_pg_database

    if not PG_AVAILABLE:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    url = make_pg_database()
    data = tmp_path_factory.mktemp("sdk-pg-server")
    server = ServeProcess(data / "data", url, access_key=ACCESS_KEY, secret=SECRET_KEY).start()
    yield server
    server.stop()
    drop_pg_database(url)


@pytest.fixture
def api(sdk_server: ServeProcess) -> Iterator[ApiClient]:
    """The test's own view of the server (same account as the SDK)."""
    client = ApiClient(sdk_server.url, ACCESS_KEY, SECRET_KEY)
    yield client
    client.close()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    result: dict[str, Any] = field(default_factory=dict)

    def explain(self) -> str:
        out, err = self.stdout[-4000:], self.stderr[-6000:]
        return f"exit {self.returncode}\n--- stdout\n{out}\n--- stderr\n{err}"


@dataclass
class Sdk:
    """Runs scenario scripts with the SDK pointed at the test server."""

    server: ServeProcess
    home: Path
    version: str | None
    config: str = ""
    project: str = field(default_factory=lambda: f"sdk-{uuid.uuid4().hex[:10]}")

    def env(self, **extra: str) -> dict[str, str]:
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "clearml.conf"
        config.write_text(self.config)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "CLEARML_API_HOST": self.server.url,
            "CLEARML_WEB_HOST": self.server.url,
            "CLEARML_FILES_HOST": f"{self.server.url}/files",
            "CLEARML_API_ACCESS_KEY": ACCESS_KEY,
            "CLEARML_API_SECRET_KEY": SECRET_KEY,
            "CLEARML_NO_DEFAULT_SERVER": "1",
            "CLEARML_CONFIG_FILE": str(config),
            "SCENARIO_PROJECT": self.project,
        }
        if self.version:
            env["CLEARML_FORCE_MAX_API_VERSION"] = self.version
        env.update(extra)
        return env

    def start(self, script: str, **extra: str) -> subprocess.Popen[str]:
        # Scripts run from a directory outside any git checkout, as a user's standalone script
        # would: the SDK then stores the script text itself as the task's code.
        workdir = self.home / "work"
        workdir.mkdir(parents=True, exist_ok=True)
        for name in ("_prelude.py", script):
            shutil.copy(SCRIPTS / name, workdir / name)
        return subprocess.Popen(
            [PYTHON, script],
            env=self.env(**extra),
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, script: str, timeout: float = 90, **extra: str) -> Run:
        """Run a script to its end; its RESULT line becomes `.result`. Fails on a non-zero exit."""
        proc = self.start(script, **extra)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"{script} timed out\n{Run(-1, out, err).explain()}")
        run = Run(proc.returncode, out, err)
        for line in out.splitlines():
            if line.startswith("RESULT "):
                run.result = json.loads(line[len("RESULT ") :])
        assert run.returncode == 0 and run.result, f"{script} failed\n{run.explain()}"
        return run


@pytest.fixture(params=VERSIONS, ids=version_id)
def sdk(request: pytest.FixtureRequest, sdk_server: ServeProcess, tmp_path: Path) -> Sdk:
    return Sdk(sdk_server, tmp_path / "home", request.param)
