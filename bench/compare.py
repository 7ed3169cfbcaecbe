"""taskyard vs MLflow's tracking server, same machine, same kind of backend.

    .venv/bin/python -m bench.compare            # full run (SQLite, + PostgreSQL if reachable)
    .venv/bin/python -m bench.compare --quick    # 10k rows, concurrency 8, 1 repeat

See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import taskyard_data
from bench.client import RunResult, run_load
from bench.servers import (
    HOST,
    MLFLOW_VENV,
    ROOT,
    WORK,
    Server,
    cpu_ticks,
    free_port,
    mlflow_server,
    taskyard_server,
)
from bench.targets import OPS, SEARCH_TAGS, Mlflow, Taskyard
from bench.taskyard_data import DATA_VERSION

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ALL_OPS = [*OPS, "ceiling"]
MLFLOW_VERSION = os.environ.get("BENCH_MLFLOW_VERSION", "3.17.2")
# MLflow 3.x starts a job runner (7 huey consumer processes, ~1.4 GB, busy-polling a core)
# for its GenAI features; tracking does not use it. Turning it off is in MLflow's favour.
MLFLOW_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def install_mlflow() -> None:
    """MLflow lives in its own virtual environment under bench/.work, never in the project's."""
    if (MLFLOW_VENV / "bin" / "mlflow").exists():
        return
    log(f"installing MLflow {MLFLOW_VERSION} into {MLFLOW_VENV}")
    subprocess.run(["python3", "-m", "venv", str(MLFLOW_VENV)], check=True)
    pip = [str(MLFLOW_VENV / "bin" / "pip"), "install", "-q"]
    subprocess.run([*pip, f"mlflow=={MLFLOW_VERSION}", "psycopg[binary]"], check=True)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_size(s: str) -> int:
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1:], 1)
    return int(float(s.rstrip("km")) * mult)


def fmt_size(n: int) -> str:
    return (
        f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)
    )


# --------------------------------------------------------------------------- backends


def pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


def pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(sql)


