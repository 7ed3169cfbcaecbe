"""Web UI at scale: the first page of a 100k-task project and a 100k-point scalar series.

    .venv/bin/python -m bench.ui_bench [--tasks 100000] [--points 100000] [--write]

Starts `taskyard serve` on a loopback port with a data dir under bench/.work/ui (kept between
runs: the population is reused when it is already there), then drives Debian's headless
Chromium (the same launch as tests/web) and reads the UI's own performance marks:

* `taskyard:tasks-rendered` — the table's rows are in the DOM, measured from navigation start
  (so it includes loading index.html, the modules, the get_all_ex call and rendering);
* `taskyard:scalars-drawn` — the charts of the task's scalars are drawn.

The scalar page also records long tasks (main-thread blocks > 50 ms) so "draws without freezing
the page" is a number. --write stores the table in bench/results/ui.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.servers import free_port, taskyard_server

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "ui"
RESULTS = ROOT / "bench" / "results" / "ui.md"
# Only for the server's first account; the benchmark logs in as the loader's user.
ACCESS, SECRET = "UIBENCHACCESSKEY01", "ui-bench-secret-0123456789"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERIES_TASK = "ui-bench 100k-point series"
RUNS = 7


class Api:
    def __init__(self, url: str, access: str, secret: str) -> None:
        auth = base64.b64encode(f"{access}:{secret}".encode()).decode()
        self.http = httpx.Client(
            base_url=url, timeout=300, headers={"Authorization": f"Basic {auth}"}
        )

    def __call__(self, endpoint: str, **body: Any) -> Any:
        r = self.http.post(f"/v2.23/{endpoint}", json=body)
        meta = r.json()["meta"]
        if meta["result_code"] != 200:
            raise RuntimeError(f"{endpoint}: {meta['result_msg']}")
        return r.json()["data"]

    def batch(self, endpoint: str, items: list[dict[str, Any]]) -> None:
        content = b"\n".join(json.dumps(i).encode() for i in items)
        r = self.http.post(
            f"/v2.23/{endpoint}",
            content=content,
            headers={"Content-Type": "application/json-lines"},
        )
        if r.status_code != 200:
            raise RuntimeError(f"{endpoint}: {r.text[:300]}")


def load_population(n: int) -> dict[str, Any]:
    """The 100k-task project, made by bench/load_tasks.py (straight into the database) once and
    reused while the count matches; returns the loader's LOADED record."""
    record = WORK / "loaded.json"
    if record.exists():
        info: dict[str, Any] = json.loads(record.read_text())
        if info.get("count") == n:
            print(f"reusing {n:,} loaded tasks in {WORK / 'data'}")
            return info
    shutil.rmtree(WORK / "data", ignore_errors=True)
    (WORK / "series.json").unlink(missing_ok=True)
    print(f"loading {n:,} tasks with bench/load_tasks.py …", flush=True)
    argv = [sys.executable, "-m", "bench.load_tasks", "--count", str(n), "--projects", "1"]
    out = subprocess.run(
        [*argv, "--data-dir", str(WORK / "data")],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("LOADED "))
    info = json.loads(line[len("LOADED ") :])
    record.write_text(json.dumps(info))
    return info


def populate_series(api: Api, project: str, points: int) -> str:
    record = WORK / "series.json"
    if record.exists():
        saved = json.loads(record.read_text())
        if saved.get("project") == project and saved.get("points") == points:
            print("reusing the series task")
            return str(saved["task"])
    tid = str(api("tasks.create", name=SERIES_TASK, type="training", project=project)["id"])
    api("tasks.started", task=tid)
    print(f"reporting {points} points …", flush=True)
    base = int(time.time() * 1000)
    for start in range(0, points, 10000):
        api.batch(
            "events.add_batch",
            [
                {
                    "task": tid,
                    "type": "training_stats_scalar",
                    "metric": "loss",
                    "variant": "train",
                    "value": 1.0 / (1 + i / 1000) + (i % 17) * 0.001,
                    "iter": i,
                    "timestamp": base + i,
                }
                for i in range(start, min(points, start + 10000))
            ],
        )
    api("tasks.completed", task=tid)
    record.write_text(json.dumps({"project": project, "points": points, "task": tid}))
    return tid


LONGTASK_OBSERVER = """
window.__longtasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longtasks.push(e.duration);
}).observe({ type: "longtask", buffered: true });
"""


FRAME_JS = """new Promise((resolve) => {
  const t = performance.now();
  requestAnimationFrame(() => resolve(performance.now() - t));
})"""


def mark(page: Any, name: str) -> float:
    page.wait_for_function(
        f"performance.getEntriesByName({json.dumps(name)}).length > 0", timeout=60000
    )
    return float(page.evaluate(f"performance.getEntriesByName({json.dumps(name)})[0].startTime"))


