"""`taskyard db copy`: a populated installation survives SQLite → PostgreSQL → SQLite unchanged."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from taskyard.domain.clock import new_id, now
from taskyard.store import accounts, migrations, transfer
from taskyard.store.db import Database
from taskyard.store.entities import MODELS
from tests.conftest import PG_AVAILABLE, drop_pg_database, make_pg_database
from tests.support import ApiClient, LiveServer, new_account

TASKYARD = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "taskyard")


def _populate(url: str, data_dir: Path) -> dict[str, Any]:
    """An installation with projects, tasks in several states, models, events, credentials."""
    db = Database(url)
    migrations.upgrade(db)
    company, user, key, secret = new_account(db, "acme")
    with db.write() as tx:
        _, _ = accounts.create_credentials(tx, user, label="second")
        revoked, _ = accounts.create_credentials(tx, user, label="old")
    accounts.revoke_credentials(db, revoked)
    server = LiveServer(url, str(data_dir))
    client = ApiClient(server.url, key, secret)
    try:
        project = client.ok("projects.create", name="vision", description="d")["id"]
        tasks = []
        for i in range(12):
            task = client.ok(
                "tasks.create",
                name=f"train {i} ünïcode",
                type="training",
                project=project,
                tags=["t", f"n{i}"],
                system_tags=["development"] if i % 2 else [],
            )["id"]
            client.ok(
                "tasks.edit",
                task=task,
                hyperparams={"Args": {"lr": {"section": "Args", "name": "lr", "value": str(i)}}},
                script={"entry_point": "train.py", "diff": "x" * 50 + '\n\t"quote"'},
            )
            if i % 3:
                client.ok("tasks.started", task=task)
            if i % 3 == 2:
                client.ok("tasks.stopped", task=task)
            tasks.append(task)
            events = [
                {"type": "training_stats_scalar", "task": task, "iter": it, "metric": "loss",
                 "variant": "train", "value": 1 / (it + 1), "timestamp": 1_700_000_000_000 + it}
                for it in range(20)
            ]  # fmt: skip
            events.append({"type": "log", "task": task, "msg": "hello\nworld", "level": "info"})
            assert client.batch("events.add_batch", events).code == (200, 0)
        with db.write() as tx:
            MODELS.insert(
                tx,
                {"id": new_id(), "company": company, "name": "m", "project": project,
                 "task": tasks[0], "ready": True, "uri": "file:///m.pt", "created": now(),
                 "tags": [], "system_tags": [], "design": {"layers": [1, 2]}},
            )  # fmt: skip
        views = _api_views(client, tasks, project)
    finally:
        client.close()
        server.stop()
        db.close()
    return {"key": key, "secret": secret, "revoked": revoked, "views": views, "tasks": tasks}


def _api_views(client: ApiClient, tasks: list[str], project: str) -> dict[str, Any]:
    """What users see, to compare between installations."""
    views: dict[str, Any] = {
        "tasks": [client.ok("tasks.get_by_id", task=t)["task"] for t in tasks],
        "projects": client.ok("projects.get_all", id=[project])["projects"],
        "models": client.ok("models.get_all", project=[project])["models"],
    }
    for task in tasks[:3]:
        views[f"events {task}"] = client.ok(
            "events.get_task_events", task=task, order="asc", batch_size=1000
        )["events"]
    return views


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every copied table, in key order, JSON parsed (spacing may differ)."""

    def norm(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
        return value

    side = transfer._Side(url)
    try:
        out = {}
        derived = side.derived()  # trigger-kept indexes, keyed by rowids that a copy renumbers
        for name, table in side.tables().items():
            if name in derived:
                continue
            cols = ", ".join(f'"{c.name}"' for c in table.columns)
            order = ", ".join(f'"{k}"' for k in table.key) or cols
            rows = side.query(f'SELECT {cols} FROM "{name}" ORDER BY {order}')
            out[name] = [tuple(norm(v) for v in row) for row in rows]
        return out
    finally:
        side.close()


def _serve_and_view(url: str, data_dir: Path, state: dict[str, Any]) -> dict[str, Any]:
    server = LiveServer(url, str(data_dir))
    client = ApiClient(server.url, state["key"], state["secret"])
    revoked = ApiClient(server.url, state["revoked"], "anything")
    try:
        assert revoked.call("auth.login").status == 401
        project = state["views"]["projects"][0]["id"]
        return _api_views(client, state["tasks"], project)
    finally:
        revoked.close()
        client.close()
        server.stop()


@pytest.mark.skipif(not PG_AVAILABLE, reason="needs PostgreSQL")
def test_sqlite_to_postgres_to_sqlite_round_trip(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    final = f"sqlite:///{tmp_path / 'final.db'}"
    state = _populate(source, tmp_path / "data")
    pg = make_pg_database()
    try:
        out = subprocess.run(
            [TASKYARD, "db", "copy", "--from", source, "--to", pg],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert "copied tasks: 12 rows" in out.stdout
        assert "row counts match" in out.stdout
        assert _serve_and_view(pg, tmp_path / "data-pg", state) == state["views"]

        counts = transfer.copy_database(pg, final)
        assert counts["tasks"] == 12 and counts["events"] == 12 * 21
    finally:
        drop_pg_database(pg)
    before, after = _dump(source), _dump(final)
    for name in ("companies", "users", "credentials", "settings", "projects", "tasks",
                 "models", "events"):  # fmt: skip
        assert before[name], f"{name} should hold rows"
    # Serving the PostgreSQL copy ran its watchdog once, which job_runs records.
    before.pop("job_runs"), after.pop("job_runs")
    assert after == before
    assert _serve_and_view(final, tmp_path / "data-final", state) == state["views"]


def test_copy_refuses_a_target_that_holds_data(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'a.db'}"
    target = f"sqlite:///{tmp_path / 'b.db'}"
    for url in (source, target):
        db = Database(url)
        migrations.upgrade(db)
        new_account(db)
        db.close()
    out = subprocess.run(
        [TASKYARD, "db", "copy", "--from", source, "--to", target],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.startswith("taskyard: error: the target database is not empty")
    assert "Traceback" not in out.stderr


def test_copy_refuses_a_missing_source(tmp_path: Path) -> None:
    with pytest.raises(transfer.TransferError, match="no SQLite database"):
        transfer.copy_database(
            f"sqlite:///{tmp_path / 'nope.db'}", f"sqlite:///{tmp_path / 'x.db'}"
        )


def test_sqlite_to_sqlite_copy_keeps_autoincrement_going(tmp_path: Path) -> None:
    """After a copy, new events get fresh ids rather than colliding with copied ones."""
    source, target = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    db = Database(source)
    migrations.upgrade(db)
    with db.write() as tx:
        for _ in range(3):
            tx.execute(
                "INSERT INTO events (company, task, type, timestamp, payload) "
                "VALUES ('c', 't', 'log', 1, '{}')"
            )
    db.close()
    transfer.copy_database(source, target)
    db = Database(target)
    with db.write() as tx:
        tx.execute(
            "INSERT INTO events (company, task, type, timestamp, payload) "
            "VALUES ('c', 't', 'log', 2, '{}')"
        )
        ids = [r[0] for r in tx.query("SELECT id FROM events ORDER BY id")]
    db.close()
    assert ids == [1, 2, 3, 4]


def test_trigger_maintained_tables_are_rebuilt_not_copied(tmp_path: Path) -> None:
    """Index tables filled by triggers (search, metrics) refill from the copied rows."""
    source, target = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    db = Database(source)
    migrations.upgrade(db)
    company, _, _, _ = new_account(db)
    with db.write() as tx:
        for i in range(5):
            tx.execute(
                "INSERT INTO tasks (id, company, name, status, tags, system_tags, last_metrics,"
                " doc) VALUES (?, ?, ?, 'created', '[]', '[]', ?, '{}')",
                (
                    new_id(),
                    company,
                    f"run {i}",
                    orjson.dumps({"m": {"v": {"value": i}}}).decode(),
                ),
            )
    db.close()
    transfer.copy_database(source, target)
    src, dst = transfer._Side(source), transfer._Side(target)
    try:
        derived = dst.derived()
        assert derived  # the schema has trigger-kept tables (full-text search at least)
        assert dst.count("tasks") == 5
        for name in derived & set(dst.tables()):
            assert dst.count(name) == src.count(name), name
        if "task_metrics" in derived:
            assert dst.count("task_metrics") == 5
    finally:
        src.close()
        dst.close()