def pg_db_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        return (
            c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def pg_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def pg_clone(template: str, name: str) -> None:
    pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


# --------------------------------------------------------------------------- datasets


def mlflow_dataset(backend: str, n: int, prepare_only: bool = False) -> tuple[str, str] | None:
    """A fresh copy of a populated MLflow database: (backend uri, experiment id of the rows)."""
    cache = WORK / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        tpl = cache / f"mlflow-sqlite-{n}-v{DATA_VERSION}.db"
        if not tpl.exists():
            tmp = tpl.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            _populate_mlflow(f"sqlite:///{tmp}", n)
            _sqlite_checkpoint(tmp)
            tmp.rename(tpl)
        if prepare_only:
            return None
        run = WORK / "run" / "mlflow.db"
        run.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{run}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(tpl, run)
        return f"sqlite:///{run}", "1"
    tpl_name = f"bench_mlflow_{n}_v{DATA_VERSION}"
    if not pg_db_exists(tpl_name):
        pg_exec(f'DROP DATABASE IF EXISTS "{tpl_name}_tmp"')
        pg_exec(f'CREATE DATABASE "{tpl_name}_tmp"')
        _populate_mlflow(pg_url(f"{tpl_name}_tmp"), n)
        pg_exec(f'ALTER DATABASE "{tpl_name}_tmp" RENAME TO "{tpl_name}"')
    if prepare_only:
        return None
    pg_clone(tpl_name, "bench_mlflow_run")
    return pg_url("bench_mlflow_run"), "1"


def _populate_mlflow(uri: str, n: int) -> None:
    log(f"populating MLflow {uri.split(':')[0]} with {n} runs")
    export = subprocess.Popen(
        [sys.executable, "-m", "bench.taskyard_data", "export", str(n)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    subprocess.run(
        [str(MLFLOW_VENV / "bin" / "python"), str(ROOT / "bench" / "populate_mlflow.py"), uri],
        stdin=export.stdout,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    assert export.stdout is not None
    export.stdout.close()
    if export.wait() != 0:
        raise RuntimeError("bench.taskyard_data export failed")


def _sqlite_checkpoint(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()


# --------------------------------------------------------------------------- results


@dataclass
class Cell:
    runs: list[RunResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs) if self.runs else float("nan")

    def pct(self, p: float) -> float:
        merged = RunResult(latencies=[x for r in self.runs for x in r.latencies])
        return merged.pct(p) * 1000

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    @property
    def cpu_ms(self) -> float:
        ops = sum(r.ops for r in self.runs)
        return sum(r.server_cpu_s for r in self.runs) * 1000 / ops if ops else float("nan")

    @property
    def ops(self) -> int:
        return sum(r.ops for r in self.runs)


@dataclass
class ServerStats:
    startup_s: list[float] = field(default_factory=list)
    idle_rss_kib: list[int] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)


@dataclass
class Results:
    # (backend, rows, op, concurrency, server) -> Cell
    cells: dict[tuple[str, int, str, int, str], Cell] = field(default_factory=dict)
    # (backend, server) -> stats
    stats: dict[tuple[str, str], ServerStats] = field(default_factory=dict)
    wrk: list[tuple[str, str, str, int, float, float, float, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loadavg: list[float] = field(default_factory=list)  # 1-min load average around each run

    def cell(self, *key) -> Cell:
        return self.cells.setdefault(key, Cell())

    def stat(self, backend: str, server: str) -> ServerStats:
        return self.stats.setdefault((backend, server), ServerStats())


# --------------------------------------------------------------------------- one backend


class Bench:
    def __init__(self, args: argparse.Namespace, results: Results):
        self.a = args
        self.r = results
        self.best_create: dict[str, float] = {}

    async def measure(
        self, backend: str, n: int, op: str, c: int, target, server: Server, rep: int
    ) -> RunResult:
        if op in ("get", "ping", "log_batch"):
            await target.fill(want_all=500, want_fresh=0)
        elif op == "status":
            est = self.best_create.get(target.name, 200.0) * (self.a.duration + self.a.warmup) * 1.2
            await target.fill(want_all=0, want_fresh=min(self.a.max_requests, int(est) + 100))
        sampler = asyncio.create_task(self._sample(server))
        assert server.proc is not None
        pid = server.proc.pid
        ticks0 = [0]
        load0 = os.getloadavg()[0]

        def on_start() -> None:
            ticks0[0] = cpu_ticks(pid)

        try:
            res = await run_load(
                HOST,
                target.port,
                target.step(op),
                c,
                self.a.duration,
                self.a.max_requests,
                warmup=self.a.warmup,
                on_start=on_start,
            )
        finally:
            sampler.cancel()
        res.server_cpu_s = (cpu_ticks(pid) - ticks0[0]) / os.sysconf("SC_CLK_TCK")
        self.r.loadavg.append(max(load0, os.getloadavg()[0]))
        if op == "create":
            self.best_create[target.name] = max(self.best_create.get(target.name, 0.0), res.rps)
        self.r.cell(backend, n, op, c, target.name).runs.append(res)
        err = f" errors={res.errors} ({res.first_error})" if res.errors else ""
        log(
            f"  {backend} {fmt_size(n)} {op:9s} c{c:<2d} {target.name:8s} rep{rep}:"
            f" {res.rps:9.1f} op/s"
            f" p50 {res.pct(50) * 1000:8.2f} ms p99 {res.pct(99) * 1000:8.2f} ms"
            f" server CPU {cpu_ms(res):6.2f} ms/op{err}"
        )
        return res

    async def _sample(self, server: Server) -> None:
        while True:
            server.sample_rss()
            await asyncio.sleep(0.5)

    def start_servers(self, backend: str, n: int) -> tuple[Server, Server, str]:
        run_dir = WORK / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        log(f"preparing {fmt_size(n)} rows on {backend}")
        ml = mlflow_dataset(backend, n)
        ty = taskyard_data.dataset(backend, n, log)
        assert ml is not None and ty is not None
        ml_uri, ml_exp = ml
        ty_dir, ty_db, self.access, self.secret = ty
        art = run_dir / "mlflow-artifacts"
        shutil.rmtree(art, ignore_errors=True)
        ty = taskyard_server(
            ty_dir,
            free_port(),
            self.access,
            self.secret,
            self.a.taskyard_workers,
            self.a.server_cpus,
            run_dir / "taskyard.log",
            db=ty_db,
            exe=self.a.taskyard_exe,
        )
        ml = mlflow_server(
            ml_uri,
            art,
            free_port(),
            self.a.mlflow_workers,
            self.a.server_cpus,
            run_dir / "mlflow.log",
        )
        ml.env.update(MLFLOW_ENV)
        for s in (ty, ml):
            s.start()
            time.sleep(2.0)  # let late workers finish importing before reading "idle" memory
            st = self.r.stat(backend, s.name)
            st.startup_s.append(s.startup_s)
            st.idle_rss_kib.append(s.sample_rss())
            log(
                f"{s.name} answered {s.startup_s:.2f} s after start;"
                f" idle RSS {st.idle_rss_kib[-1] / 1024:.0f} MiB"
            )
        self.write_access, self.write_secret = self.writer_account(ty_dir, ty_db)
        return ty, ml, ml_exp

    def writer_account(self, data_dir: Path, db: str) -> tuple[str, str]:
        """Credentials of a second company for the write operations. MLflow's writes go to an
        experiment of their own, not the searched one; taskyard's search is company-wide, so
        its writes get a company of their own and the searched rows stay the populated ones."""
        argv = [self.a.taskyard_exe, "users", "create", "bench-writer", "--company", "bench-writes"]
        argv += ["--data-dir", str(data_dir)] + (["--db", db] if db else [])
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        return fields["access_key"], fields["secret_key"]

    async def run_size(
        self, backend: str, n: int, first: bool, ty: Server, ml: Server, ml_exp: str
    ) -> None:
        try:
            tyt = Taskyard(HOST, ty.port, self.write_access, self.write_secret)
            await tyt.setup()
            tys = Taskyard(HOST, ty.port, self.access, self.secret)  # searches the populated rows
            await tys.setup()
            mlt = Mlflow(HOST, ml.port)
            await mlt.setup()
            mls = Mlflow(HOST, ml.port, experiment_id=ml_exp)  # searches the populated experiment
            await self.check_search(tys, mls, n)
            await self.prime([(tyt, ty), (mlt, ml)])
            await self.prime([(tys, ty), (mls, ml)], only_search=True)
            ops = [o for o in self.a.ops if first or o == "search"]
            pairs = {"taskyard": (tyt, ty), "mlflow": (mlt, ml)}
            for rep in range(self.a.repeats):
                for i, op in enumerate(ops):
                    for j, c in enumerate(self.a.concurrency):
                        order = (
                            ["taskyard", "mlflow"]
                            if (rep + i + j) % 2 == 0
                            else ["mlflow", "taskyard"]
                        )
                        for name in order:
                            target, server = pairs[name]
                            if op == "search":
                                target = tys if name == "taskyard" else mls
                            await self.measure(backend, n, op, c, target, server, rep)
            if first and self.a.wrk and shutil.which("wrk"):
                await self.run_wrk(backend, n, tyt, mlt, ty, ml)
        finally:
            for s in (ty, ml):
                self.r.stat(backend, s.name).peak_rss_kib.append(s.peak_rss_kib)
                s.stop()

    async def prime(
        self, pairs: list[tuple[Taskyard | Mlflow, Server]], only_search: bool = False
    ) -> None:
        """Unmeasured: every op once per worker and more, so lazy imports and caches are warm
        (the searched rows get searches only: they must stay the populated ones)."""
        for target, _server in pairs:
            if not only_search:
                await target.fill(want_all=200, want_fresh=200)
            for op in self.a.ops:
                if only_search == (op == "search"):
                    await run_load(HOST, target.port, target.step(op), 8, 1.5, 200)

    async def check_search(self, tyt: Taskyard, mls: Mlflow, n: int) -> None:
        if "search" not in self.a.ops:
            return
        got_t = await tyt.search_count(SEARCH_TAGS[0])
        got_m = await mls.search_count(SEARCH_TAGS[0])
        want = min(50, n)
        if got_t < want or got_m < want:
            note = (
                f"search at {fmt_size(n)} rows returned {got_t} (taskyard) / {got_m} (MLflow)"
                f" of the page of {want}"
            )
            log("WARNING: " + note)
            self.r.notes.append(note)

    async def run_wrk(
        self, backend: str, n: int, tyt: Taskyard, mlt: Mlflow, ty: Server, ml: Server
    ) -> None:
        """Cross-check the Python client with wrk (C, one thread, client core): ceiling, get."""
        await tyt.fill(want_all=500, want_fresh=0)
        await mlt.fill(want_all=500, want_fresh=0)
        lua_dir = WORK / "run"
        ids_t = ",".join(f'"{x}"' for x in tyt.pools.all_ids[:500])
        ids_m = ",".join(f'"{x}"' for x in mlt.pools.all_ids[:500])
        scripts = {
            ("taskyard", "ceiling"): (
                ty.port,
                'wrk.method="POST"\nwrk.body="{}"\nwrk.headers["Content-Type"]="application/json"\n',
                "/v2.23/debug.ping",
            ),
            ("taskyard", "get"): (
                ty.port,
                'wrk.method="POST"\nwrk.headers["Content-Type"]="application/json"\n'
                f'wrk.headers["Authorization"]="Bearer {tyt.token}"\n'
                f"ids={{{ids_t}}}\ni=0\n"
                "request=function() i=i%#ids+1 return"
                " wrk.format(nil,nil,nil,'{\"task\":\"'..ids[i]..'\"}') end\n",
                "/v2.23/tasks.get_by_id",
            ),
            ("mlflow", "ceiling"): (ml.port, "", "/health"),
            ("mlflow", "get"): (
                ml.port,
                f"ids={{{ids_m}}}\ni=0\n"
                "request=function() i=i%#ids+1 return"
                " wrk.format('GET','/api/2.0/mlflow/runs/get?run_id='..ids[i]) end\n",
                "/api/2.0/mlflow/runs/get",
            ),
        }
        for (server, op), (port, lua, path) in scripts.items():
            if op not in self.a.ops and not (op == "ceiling" and "get" in self.a.ops):
                continue
            f = lua_dir / f"wrk-{server}-{op}.lua"
            f.write_text(lua)
            for c in self.a.concurrency:
                argv = [
                    "wrk",
                    "-t1",
                    f"-c{c}",
                    f"-d{self.a.duration:g}s",
                    "--latency",
                    "-s",
                    str(f),
                    f"http://{HOST}:{port}{path}",
                ]
                if self.a.client_cpus:
                    argv = ["taskset", "-c", self.a.client_cpus, *argv]
                out = await asyncio.to_thread(
                    subprocess.run,
                    argv,
                    capture_output=True,
                    text=True,
                    timeout=self.a.duration + 60,
                )
                rps, p50, p99, bad = parse_wrk(out.stdout)
                self.r.wrk.append((backend, server, op, c, rps, p50, p99, bad))
                log(
                    f"  wrk {server} {op} c{c}: {rps:.1f} req/s p50 {p50:.2f} ms"
                    f" p99 {p99:.2f} ms non-2xx {bad}"
                )


def cpu_ms(r: RunResult) -> float:
    return r.server_cpu_s * 1000 / r.ops if r.ops else float("nan")


def parse_wrk(text: str) -> tuple[float, float, float, int]:
    rps = p50 = p99 = float("nan")
    bad = 0
    for line in text.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            rps = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            v = _wrk_ms(parts[1])
            if parts[0] == "50%":
                p50 = v
            else:
                p99 = v
        elif "Non-2xx" in line:
            bad = int(parts[-1])
    return rps, p50, p99, bad


def _wrk_ms(s: str) -> float:
    for unit, mult in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)):
        if s.endswith(unit):
            return float(s[: -len(unit)]) * mult
    return float(s)


# --------------------------------------------------------------------------- report


def machine() -> list[str]:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    ml_ver = subprocess.run(
        [str(MLFLOW_VENV / "bin" / "python"), "-c", "import mlflow;print(mlflow.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    pgv = "not used"
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3) as c:
            pgv = c.execute("SHOW server_version").fetchone()[0]
    except Exception:
        pass
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {mem};"
        f" {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; PostgreSQL {pgv}",
        f"- taskyard commit {commit or '?'}; MLflow {ml_ver or '?'}",
    ]


def ratio(a: float, b: float) -> str:
    if not (a == a and b == b) or b <= 0:
        return "–"
    return f"{a / b:.1f}×"


def f1(x: float) -> str:
    return "–" if x != x else f"{x:,.1f}" if x < 100 else f"{x:,.0f}"


def f2(x: float) -> str:
    return "–" if x != x else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:,.0f}"


def report(args: argparse.Namespace, res: Results, started: float) -> str:
    out: list[str] = []
    out.append(
        "| backend | op | rows | c | taskyard op/s | p50 ms | p99 ms | CPU ms/op"
        " | MLflow op/s | p50 ms | p99 ms | CPU ms/op | taskyard / MLflow |"
    )
    out.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    keys = sorted({k[:4] for k in res.cells}, key=lambda k: (k[0], ALL_OPS.index(k[2]), k[1], k[3]))
    for b, n, op, c in keys:
        t = res.cells.get((b, n, op, c, "taskyard"), Cell())
        m = res.cells.get((b, n, op, c, "mlflow"), Cell())
        errs = ""
        if t.errors or m.errors:
            errs = f" (errors {t.errors}/{m.errors})"
        rows = fmt_size(n) if op == "search" else "–"
        out.append(
            f"| {b} | {op} | {rows} | {c} | {f1(t.rps)} | {f2(t.pct(50))} | {f2(t.pct(99))}"
            f" | {f2(t.cpu_ms)} | {f1(m.rps)} | {f2(m.pct(50))} | {f2(m.pct(99))} | {f2(m.cpu_ms)}"
            f" | {ratio(t.rps, m.rps)}{errs} |"
        )
    out.append("")
    out.append(
        "HTTP ceiling (`ceiling` rows: taskyard `debug.ping`, MLflow `/health`)"
        " and `get` as a share of it:"
    )
    out.append("")
    out.append("| backend | c | taskyard ceiling req/s | taskyard get op/s | get / ceiling |")
    out.append("|---|---|---:|---:|---:|")
    for b, n, op, c in keys:
        if op != "ceiling":
            continue
        ceil = res.cells[(b, n, op, c, "taskyard")].rps
        get = res.cells.get((b, n, "get", c, "taskyard"), Cell()).rps
        out.append(
            f"| {b} | {c} | {f1(ceil)} | {f1(get)} | {get / ceil * 100:.0f}% |"
            if get == get
            else f"| {b} | {c} | {f1(ceil)} | – | – |"
        )
    if res.wrk:
        out.append("")
        out.append("Cross-check with wrk (one thread, pinned like the Python client):")
        out.append("")
        out.append("| backend | server | op | c | req/s | p50 ms | p99 ms | non-2xx |")
        out.append("|---|---|---|---|---:|---:|---:|---:|")
        for b, s, op, c, rps, p50, p99, bad in res.wrk:
            out.append(f"| {b} | {s} | {op} | {c} | {f1(rps)} | {f2(p50)} | {f2(p99)} | {bad} |")
    out.append("")
    out.append(
        "| backend | server | start → first answer s | RSS idle MiB | RSS peak under load MiB |"
    )
    out.append("|---|---|---:|---:|---:|")
    for (b, s), st in sorted(res.stats.items()):
        out.append(
            f"| {b} | {s} | {statistics.median(st.startup_s):.2f}"
            f" | {statistics.median(st.idle_rss_kib) / 1024:.0f}"
            f" | {max(st.peak_rss_kib or [0]) / 1024:.0f} |"
        )
    if res.loadavg:
        out.append("")
        out.append(
            f"1-min load average around the runs: median {statistics.median(res.loadavg):.1f},"
            f" max {max(res.loadavg):.1f} (2 cores; above ~2 means other work shared the machine)."
        )
    out.append("")
    out.append(targets(res))
    for note in res.notes:
        out.append(f"- note: {note}")
    out.append("")
    out.append(f"Total wall time {(time.time() - started) / 60:.1f} min.")
    return "\n".join(out)


TARGETS = [("create", 20), ("get", 20), ("status", 20), ("log_batch", 20)]


def targets(res: Results) -> str:
    lines = ["Targets (SQLite, concurrency 8):", ""]

    def rps(op: str, server: str, n: int | None = None) -> float:
        vals = [
            c.rps
            for (b, nn, o, cc, s), c in res.cells.items()
            if b == "sqlite" and o == op and cc == 8 and s == server and (n is None or nn == n)
        ]
        return vals[0] if vals else float("nan")

    def div(a: float, b: float) -> float:
        return a / b if b > 0 else float("nan")

    def cpu(op: str, server: str, n: int | None = None) -> float:
        vals = [
            c.cpu_ms
            for (b, nn, o, cc, s), c in res.cells.items()
            if b == "sqlite" and o == op and cc == 8 and s == server and (n is None or nn == n)
        ]
        return vals[0] if vals else float("nan")

    def by_cpu(op: str, n: int | None = None) -> str:
        r = div(cpu(op, "mlflow", n), cpu(op, "taskyard", n))
        return "" if r != r else f" (by server CPU per op: {r:.1f}×)"

    for op, want in TARGETS:
        r = div(rps(op, "taskyard"), rps(op, "mlflow"))
        label = f"{op}: taskyard / MLflow ≥ {want}×"
        lines.append(_target_line(label, r, want, "×") + by_cpu(op))
    r = div(rps("search", "taskyard", 100_000), rps("search", "mlflow", 100_000))
    label = "search at 100k rows: taskyard / MLflow ≥ 100×"
    lines.append(_target_line(label, r, 100, "×") + by_cpu("search", 100_000))
    r = div(rps("get", "taskyard"), rps("ceiling", "taskyard")) * 100
    lines.append(_target_line("get_by_id ≥ 50% of the HTTP ceiling", r, 50, "%"))
    return "\n".join(lines)


def _target_line(label: str, value: float, want: float, unit: str) -> str:
    if value != value:
        return f"- {label}: not measured in this run"
    verdict = "met" if value >= want else "MISSED"
    return f"- {label}: {value:.1f}{unit} — {verdict}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="10k rows, concurrency 8, 1 repeat, SQLite only"
    )
    p.add_argument(
        "--sizes", default="10k,100k,1M", help="pre-populated rows for search (default 10k,100k,1M)"
    )
    p.add_argument("--ops", default=",".join(ALL_OPS), help=f"subset of {','.join(ALL_OPS)}")
    p.add_argument("--concurrency", default="1,8,32")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--duration", type=float, default=5.0, help="measured seconds per run (default 5)"
    )
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each run")
    p.add_argument("--max-requests", type=int, default=200_000, help="cap on ops per run")
    p.add_argument(
        "--backends", default="auto", help="sqlite,postgres (auto: PostgreSQL when reachable)"
    )
    p.add_argument(
        "--server-cpus", default="0", help="taskset CPU list for both servers ('' = no pinning)"
    )
    p.add_argument("--client-cpus", default="1", help="CPU list for this load generator and wrk")
    p.add_argument(
        "--taskyard-workers", type=int, default=None, help="default: taskyard's own default"
    )
    p.add_argument(
        "--mlflow-workers", type=int, default=None, help="default: MLflow's own default (4)"
    )
    p.add_argument("--no-wrk", dest="wrk", action="store_false")
    p.add_argument("--prepare", action="store_true", help="only populate the cached datasets")
    p.add_argument("--append", action="store_true", help="append the report to --results")
    p.add_argument("--taskyard-exe", default=str(ROOT / ".venv" / "bin" / "taskyard"))
    p.add_argument(
        "--results",
        default=None,
        help="write the report here (default for a full run: bench/results/<date>.md)",
    )
    a = p.parse_args(argv)
    if a.quick:
        a.sizes, a.concurrency, a.repeats = "10k", "8", 1
        if a.backends == "auto":
            a.backends = "sqlite"
    a.sizes = sorted(parse_size(s) for s in a.sizes.split(","))
    a.ops = [o.strip() for o in a.ops.split(",") if o.strip()]
    if "status" in a.ops and "create" not in a.ops:
        a.ops.insert(a.ops.index("status"), "create")  # sizes the pool of fresh tasks it uses
    bad = set(a.ops) - set(ALL_OPS)
    if bad:
        p.error(f"unknown ops {sorted(bad)}")
    a.concurrency = [int(c) for c in a.concurrency.split(",")]
    if a.backends == "auto":
        a.backends = "sqlite,postgres" if pg_reachable() else "sqlite"
    a.backends = [b.strip() for b in a.backends.split(",")]
    install_mlflow()  # once, into bench/.work/mlflow-venv
    if a.client_cpus:
        os.sched_setaffinity(0, {int(x) for x in a.client_cpus.split(",")})
    if a.results is None and not a.quick:
        a.results = str(ROOT / "bench" / "results" / f"{dt.date.today().isoformat()}.md")

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    if a.prepare:
        for backend in a.backends:
            for n in a.sizes:
                mlflow_dataset(backend, n, prepare_only=True)
                taskyard_data.dataset(backend, n, log, prepare_only=True)
        return

    started = time.time()
    res = Results()
    bench = Bench(a, res)
    for backend in a.backends:
        for k, n in enumerate(a.sizes):
            servers = bench.start_servers(backend, n)
            asyncio.run(bench.run_size(backend, n, k == 0, *servers))
    table = report(a, res, started)
    print(table)
    if a.results:
        cmdline = " ".join(sys.argv[1:] if argv is None else argv)
        title = [f"# taskyard vs MLflow — {dt.date.today().isoformat()}", ""]
        if a.append:
            title = ["", f"## {', '.join(a.backends)} run", ""]
        header = [
            *title,
            f"Command: `.venv/bin/python -m bench.compare {cmdline}`",
            "",
            "Machine:",
            *machine(),
            f"- servers pinned to CPU {a.server_cpus or 'any'}, load generator and wrk to CPU"
            f" {a.client_cpus or 'any'} (taskset)",
            f"- taskyard workers: {a.taskyard_workers or 'default (1)'}; MLflow workers:"
            f" {a.mlflow_workers or 'default (4, uvicorn)'},"
            " MLflow job runner off (MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false)",
            f"- each cell: {a.repeats} repeat(s) of {a.duration:g} s after {a.warmup:g} s warm-up;"
            " op/s = median over repeats,"
            " p50/p99 over all latencies of the repeats; servers alternate order",
            "",
        ]
        Path(a.results).parent.mkdir(parents=True, exist_ok=True)
        with open(a.results, "a" if a.append else "w") as f:
            f.write("\n".join(header) + table + "\n")
        log(f"wrote {a.results}")


if __name__ == "__main__":
    main()
