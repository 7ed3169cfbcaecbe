"""`taskyard serve` as a real subprocess, for tests that need separate server processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port

TASKYARD = str(Path(sys.executable).with_name("taskyard"))


class ServeProcess:
    """One `taskyard serve` process (workers=1, so its pid is the serving process's pid)."""

    def __init__(self, db_url: str, data_dir: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / f"serve-{self.port}.log"
        self._log = self.log_path.open("wb")
        env = dict(os.environ)
        env.pop("TASKYARD_DB", None)
        self.proc = subprocess.Popen(
            [TASKYARD, "serve", "--port", str(self.port), "--data-dir", str(data_dir),
             "--db", db_url, *args],
            stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        self.pid = self.proc.pid
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/debug.ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"taskyard serve did not start: {self.log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
