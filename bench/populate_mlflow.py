"""Pre-populate an MLflow tracking database with the same rows as taskyard's bulk loader, fast.

Runs under MLflow's own virtual environment (bench/.work/mlflow-venv), not the project's, and
reads the rows as JSON lines on stdin (written by ``bench.taskyard_data export N`` from
``bench/load_tasks.py``'s generator, so both servers hold the same statuses, tags, times,
hyperparameters and last metrics):

    .venv/bin/python -m bench.taskyard_data export N \\
      | bench/.work/mlflow-venv/bin/python bench/populate_mlflow.py URI

MLflow creates its own schema (``SqlAlchemyStore`` runs its migrations) and one experiment
named ``bench``; the rows are then bulk-inserted with plain SQL into MLflow's ``runs``,
``tags``, ``params`` and ``latest_metrics`` tables (executemany on SQLite, COPY on
PostgreSQL). Prints the experiment id.

Mapping of one taskyard task to one MLflow run:
  status   completed → FINISHED, failed → FAILED, in_progress → RUNNING, created/queued →
           SCHEDULED; stopped/published/closed → KILLED (MLflow has no published/closed; not
           FINISHED, so that "status completed" and "status FINISHED" match the same rows)
  tags     each taskyard tag T → MLflow tag T = "true" (a search for tag T is then
           ``tags.T = 'true'``), plus mlflow.runName and mlflow.user
  times    start_time = started (or created), end_time = last_update for ended tasks
  params   the hyperparameters (Args/lr, batch_size, epochs, model; General/dataset)
  metrics  last_metrics → latest_metrics (metric/variant → key "metric/variant")
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

STATUS = {
    "completed": "FINISHED",
    "failed": "FAILED",
    "in_progress": "RUNNING",
    "created": "SCHEDULED",
    "queued": "SCHEDULED",
    "stopped": "KILLED",
    "published": "KILLED",
    "closed": "KILLED",
}
RUN_COLS = (
    "run_uuid",
    "name",
    "source_type",
    "source_name",
    "entry_point_name",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "source_version",
    "lifecycle_stage",
    "artifact_uri",
    "experiment_id",
)
TABLES = {
    "runs": RUN_COLS,
    "tags": ("key", "value", "run_uuid"),
    "params": ("key", "value", "run_uuid"),
    "latest_metrics": ("key", "value", "timestamp", "step", "is_nan", "run_uuid"),
}
CHUNK = 50_000


def convert(line: str, exp_id: str, out: dict[str, list[tuple]]) -> None:
    r = json.loads(line)
    rid = r["id"]
    end = r["end"]
    out["runs"].append(
        (
            rid,
            r["name"],
            "UNKNOWN",
            "",
            "",
            r["user"],
            STATUS[r["status"]],
            r["start"],
            end,
            "",
            "active",
            f"mlflow-artifacts:/{exp_id}/{rid}/artifacts",
            int(exp_id),
        )
    )
    out["tags"].append(("mlflow.runName", r["name"], rid))
    out["tags"].append(("mlflow.user", r["user"], rid))
    for t in r["tags"]:
        out["tags"].append((t, "true", rid))
    for k, v in r["params"].items():
        out["params"].append((k, v, rid))
    ts = end or r["start"]
    for k, v in r["metrics"].items():
        out["latest_metrics"].append((k, v, ts, r["iter"], False, rid))


def main() -> None:
    uri = sys.argv[1]
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, tempfile.mkdtemp(prefix="mlflow-art-"))
    exp_id = store.create_experiment("bench")
    store.engine.dispose()
    t0 = time.time()
    if uri.startswith("sqlite:///"):
        import sqlite3

        db = sqlite3.connect(uri[len("sqlite:///") :])
        db.execute("PRAGMA synchronous=OFF")

        def write(chunk: dict[str, list[tuple]]) -> None:
            with db:
                for table, cols in TABLES.items():
                    names = ", ".join(f'"{c}"' for c in cols)
                    marks = ",".join("?" * len(cols))
                    db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk[table])

    elif uri.startswith("postgresql"):
        import psycopg

        db = psycopg.connect("postgresql://" + uri.split("://", 1)[1])

        def write(chunk: dict[str, list[tuple]]) -> None:
            with db.transaction(), db.cursor() as cur:
                for table, cols in TABLES.items():
                    names = ", ".join(f'"{c}"' for c in cols)
                    with cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
                        for row in chunk[table]:
                            cp.write_row(row)

    else:
        raise SystemExit(f"unsupported backend {uri}")

    n = 0
    chunk: dict[str, list[tuple]] = {t: [] for t in TABLES}
    for line in sys.stdin:
        convert(line, exp_id, chunk)
        n += 1
        if n % CHUNK == 0:
            write(chunk)
            chunk = {t: [] for t in TABLES}
    write(chunk)
    if uri.startswith("sqlite:///"):
        db.execute("ANALYZE")
        db.close()
    else:
        db.close()
        with psycopg.connect("postgresql://" + uri.split("://", 1)[1], autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
    print(exp_id)
    print(f"inserted {n} runs in {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