def measure(
    url: str, creds: tuple[str, str], project: str, info_user: str, series_task: str
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 900})
        context.add_init_script(LONGTASK_OBSERVER)
        page = context.new_page()
        page.goto("/login")
        page.fill("#access-key", creds[0])
        page.fill("#secret-key", creds[1])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#projects-table, .empty")

        default_cols = None
        with_cols = json.dumps(
            [
                *({"kind": "field", "key": k} for k in ("name", "type", "status", "user", "tags")),
                {"kind": "field", "key": "last_update"},
                {"kind": "hp", "section": "Args", "name": "lr"},
                {"kind": "metric", "metric": "loss", "variant": "val"},
            ]
        )
        views = [
            ("newest first (default)", "", default_cols),
            ("sorted by name", "?sort=name", default_cols),
            ("status completed + tag best", "?status=completed&tags=best", default_cols),
            ("type testing, user filter", "?type=testing&user=" + info_user, default_cols),
            ("full-text search 'cosine'", "?q=cosine", default_cols),
            ("page 100 (rows 5001-5050)", "?page=100", default_cols),
            (
                "+ Args/lr, loss/val columns, sorted by loss/val",
                "?sort=-last_metrics.loss.val.value",
                with_cols,
            ),
            ("+ same columns, sorted by Args/lr", "?sort=hyperparams.Args.lr.value", with_cols),
        ]
        for label, query, cols in views:
            key = f"taskyard.columns.{project}"
            if cols:
                page.evaluate("([k, v]) => localStorage.setItem(k, v)", [key, cols])
            else:
                page.evaluate("(k) => localStorage.removeItem(k)", key)
            times = []
            for _ in range(RUNS):
                page.goto(f"/projects/{project}{query}")
                times.append(mark(page, "taskyard:tasks-rendered"))
                rows = page.locator("#tasks-table tbody tr").count()
            out[label] = {
                "median_ms": statistics.median(times),
                "max_ms": max(times),
                "first_ms": times[0],
                "rows": rows,
            }
            if label.startswith("+ Args"):
                page.screenshot(path=str(WORK / "first_page.png"))

        series = []
        for _ in range(3):
            page.goto(f"/tasks/{series_task}/scalars")
            drawn = mark(page, "taskyard:scalars-drawn")
            points = int(page.locator(".chart[data-metric=loss]").get_attribute("data-points") or 0)
            longtasks = page.evaluate("window.__longtasks")
            # The page answers input right after drawing: time one animation frame round trip.
            frame = page.evaluate(FRAME_JS)
            series.append(
                {
                    "drawn_ms": drawn,
                    "points": points,
                    "longest_task_ms": max(longtasks, default=0.0),
                    "frame_ms": frame,
                }
            )
        out["series"] = series
        context.close()
        browser.close()
    return out


def table(res: dict[str, Any], n: int, points: int) -> str:
    lines = [
        f"First page of a {n:,}-task project (50 rows), from navigation start to rows in the DOM,",
        f"{RUNS} loads each, headless Chromium, server and browser on the same 2-core machine:",
        "",
        "| view | median ms | max ms | first load ms | rows |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, r in res.items():
        if label == "series":
            continue
        cells = [label, f"{r['median_ms']:.0f}", f"{r['max_ms']:.0f}", f"{r['first_ms']:.0f}"]
        lines.append("| " + " | ".join([*cells, str(r["rows"])]) + " |")
    lines += [
        "",
        f"A {points:,}-point scalar series (server downsampling to the UI's 2,000 samples):",
        "",
        "| load | charts drawn at ms | points drawn | longest main-thread task ms "
        "| next frame ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for i, s in enumerate(res["series"], start=1):
        cells = [str(i), f"{s['drawn_ms']:.0f}", f"{s['points']:,}", f"{s['longest_task_ms']:.0f}"]
        lines.append("| " + " | ".join([*cells, f"{s['frame_ms']:.1f}"]) + " |")
    return "\n".join(lines)


NOTES = """
Notes:

* The population is bench/load_tasks.py's (`--projects 1`): statuses, types, tags,
  hyperparameters and last_metrics like real runs; SQLite, one `taskyard serve` process.
* "first load" is the first navigation after the server started (cold database pages); the
  modules themselves are cached by then (versioned `/static/v-<hash>/` URLs, immutable).
* Every view is one `tasks.get_all_ex` (page 0 or N, 50 rows, only the shown columns); the
  project name and user list are fetched after it, off the critical path.
* Sorting 100k rows by a last-metric or hyperparameter value is done by the query engine on a
  JSON field without an index; it is the slow row here (seconds, not the UI), and under heavy
  machine load a hyperparameter sort once hit the server's query time limit ("query took too
  long"), which the UI shows as the server's message.
* The series: 100k `training_stats_scalar` events on one variant; the UI asks
  `events.scalar_metrics_iter_histogram` for 2,000 samples and the server downsamples, so the
  chart draws 2,000 points; "longest main-thread task" is the longest task > 50 ms seen by a
  PerformanceObserver during the load (0 = none), "next frame" a requestAnimationFrame round
  trip right after drawing (the page stays responsive).
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"needs {CHROMIUM} (apt-get install chromium)")
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    info = load_population(args.tasks)
    port = free_port()
    server = taskyard_server(WORK / "data", port, ACCESS, SECRET, None, None, WORK / "serve.log")
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        creds = (info["access_key"], info["secret_key"])
        api = Api(url, *creds)
        project = str(info["projects"][0])
        series_task = populate_series(api, project, args.points)
        first = api("tasks.get_all_ex", project=[project], only_fields=["user"], page_size=1)
        user = first["tasks"][0]["user"]
        user_id = str(user["id"] if isinstance(user, dict) else user)
        res = measure(url, creds, project, user_id, series_task)
    finally:
        server.stop()
    text = table(res, args.tasks, args.points)
    print(text)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        header = "# Web UI benchmark\n\nMade by `.venv/bin/python -m bench.ui_bench --write`.\n\n"
        RESULTS.write_text(header + text + "\n" + NOTES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
