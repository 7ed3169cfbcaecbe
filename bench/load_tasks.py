"""Bulk-load realistic tasks straight into a taskyard database (for query benchmarks and the UI).

    .venv/bin/python -m bench.load_tasks --count 1000000 --data-dir /tmp/ty-1m
    .venv/bin/python -m bench.load_tasks --count 100000 --db postgresql://postgres@127.0.0.1/x

The database is created (or brought up to date) with `taskyard db upgrade`; the loader then
adds one company, a few users, `--projects` projects and `--count` tasks with executemany in
large transactions. Every task has a status, type, tags/system tags, hyperparameters,
last_metrics (keyed by md5 of metric/variant names, as the events code writes them), a
comment, a script and timestamps spread over two years. The search index is maintained by the
tasks triggers exactly as for API writes. The credentials to query it are printed at the end,
plus a JSON line (`LOADED {...}`) that bench/query_mix.py and other scripts can parse.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from taskyard.config import Settings
from taskyard.store import accounts
from taskyard.store.db import Database
from taskyard.store.entities import PROJECTS, TASKS

ROOT = Path(__file__).resolve().parent.parent
BATCH = 20000

STATUSES = [
    ("completed", 55),
    ("failed", 10),
    ("stopped", 10),
    ("in_progress", 5),
    ("created", 10),
    ("queued", 3),
    ("published", 5),
    ("closed", 2),
]
TYPES = [("training", 80), ("testing", 8), ("inference", 4), ("data_processing", 5), ("qc", 3)]
TAGS = [
    "baseline",
    "best",
    "ablation",
    "sweep",
    "debug",
    "prod",
    "candidate",
    "gpu",
    "cpu",
    "fp16",
    "augment",
    "v1",
    "v2",
    "v3",
    "resnet",
    "bert",
    "large",
    "small",
    "retry",
    "nightly",
]
MODELS = ["resnet50", "resnet18", "vit-b16", "bert-base", "gpt2-small", "unet", "yolov8", "t5"]
DATASETS = ["imagenet", "cifar10", "cifar100", "mnist", "coco", "squad", "glue", "wikitext"]
WORDS = (  # noqa: SIM905
    "learning rate schedule warmup cosine decay baseline run with larger batch size and mixed "
    "precision retry after out of memory crash tuned weight regularization dropout augmentation "
    "early stopping checkpoint resume from previous epoch evaluation on validation split "
    "tokenizer change gradient clipping optimizer momentum label smoothing distillation teacher "
    "student pruning quantization export onnx latency throughput benchmark"
).split()
REPOS = [
    "https://github.com/acme/vision.git",
    "https://github.com/acme/nlp.git",
    "https://github.com/acme/research.git",
    "git@gitlab.example.com:ml/platform.git",
]
ENTRIES = ["train.py", "main.py", "scripts/finetune.py", "eval.py", "pipeline/step.py"]
METRICS = [("loss", ["train", "val"]), ("accuracy", ["val"]), ("lr", ["lr"]), ("f1", ["macro"])]
START = datetime(2023, 1, 1, tzinfo=UTC)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


METRIC_KEYS = [(m, md5(m), [(v, md5(v)) for v in vs]) for m, vs in METRICS]


def weighted(choices: list[tuple[str, int]]) -> list[str]:
    return [c for c, w in choices for _ in range(w)]


def upgrade(data_dir: Path, db_url: str) -> None:
    cmd = [str(ROOT / ".venv" / "bin" / "taskyard"), "db", "upgrade", "--data-dir", str(data_dir)]
    if db_url:
        cmd += ["--db", db_url]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def iso(when: datetime) -> str:
    return when.isoformat()


ROW_COLUMNS = [
    "id",
    "company",
    "user_id",
    "name",
    "type",
    "status",
    "project",
    "parent",
    "comment",
    "created",
    "started",
    "completed",
    "published",
    "status_changed",
    "last_update",
    "last_change",
    "last_iteration",
    "tags",
    "system_tags",
    "last_metrics",
    "status_reason",
    "status_message",
    "last_changed_by",
]
POOL = 4096  # distinct pre-serialised fragments per kind; tasks combine them at random


class Generator:
    """Builds task rows fast: the doc JSON is assembled from pre-serialised fragments.

    Pools of a few thousand distinct hyperparameter sets, metric sets, scripts and comments,
    combined independently, give realistic value distributions at a few µs per task.
    """

    def __init__(self, seed: int, users: list[str], projects: list[str], company: str) -> None:
        self.rnd = rnd = random.Random(seed)
        self.users = users
        self.projects = projects
        self.company = company
        statuses = weighted(STATUSES)
        types = weighted(TYPES)
        self.hyper: list[tuple[str, str]] = []  # (name prefix, hyperparams JSON)
        self.metrics: list[str] = []
        self.scripts: list[str] = []
        self.comments: list[str] = []
        self.tags: list[str] = []
        self.system_tags: list[str] = []
        self.states: list[tuple[str, str, int]] = []  # (status, type, duration seconds)
        for _ in range(POOL):
            model, dataset = rnd.choice(MODELS), rnd.choice(DATASETS)
            lr = rnd.choice([0.1, 0.03, 0.01, 0.003, 0.001, 0.0003])
            batch = rnd.choice([16, 32, 64, 128, 256])
            epochs = rnd.randint(1, 100)

            def hp(section: str, name: str, value: object, kind: str) -> dict[str, str]:
                return {"section": section, "name": name, "value": str(value), "type": kind}

            hyper = {
                "Args": {
                    "lr": hp("Args", "lr", lr, "float"),
                    "batch_size": hp("Args", "batch_size", batch, "int"),
                    "epochs": hp("Args", "epochs", epochs, "int"),
                    "model": hp("Args", "model", model, "str"),
                },
                "General": {"dataset": hp("General", "dataset", dataset, "str")},
            }
            self.hyper.append(
                (f"{model} {dataset} lr={lr} bs={batch}", orjson.dumps(hyper).decode())
            )
            last_metrics: dict[str, Any] = {}
            for metric, mkey, variants in METRIC_KEYS:
                last_metrics[mkey] = {}
                for variant, vkey in variants:
                    value = round(rnd.uniform(0.0, 5.0 if metric == "loss" else 1.0), 5)
                    last_metrics[mkey][vkey] = {
                        "metric": metric,
                        "variant": variant,
                        "value": value,
                        "min_value": round(value * rnd.uniform(0.5, 1.0), 5),
                        "max_value": round(value * rnd.uniform(1.0, 2.0), 5),
                    }
            self.metrics.append(orjson.dumps(last_metrics).decode())
            script = {
                "binary": "python3.11",
                "repository": rnd.choice(REPOS),
                "branch": "main",
                "entry_point": rnd.choice(ENTRIES),
                "working_dir": ".",
                "requirements": {},
            }
            self.scripts.append(orjson.dumps(script).decode())
            self.comments.append(" ".join(rnd.sample(WORDS, rnd.randint(3, 12))))
            self.tags.append(
                orjson.dumps(rnd.sample(TAGS, rnd.choice([0, 1, 1, 2, 2, 3]))).decode()
            )
            system = []
            if rnd.random() < 0.3:
                system.append("development")
            if rnd.random() < 0.05:
                system.append("archived")
            if rnd.random() < 0.01:
                system.append("hidden")
            self.system_tags.append(orjson.dumps(system).decode())
            self.states.append((rnd.choice(statuses), rnd.choice(types), rnd.randint(60, 86400)))
        self.span = 2 * 365 * 86400

    def row(self, n: int, count: int) -> tuple[Any, ...]:
        """Values for INSERT INTO tasks (TASKS column order, then doc)."""
        bits = self.rnd.getrandbits(72)
        pick = [(bits >> (12 * i)) & (POOL - 1) for i in range(6)]
        status, kind, duration = self.states[pick[0]]
        prefix, hyper = self.hyper[pick[1]]
        created = START + timedelta(seconds=self.span * n // max(count, 1))
        started = created + timedelta(seconds=30 + pick[2] % 600)
        ended = status in ("completed", "failed", "stopped", "published", "closed")
        last_update = started + timedelta(seconds=duration if ended else duration // 3)
        lu = last_update.isoformat()
        doc = (
            '{"script":'
            + self.scripts[pick[3]]
            + ',"execution":{"artifacts":[]},"hyperparams":'
            + hyper
            + ',"configuration":{},"runtime":{},"models":{"input":[],"output":[]},'
            '"container":{},"output":{}}'
        )
        columns = (
            md5(f"task-{n}-{self.company}"),  # id
            self.company,
            self.users[bits % len(self.users)],
            f"{prefix} run {n}",  # name
            kind,
            status,
            self.projects[(bits >> 20) % len(self.projects)],
            None,  # parent
            self.comments[pick[5]],
            created.isoformat(),
            None if status == "created" else started.isoformat(),
            lu if ended else None,  # completed
            lu if status == "published" else None,
            lu,  # status_changed
            lu,  # last_update
            lu,  # last_change
            0 if status == "created" else 50 * (1 + pick[2] % 400),
            self.tags[pick[5] ^ pick[1]],
            self.system_tags[pick[2]],
            self.metrics[pick[4]],  # last_metrics
            "",  # status_reason
            "",  # status_message
            self.users[bits % len(self.users)],  # last_changed_by
        )
        # doc also holds the fields whose columns are copies (store/entities.py)
        copies = {
            col.field: orjson.Fragment(value) if col.is_json else value
            for col, value in zip(TASKS.columns, columns, strict=True)
            if value is not None and TASKS.in_doc(col.field)
        }
        return (*columns, orjson.dumps(copies).decode()[:-1] + "," + doc[1:])


def load(db: Database, count: int, n_projects: int, n_users: int, seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    with db.write() as tx:
        company = accounts.create_company(tx, f"bench-{seed}-{int(time.time())}")
        users = [accounts.create_user(tx, company, f"user{i:02d}") for i in range(n_users)]
        key, secret = accounts.create_credentials(tx, users[0], label="bench")
        project_ids = []
        for i in range(n_projects):
            pid = md5(f"project-{i}-{company}")
            project_ids.append(pid)
            area = rnd.choice(["vision", "nlp", "speech", "tabular", "rl"])
            PROJECTS.insert(
                tx,
                {
                    "id": pid,
                    "company": company,
                    "user": rnd.choice(users),
                    "name": f"{area}/experiment-{i:04d}",
                    "basename": f"experiment-{i:04d}",
                    "description": f"{area} experiments",
                    "created": iso(START),
                    "last_update": iso(START),
                    "tags": [],
                    "system_tags": [],
                },
            )
    gen = Generator(seed, users, project_ids, company)
    names = [c.name for c in TASKS.columns] + ["doc", "rev"]
    if names[:-2] != ROW_COLUMNS:
        raise SystemExit(f"tasks columns changed ({names[:-2]}); update Generator.row")
    marks = [db.dialect.json_param() if c.is_json else "?" for c in TASKS.columns]
    sql = (
        f"INSERT INTO tasks ({', '.join(names)}) VALUES ({', '.join(marks)},"
        f" {db.dialect.json_param()}, 0)"
    )
    done = 0
    started = time.monotonic()
    cpu_started = time.process_time()
    while done < count:
        rows = []
        rows = [gen.row(n, count) for n in range(done, min(done + BATCH, count))]
        with db.write() as tx:
            tx.executemany(sql, rows)
        done += len(rows)
        rate = done / (time.monotonic() - started)
        print(f"\r{done:>9,} tasks  {rate:,.0f}/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if db.dialect.is_postgres:
        with db.write() as tx:
            tx.execute("ANALYZE")
    else:
        with db.read() as tx:
            tx.execute("ANALYZE")
    return {
        "company": company,
        "access_key": key,
        "secret_key": secret,
        "projects": project_ids,
        "users": users,
        "count": count,
        "seconds": round(time.monotonic() - started, 1),
        # SQLite work (triggers, indexes) runs in this process, so this is the load's CPU cost;
        # on a busy machine wall time can be several times larger.
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=Path("taskyard-data"))
    parser.add_argument("--db", default="", help="sqlite:///PATH or postgresql://… URL")
    args = parser.parse_args()
    total = time.monotonic()
    upgrade(args.data_dir, args.db)
    db = Database(Settings(data_dir=args.data_dir, db=args.db).db_url)
    if not db.dialect.is_postgres:
        with db.read() as tx:
            tx.execute("PRAGMA synchronous=OFF")  # bulk load: a crash means reload anyway
            tx.execute("PRAGMA cache_size=-1000000")  # 1 GB: random-id index inserts stay hot
    info = load(db, args.count, args.projects, args.users, args.seed)
    db.close()
    info["total_seconds"] = round(time.monotonic() - total, 1)
    print(
        f"loaded {args.count:,} tasks in {info['total_seconds']} s"
        f" ({info['cpu_seconds']} s CPU) into {db.url}"
    )
    print(f"  access key: {info['access_key']}")
    print(f"  secret key: {info['secret_key']}")
    print(
        f"  serve:  .venv/bin/taskyard serve --data-dir {args.data_dir}"
        + (f" --db {args.db}" if args.db else "")
    )
    print("LOADED " + json.dumps({k: v for k, v in info.items() if k != "users"}))


if __name__ == "__main__":
    main()
