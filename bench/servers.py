"""Start/stop the two servers, time start-to-first-answer, read resident memory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
MLFLOW_VENV = WORK / "mlflow-venv"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(pid: int) -> list[int]:
    kids = children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_kib(pid: int) -> int:
    """VmRSS summed over the process and all its descendants (workers), in KiB."""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def cpu_ticks(pid: int) -> int:
    """utime+stime (clock ticks) summed over the process tree."""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            total += int(parts[11]) + int(parts[12])
        except OSError:
            pass
    return total


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    probe: str  # path that answers once the server is ready
    probe_method: str = "GET"
    log: Path | None = None
    cpus: str | None = None  # taskset cpu list
    proc: subprocess.Popen | None = None
    startup_s: float = float("nan")
    idle_rss_kib: int = 0
    peak_rss_kib: int = 0
    rss_samples: list[int] = field(default_factory=list)

    def start(self, timeout: float = 180.0) -> None:
        argv = list(self.argv)
        if self.cpus:
            argv = ["taskset", "-c", self.cpus, *argv]
        logf = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            env={**os.environ, **self.env},
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.log.parent if self.log else None,
        )
        if self.log:
            logf.close()  # the child keeps its own copy
        url = f"http://{HOST}:{self.port}{self.probe}"
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.proc.returncode}) before answering; see {self.log}"
                )
            try:
                data = b"{}" if self.probe_method == "POST" else None
                req = urllib.request.Request(url, data=data, method=self.probe_method)
                if data is not None:
                    req.add_header("Content-Type", "application/json")
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() - t0 > timeout:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer within {timeout}s; see {self.log}")
            time.sleep(0.01)
        self.startup_s = time.perf_counter() - t0

    def sample_rss(self) -> int:
        assert self.proc is not None
        v = rss_kib(self.proc.pid)
        self.peak_rss_kib = max(self.peak_rss_kib, v)
        return v

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pids = tree(self.proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # workers that outlived their parent
        for p in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p, signal.SIGKILL)


def taskyard_server(
    data_dir: Path,
    port: int,
    access: str,
    secret: str,
    workers: int | None,
    cpus: str | None,
    log: Path,
    db: str = "",
    exe: str | None = None,
) -> Server:
    exe = exe or str(ROOT / ".venv" / "bin" / "taskyard")
    argv = [exe, "serve", "--port", str(port), "--data-dir", str(data_dir)]
    env = {"TASKYARD_ACCESS_KEY": access, "TASKYARD_SECRET_KEY": secret}
    if db:
        argv += ["--db", db]
    if workers:
        argv += ["--workers", str(workers)]
    return Server("taskyard", argv, env, port, "/v2.23/debug.ping", "POST", log, cpus)


def mlflow_server(
    backend_uri: str,
    artifact_root: Path,
    port: int,
    workers: int | None,
    cpus: str | None,
    log: Path,
) -> Server:
    exe = MLFLOW_VENV / "bin" / "mlflow"
    argv = [
        str(exe),
        "server",
        "--backend-store-uri",
        backend_uri,
        "--artifacts-destination",
        str(artifact_root),
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    if workers:
        argv += ["--workers", str(workers)]
    return Server("mlflow", argv, {}, port, "/health", "GET", log, cpus)
