"""Pre-populated data for the search rows, the same for both servers (cached in bench/.work/cache).

taskyard: ``bench/load_tasks.py`` (the store-level bulk loader) fills a data dir or a PostgreSQL
database and creates the company and credentials that own the rows.

MLflow: ``export`` replays the loader's generator with the same seed and count and writes one
JSON line per task, which ``bench/populate_mlflow.py`` (in MLflow's venv) turns into MLflow runs:

    .venv/bin/python -m bench.taskyard_data export N | bench/.work/mlflow-venv/bin/python \\
        bench/populate_mlflow.py sqlite:///PATH
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench.servers import ROOT, WORK

SEED = 1  # bench/load_tasks.py --seed (its default)
DATA_VERSION = 4  # bump when the rows or their MLflow mapping change (names the caches)


def dataset(
    backend: str, n: int, log: Callable[[str], None], prepare_only: bool = False
) -> tuple[Path, str, str, str] | None:
    """A fresh copy of a taskyard data dir (and database) holding n loaded tasks.

    Returns (data_dir, db_url or "", access_key, secret_key) of the loaded company
    (None with ``prepare_only``: just fill the cache).
    """
    from bench import compare  # PostgreSQL helpers
    from taskyard.store.migrations import all_migrations

    # the schema's version too: a cache from before a migration would be migrated by the
    # server at start, inside the measured startup time
    version = f"v{DATA_VERSION}-s{all_migrations()[-1].name[:4]}"
    cache = WORK / "cache" / f"taskyard-{backend}-{n}-{version}"
    tpl_db = f"bench_taskyard_{n}_{version.replace('-', '_')}"
    if not (cache / "loaded.json").exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        argv = [sys.executable, "-m", "bench.load_tasks", "--count", str(n), "--seed", str(SEED)]
        argv += ["--data-dir", str(cache)]
        if backend == "postgres":
            compare.pg_exec(f'DROP DATABASE IF EXISTS "{tpl_db}" WITH (FORCE)')
            compare.pg_exec(f'CREATE DATABASE "{tpl_db}"')
            argv += ["--db", compare.pg_url(tpl_db)]
        log(f"populating taskyard {backend} with {n} tasks (bench/load_tasks.py)")
        out = subprocess.run(argv, check=True, cwd=ROOT, capture_output=True, text=True).stdout
        info = next(json.loads(x[7:]) for x in out.splitlines() if x.startswith("LOADED "))
        if backend == "sqlite":
            import sqlite3

            c = sqlite3.connect(cache / "taskyard.db")
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.close()
        (cache / "loaded.json").write_text(json.dumps(info))
    if prepare_only:
        return None
    info = json.loads((cache / "loaded.json").read_text())
    run_dir = WORK / "run" / "taskyard-data"
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(cache, run_dir)
    db = ""
    if backend == "postgres":
        compare.pg_clone(tpl_db, "bench_taskyard_run")
        db = compare.pg_url("bench_taskyard_run")
    return run_dir, db, info["access_key"], info["secret_key"]


def _ms(iso: str | None) -> int | None:
    return None if iso is None else int(datetime.fromisoformat(iso).timestamp() * 1000)


def export(n: int, out=sys.stdout) -> None:
    """Write the loader's n tasks as JSON lines for bench/populate_mlflow.py."""
    import orjson

    from bench.load_tasks import ROW_COLUMNS, Generator

    col = {c: i for i, c in enumerate(ROW_COLUMNS)}
    users = [f"user{i:02d}" for i in range(20)]
    gen = Generator(SEED, users, ["p"], "c")
    write = out.buffer.write if hasattr(out, "buffer") else out.write
    for k in range(n):
        row = gen.row(k, n)
        doc = orjson.loads(row[-1])
        params = {}
        for section in doc.get("hyperparams", {}).values():
            for name, p in section.items():
                params[name] = p["value"]
        metrics = {}
        for variants in orjson.loads(row[col["last_metrics"]]).values():
            for m in variants.values():
                metrics[f"{m['metric']}/{m['variant']}"] = m["value"]
        status = row[col["status"]]
        ended = row[col["completed"]] is not None
        rec = {
            "id": row[col["id"]],
            "name": row[col["name"]],
            "user": row[col["user_id"]],
            "status": status,
            "start": _ms(row[col["started"]] or row[col["created"]]),
            "end": _ms(row[col["last_update"]]) if ended else None,
            "iter": row[col["last_iteration"]] or 0,
            "tags": orjson.loads(row[col["tags"]]),
            "params": params,
            "metrics": metrics,
        }
        write(orjson.dumps(rec) + b"\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        export(int(sys.argv[2]))
    else:
        raise SystemExit("usage: python -m bench.taskyard_data export N")
