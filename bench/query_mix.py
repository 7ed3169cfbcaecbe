"""The get_all query mix of issue 4 against a live server, one client; prints a markdown table.

    .venv/bin/python -m bench.query_mix --data-dir /tmp/ty-1m --key KEY --secret SECRET
    .venv/bin/python -m bench.query_mix --url http://127.0.0.1:8008 --key KEY --secret SECRET

With `--data-dir` (and optionally `--db`) a `taskyard serve` is started on a free port for the
run; with `--url` an already running server is used. Load data with bench/load_tasks.py.

Queries (each run `--n` times after `--warmup` runs, parameters rotating over projects, ids
and terms so that no answer is simply cached):
  (a) SDK status poll: id=[x], only_fields=[status,status_message,id]
  (b) project + status list + tag include + system tag exclude, -last_update, page of 50,
      six projected fields
  (c) as (b) plus a name regex
  (d) search_text over all tasks (one word), page of 50
  (d2) search_text with a selective "phrase", page of 50
  (e) order by a last_metrics value inside one project, page of 50
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["id", "name", "status", "last_update", "tags", "user"]
TARGETS = {"a": 10, "b": 10, "c": 50, "d": 200, "d2": 200, "e": 50}
WORDS = ["cosine", "warmup", "distillation", "quantization", "pruning", "onnx", "dropout"]
REGEXES = ["^resnet50 .*bs=64", "bert.*lr=0\\.01 ", "yolov8 coco", "^t5 .*bs=(16|32) "]
TAGS = ["baseline", "best", "sweep", "candidate", "gpu"]


class Api:
    def __init__(self, url: str, key: str, secret: str) -> None:
        auth = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.http = httpx.Client(
            base_url=url, timeout=120, headers={"Authorization": f"Basic {auth}"}
        )

    def call(self, endpoint: str, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        start = time.perf_counter()
        r = self.http.post(f"/v2.23/{endpoint}", json=body)
        elapsed = (time.perf_counter() - start) * 1000
        reply = r.json()
        if reply["meta"]["result_code"] != 200:
            raise RuntimeError(f"{endpoint} {body}: {reply['meta']['result_msg']}")
        data: dict[str, Any] = reply["data"]
        return elapsed, data


def start_server(
    data_dir: Path, db: str, key: str, secret: str
) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        str(ROOT / ".venv/bin/taskyard"),
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    if db:
        cmd += ["--db", db]
    env = dict(os.environ, TASKYARD_ACCESS_KEY=key, TASKYARD_SECRET_KEY=secret)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(url + "/debug.ping", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def mix(api: Api, rnd: random.Random) -> dict[str, Callable[[], dict[str, Any]]]:
    _, data = api.call("projects.get_all", {"only_fields": ["id"], "page_size": 500})
    projects = [p["id"] for p in data["projects"]]
    ids: list[str] = []
    for page in range(4):
        _, data = api.call(
            "tasks.get_all",
            {"only_fields": ["id"], "page": page * 37, "page_size": 250, "search_hidden": True},
        )
        ids += [t["id"] for t in data["tasks"]]
    _, data = api.call("tasks.get_all", {"only_fields": ["name"], "page_size": 200})
    names = [t["name"] for t in data["tasks"]]

    def listing(extra: dict[str, Any]) -> dict[str, Any]:
        body = {
            "project": [rnd.choice(projects)],
            "status": ["completed", "stopped", "failed", "published"],
            "tags": [rnd.choice(TAGS)],
            "system_tags": ["-archived"],
            "order_by": ["-last_update"],
            "page": 0,
            "page_size": 50,
            "only_fields": FIELDS,
        }
        body.update(extra)
        return body

    return {
        "a": lambda: {
            "id": [rnd.choice(ids)],
            "only_fields": ["status", "status_message", "id"],
            "search_hidden": False,
        },
        "b": lambda: listing({}),
        "c": lambda: listing({"name": rnd.choice(REGEXES)}),
        "d": lambda: {
            "search_text": rnd.choice(WORDS),
            "page": 0,
            "page_size": 50,
            "only_fields": FIELDS,
        },
        "d2": lambda: {
            "search_text": '"' + " ".join(rnd.choice(names).split()[-2:]) + '"',
            "page": 0,
            "page_size": 50,
            "only_fields": FIELDS,
        },
        "e": lambda: {
            "project": [rnd.choice(projects)],
            "order_by": ["-last_metrics.loss.val.value"],
            "page": 0,
            "page_size": 50,
            "only_fields": FIELDS,
        },
    }


def cpu_seconds(pid: int | None) -> float:
    """User+system CPU of the server process and its children (0 when not ours)."""
    if pid is None:
        return 0.0
    from bench.servers import children_map

    kids = children_map()
    total, stack = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while stack:
        current = stack.pop()
        stack.extend(kids.get(current, []))
        try:
            with open(f"/proc/{current}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--db", default="")
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--label", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    proc = None
    url = args.url
    if not url:
        if args.data_dir is None:
            raise SystemExit("give --url or --data-dir")
        proc, url = start_server(args.data_dir, args.db, args.key, args.secret)
    api = Api(url, args.key, args.secret)
    rnd = random.Random(args.seed)
    try:
        queries = mix(api, rnd)
        rows = []
        for name, make in queries.items():
            for _ in range(args.warmup):
                api.call("tasks.get_all", make())
            times, counts = [], []
            cpu_before = cpu_seconds(proc.pid if proc else None)
            for _ in range(args.n):
                elapsed, data = api.call("tasks.get_all", make())
                times.append(elapsed)
                counts.append(len(data["tasks"]))
            cpu = (cpu_seconds(proc.pid if proc else None) - cpu_before) * 1000 / args.n
            rows.append((name, times, counts, cpu))
            print(f"{name}: p50 {statistics.median(times):.1f} ms", file=sys.stderr)
    finally:
        api.http.close()
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    label = f" ({args.label})" if args.label else ""
    load = os.getloadavg()[0]
    print(
        f"| query{label} | p50 ms | p99 ms | p99/p50 | server CPU ms/query | mean rows"
        " | target p50 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, times, counts, cpu in rows:
        p50, p99 = statistics.median(times), percentile(times, 0.99)
        print(
            f"| ({name}) | {p50:.1f} | {p99:.1f} | {p99 / p50:.1f} | {cpu:.1f} |"
            f" {statistics.mean(counts):.0f} | ≤ {TARGETS[name]} |"
        )
    print(f"\n1-minute load average at the end: {load:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
