"""Scale benchmark: the issue-4 query mix and the write operations, SQLite vs PostgreSQL, 1 and 2
server processes, at 100k or 1M tasks.

    .venv/bin/python -m bench.scale --tasks 100000
    .venv/bin/python -m bench.scale --tasks 1000000 --n 50 --seconds 20

Data: `bench/load_tasks.py` loads `--tasks` tasks into a SQLite database under
bench/.work/scale/ (reused when already loaded), then `taskyard db copy` moves it into a
PostgreSQL database `taskyard_scale_<N>` (reused when it already holds the tasks). Each
configuration (backend × `--workers`) is served by `taskyard serve` with the watchdog
effectively off (the loaded data has in-progress tasks from two years ago), and measured with:

* latency, one client: every query of the mix (`bench/query_mix.py`), and the writes —
  create, status change (started/stopped in turn), ping, a log batch of 5 scalars
  (events.add_batch), edit — `--n` times each after a warm-up; p50 and p99 in ms;
* throughput, `--clients` concurrent clients for `--seconds`: a mixed load (status polls and
  list queries, pings, scalar batches, status changes, edits) and a write-only load; ops/s.

The machine's cores are shared by the clients and the servers, so throughput figures are a
floor; the comparison between configurations is what they are for. Results go to
bench/results/scale.md (the section for this task count is replaced) and scale-<N>.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import query_mix

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "scale"
RESULTS = ROOT / "bench" / "results"
TASKYARD = str(ROOT / ".venv" / "bin" / "taskyard")
PG_ADMIN = os.environ.get("TASKYARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
WRITES = ["create", "status change", "ping", "log batch (5 scalars)", "edit"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- data ----------------------------------------------------------------------------------------
def prepare_sqlite(count: int) -> tuple[str, dict[str, Any]]:
    data_dir = WORK / f"sqlite-{count}"
    marker = data_dir / "loaded.json"
    url = f"sqlite:///{(data_dir / 'taskyard.db').resolve()}"
    if marker.exists():
        return url, json.loads(marker.read_text())
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    log(f"loading {count:,} tasks into SQLite …")
    out = subprocess.run(
        [sys.executable, "-m", "bench.load_tasks", "--count", str(count), "--data-dir",
         str(data_dir)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(x for x in out.stdout.splitlines() if x.startswith("LOADED "))
    info: dict[str, Any] = json.loads(line.removeprefix("LOADED "))
    marker.write_text(json.dumps(info))
    return url, info


def prepare_postgres(count: int, sqlite_url: str) -> tuple[str, float | None]:
    """The PostgreSQL copy of the SQLite data; (url, seconds the copy took or None if reused)."""
    import psycopg

    name = f"taskyard_scale_{count}"
    base = PG_ADMIN.rpartition("/")[0]
    url = f"{base}/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            try:
                with psycopg.connect(url) as conn:
                    row = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()
                if row and row[0] >= count:
                    return url, None
            except psycopg.Error:
                pass
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    log(f"taskyard db copy → {name} …")
    started = time.monotonic()
    subprocess.run([TASKYARD, "db", "copy", "--from", sqlite_url, "--to", url], check=True)
    return url, time.monotonic() - started


# -- servers -------------------------------------------------------------------------------------
class Server:
    def __init__(self, db_url: str, data_dir: Path, workers: int) -> None:
        port = query_mix_free_port()
        self.url = f"http://127.0.0.1:{port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [TASKYARD, "serve", "--port", str(port), "--data-dir", str(data_dir), "--db", db_url,
             "--workers", str(workers), "--watchdog-timeout-s", "1000000000",
             "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        # Generous: the first start after a code update may migrate a million rows.
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/debug.ping", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("server did not start")

    def stop(self) -> None:
        # The serve process and its uvicorn workers share the session we started.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def query_mix_free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- clients -------------------------------------------------------------------------------------
class Client:
    """One client with its own tasks to write to."""

    def __init__(self, url: str, key: str, secret: str, projects: list[str], seed: int) -> None:
        auth = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.http = httpx.Client(
            base_url=url, timeout=300, headers={"Authorization": f"Basic {auth}"}
        )
        self.rnd = random.Random(seed)
        self.projects = projects
        self.tasks: list[str] = []
        self.running: dict[str, bool] = {}
        self.iteration = 0

    def close(self) -> None:
        self.http.close()

    def call(self, endpoint: str, body: Any, lines: bool = False) -> dict[str, Any]:
        if lines:
            content = b"\n".join(orjson.dumps(x) for x in body)
            r = self.http.post(
                f"/v2.23/{endpoint}",
                content=content,
                headers={"Content-Type": "application/json-lines"},
            )
        else:
            r = self.http.post(f"/v2.23/{endpoint}", json=body)
        reply = r.json()
        if reply["meta"]["result_code"] != 200:
            raise RuntimeError(f"{endpoint}: {reply['meta']['result_msg']}")
        data: dict[str, Any] = reply["data"]
        return data

    def task(self) -> str:
        if len(self.tasks) < 20:
            return self.create()
        return self.rnd.choice(self.tasks)

    # The write operations.
    def create(self) -> str:
        task = self.call(
            "tasks.create",
            {
                "name": f"scale bench {self.rnd.randrange(10**9)}",
                "type": "training",
                "project": self.rnd.choice(self.projects),
                "tags": ["bench"],
            },
        )["id"]
        self.tasks.append(task)
        self.running[task] = False
        return str(task)

    def status_change(self) -> None:
        task = self.task()
        endpoint = "tasks.stopped" if self.running[task] else "tasks.started"
        self.call(endpoint, {"task": task})
        self.running[task] = not self.running[task]

    def ping(self) -> None:
        self.call("tasks.ping", {"task": self.task()})

    def log_batch(self) -> None:
        task = self.task()
        self.iteration += 1
        events = [
            {"type": "training_stats_scalar", "task": task, "iter": self.iteration,
             "metric": "loss", "variant": f"v{i}", "value": self.rnd.random()}
            for i in range(5)
        ]  # fmt: skip
        self.call("events.add_batch", events, lines=True)

    def edit(self) -> None:
        self.call(
            "tasks.edit",
            {
                "task": self.task(),
                "force": True,
                "comment": f"edited {self.rnd.random()}",
                "hyperparams": {
                    "Args": {
                        "lr": {"section": "Args", "name": "lr", "value": str(self.rnd.random())}
                    }
                },
            },
        )

    def writes(self) -> dict[str, Callable[[], Any]]:
        return {
            "create": self.create,
            "status change": self.status_change,
            "ping": self.ping,
            "log batch (5 scalars)": self.log_batch,
            "edit": self.edit,
        }


BUDGET_S = 30.0  # per operation: a slow query is sampled fewer times rather than for minutes


def timed(fn: Callable[[], Any], n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out: list[float] = []
    deadline = time.monotonic() + BUDGET_S
    while len(out) < n and (len(out) < 5 or time.monotonic() < deadline):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(times), 1),
        "p99": round(query_mix.percentile(times, 0.99), 1),
        "samples": len(times),
    }


def latencies(url: str, info: dict[str, Any], n: int, warmup: int) -> dict[str, dict[str, float]]:
    key, secret = info["access_key"], info["secret_key"]
    out: dict[str, dict[str, float]] = {}
    api = query_mix.Api(url, key, secret)
    try:
        queries = query_mix.mix(api, random.Random(7))
        for name, make in queries.items():
            out[f"({name})"] = summary(
                timed(lambda make=make: api.call("tasks.get_all", make()), n, warmup)  # type: ignore[misc]
            )
            log(f"    ({name}) p50 {out[f'({name})']['p50']} ms")
    finally:
        api.http.close()
    client = Client(url, key, secret, info["projects"], 1)
    try:
        for name, fn in client.writes().items():
            out[name] = summary(timed(fn, n, warmup))
            log(f"    {name} p50 {out[name]['p50']} ms")
    finally:
        client.close()
    return out


def throughput(
    url: str, info: dict[str, Any], clients: int, seconds: float, writes_only: bool
) -> float:
    """Operations per second from `clients` concurrent clients."""
    key, secret = info["access_key"], info["secret_key"]
    stop = threading.Event()
    counts = [0] * clients
    errors: list[str] = []

    def run(i: int) -> None:
        client = Client(url, key, secret, info["projects"], 100 + i)
        api = query_mix.Api(url, key, secret)
        try:
            writes = client.writes()
            queries = query_mix.mix(api, random.Random(i)) if not writes_only else {}
            ops: list[tuple[Callable[[], Any], int]] = [
                (writes["ping"], 20),
                (writes["log batch (5 scalars)"], 20),
                (writes["status change"], 10),
                (writes["edit"], 10),
                (writes["create"], 5),
            ]
            if not writes_only:
                ops += [
                    (lambda: api.call("tasks.get_all", queries["a"]()), 25),
                    (lambda: api.call("tasks.get_all", queries["b"]()), 10),
                ]
            funcs = [f for f, _ in ops]
            weights = [w for _, w in ops]
            rnd = random.Random(i)
            while not stop.is_set():
                rnd.choices(funcs, weights)[0]()
                counts[i] += 1
        except Exception as exc:  # a failed request ends this client; the run reports it
            errors.append(repr(exc))
        finally:
            client.close()
            api.http.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(2)  # warm-up: setup queries of every client are done
    start_counts = sum(counts)
    started = time.monotonic()
    time.sleep(seconds)
    done = sum(counts) - start_counts
    elapsed = time.monotonic() - started
    stop.set()
    for t in threads:
        t.join(120)
    if errors:
        raise RuntimeError(f"throughput run failed: {errors[0]}")
    return round(done / elapsed, 1)


# -- report --------------------------------------------------------------------------------------
def render(count: int, results: dict[str, Any]) -> str:
    configs = list(results["configs"])
    lines = [
        f"## {count:,} tasks",
        "",
        f"Measured {results['date']} on {results['machine']}. Load into SQLite: "
        f"{results['load_seconds']} s; `taskyard db copy` to PostgreSQL: "
        f"{results['copy_seconds'] if results['copy_seconds'] is not None else '(reused)'} s.",
        "",
        f"Latency, one client, ms (p50 / p99 of {results['n']} calls unless noted):",
        "",
        "| operation | " + " | ".join(configs) + " |",
        "|---|" + "---:|" * len(configs),
    ]
    ops = list(next(iter(results["configs"].values()))["latency"])
    for op in ops:
        cells = []
        for c in configs:
            s = results["configs"][c]["latency"][op]
            few = f" ({s['samples']} calls)" if s["samples"] < results["n"] else ""
            cells.append(f"{s['p50']} / {s['p99']}{few}")
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Throughput, {results['clients']} concurrent clients, {results['seconds']} s, ops/s "
        "(clients and servers share the machine's cores):",
        "",
        "| load | " + " | ".join(configs) + " |",
        "|---|" + "---:|" * len(configs),
        "| mixed (polls, lists, pings, scalar batches, status changes, edits) | "
        + " | ".join(str(results["configs"][c]["mixed_ops_s"]) for c in configs)
        + " |",
        "| writes only | "
        + " | ".join(str(results["configs"][c]["writes_ops_s"]) for c in configs)
        + " |",
        "",
    ]
    return "\n".join(lines)


def write_report(count: int, section: str) -> None:
    path = RESULTS / "scale.md"
    head = (
        "# Scale benchmark: SQLite and PostgreSQL, 1 and 2 server processes\n\n"
        "Generated by `bench/scale.py` (see its docstring for the method). Queries (a)–(e) are\n"
        "the issue-4 mix of `bench/query_mix.py`; writes are single API calls.\n\n"
        "Read the load average in each section: on a machine shared with other jobs every\n"
        "figure is inflated (an idle core answers a ping in well under a millisecond), so\n"
        "compare configurations within one section, not sections with each other.\n\n"
    )
    text = path.read_text() if path.exists() else head
    pattern = re.compile(rf"^## {count:,} tasks\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub("", text).rstrip() + "\n\n" + section
    # Keep sections in task-count order.
    parts = re.split(r"(?m)^(?=## )", text)
    intro, sections = parts[0], parts[1:]
    sections.sort(key=lambda s: int(s.split()[1].replace(",", "")))
    path.write_text(intro.rstrip() + "\n\n" + "\n".join(s.rstrip() + "\n" for s in sections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=100, help="timed calls per operation")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--configs", default="sqlite:1,sqlite:2,postgres:1,postgres:2")
    parser.add_argument("--prepare-only", action="store_true", help="load and copy, then stop")
    args = parser.parse_args()

    sqlite_url, info = prepare_sqlite(args.tasks)
    pg_url, copy_seconds = prepare_postgres(args.tasks, sqlite_url)
    if args.prepare_only:
        if copy_seconds is not None:
            info["copy_seconds"] = round(copy_seconds, 1)
            (WORK / f"sqlite-{args.tasks}" / "loaded.json").write_text(json.dumps(info))
        return
    results: dict[str, Any] = {
        "tasks": args.tasks,
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores (1-minute load average"
        f" {os.getloadavg()[0]:.1f} at start; above ~0.5 other work shares the machine)",
        "load_seconds": info.get("total_seconds"),
        "copy_seconds": round(copy_seconds, 1)
        if copy_seconds is not None
        else info.get("copy_seconds"),
        "clients": args.clients,
        "n": args.n,
        "seconds": args.seconds,
        "configs": {},
    }
    for config in args.configs.split(","):
        backend, workers = config.split(":")
        url = pg_url if backend == "postgres" else sqlite_url
        label = f"{'PostgreSQL' if backend == 'postgres' else 'SQLite'}, {workers} proc"
        log(f"{label}:")
        server = Server(url, WORK / f"serve-{backend}-{args.tasks}", int(workers))
        try:
            entry: dict[str, Any] = {"latency": latencies(server.url, info, args.n, args.warmup)}
            entry["mixed_ops_s"] = throughput(server.url, info, args.clients, args.seconds, False)
            entry["writes_ops_s"] = throughput(server.url, info, args.clients, args.seconds, True)
            log(f"    mixed {entry['mixed_ops_s']} ops/s, writes {entry['writes_ops_s']} ops/s")
        finally:
            server.stop()
        results["configs"][label] = entry
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"scale-{args.tasks}.json").write_text(json.dumps(results, indent=1))
    section = render(args.tasks, results)
    write_report(args.tasks, section)
    print(section)


if __name__ == "__main__":
    main()
