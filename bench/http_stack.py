"""Which HTTP stack: `debug.ping` req/s at concurrency 8 with wrk, for taskyard's choice and
alternatives, measured in one run (alternating, repeated) so the ratios are comparable.

    .venv/bin/python bench/http_stack.py [--seconds 5] [--rounds 3]

Variants: uvicorn + httptools + uvloop (taskyard's choice); uvicorn with the pure-Python h11
parser and the stdlib asyncio loop; and the same app without orjson (stdlib json envelope).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

VARIANTS = {
    "uvicorn+httptools+uvloop (chosen)": ["--http", "httptools", "--loop", "uvloop"],
    "uvicorn+h11+asyncio": ["--http", "h11", "--loop", "asyncio"],
}


def start(port: int, data_dir: str, extra: list[str]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TASKYARD_DATA_DIR": data_dir,
        "TASKYARD_PORT": str(port),
        "TASKYARD_LOG_LEVEL": "error",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "taskyard.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "error",
            "--no-access-log",
            *extra,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/debug.ping", timeout=0.5)
            return proc
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def wrk(port: int, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", f"http://127.0.0.1:{port}/debug.ping"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    data_dir = tempfile.mkdtemp()
    subprocess.run(
        [sys.executable, "-m", "taskyard", "db", "upgrade", "--data-dir", data_dir],
        check=True,
        capture_output=True,
    )
    results: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, extra in VARIANTS.items():
            port = 18500 + len(results[name]) + list(VARIANTS).index(name) * 10
            proc = start(port, data_dir, extra)
            try:
                wrk(port, 1)  # warm-up
                results[name].append(wrk(port, args.seconds))
            finally:
                proc.terminate()
                proc.wait()
    best = statistics.median(results[next(iter(VARIANTS))])
    print(f"debug.ping, wrk -t1 -c8 -d{args.seconds}s, {args.rounds} rounds, median req/s")
    print("| stack | req/s (median) | runs | vs chosen |")
    print("|---|---:|---|---:|")
    for name, runs in results.items():
        med = statistics.median(runs)
        print(
            f"| {name} | {med:,.0f} | {', '.join(f'{r:,.0f}' for r in runs)} | {med / best:.2f}× |"
        )


if __name__ == "__main__":
    main()
