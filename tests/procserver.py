"""`taskyard serve` as a real subprocess: for crash (SIGKILL), multi-process and log tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port

TASKYARD = str(Path(sys.executable).with_name("taskyard"))


class ServeProcess:
    """One `taskyard serve` process; its stdout+stderr go to `log_path`."""

    def __init__(
        self,
        data_dir: Path,
        db_url: str = "",
        *,
        access_key: str = "",
        secret: str = "",
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
        port: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.access_key = access_key
        self.secret = secret
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or data_dir.parent / f"serve-{self.port}.log"
        self.extra_args = extra_args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> ServeProcess:
        self.launch()
        return self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process without waiting (to start several at once)."""
        args = [TASKYARD, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.db_url:
            args += ["--db", self.db_url]
        args += list(self.extra_args)
        env = dict(os.environ)
        for name in ("TASKYARD_ACCESS_KEY", "TASKYARD_SECRET_KEY"):
            env.pop(name, None)
        if self.access_key:
            env["TASKYARD_ACCESS_KEY"] = self.access_key
            env["TASKYARD_SECRET_KEY"] = self.secret
        with open(self.log_path, "ab") as log:
            # A session of its own, so a SIGKILL reaches exactly this server and its children.
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def wait_ready(self, timeout: float = 60) -> ServeProcess:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"taskyard serve exited: {self.log_text()[-2000:]}")
                try:
                    if http.post(f"{self.url}/debug.ping").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"taskyard serve did not start: {self.log_text()[-2000:]}")
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, exactly like a crash or an OOM kill."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self.proc = None

    def stop(self) -> None:
        """A clean shutdown (SIGTERM)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        self.proc = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
