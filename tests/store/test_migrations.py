"""Migrations that move data: an installation upgraded in place reads back as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from taskyard.domain.clock import new_id
from taskyard.store import events, migrations
from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.conftest import drop_pg_database, fresh_database_url

METRICS = {
    "a" * 32: {"b" * 32: {"metric": "loss", "variant": "train", "value": 0.25, "max_value": 1}},
    "c" * 32: {"d" * 32: {"metric": "acc", "variant": "val", "value": 0.9}},
}


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[Database]:
    url = fresh_database_url(backend, tmp_path)
    db = Database(url)
    yield db
    db.close()
    if backend == "postgres":
        drop_pg_database(url)


def install_before(db: Database, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema of an installation whose code knew only the migrations before `name`."""
    older = [m for m in migrations.all_migrations() if m.name < name]
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "all_migrations", lambda: older)
        migrations.upgrade(db)


def test_last_metrics_move_out_of_the_document_into_their_column(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_before(database, "0010", monkeypatch)
    task = new_id()
    doc = {"script": {"repository": "r"}, "last_metrics": METRICS}
    with database.write() as tx:
        tx.execute(
            "INSERT INTO tasks (id, company, name, status, tags, system_tags, doc)"
            f" VALUES (?, 'co', 'run', 'created', '[]', '[]', {database.dialect.json_param()})",
            (task, orjson.dumps(doc).decode()),
        )

    assert migrations.upgrade(database)[0] == "0010_last_metrics_column"

    with database.read() as tx:
        document, _ = TASKS.get(tx, [task], ("co",))[task]
        raw_doc = tx.query_one("SELECT doc FROM tasks WHERE id = ?", (task,))
        metric_rows = (
            []
            if database.dialect.is_postgres
            else sorted(tx.query("SELECT metric, variant, value FROM task_metrics"))
        )
    assert document["last_metrics"] == METRICS
    assert document["script"] == {"repository": "r"}
    assert raw_doc is not None and "last_metrics" not in orjson.loads(raw_doc[0])
    if not database.dialect.is_postgres:  # the sort table SQLite keeps is unchanged
        assert metric_rows == [("a" * 32, "b" * 32, 0.25), ("c" * 32, "d" * 32, 0.9)]


def test_status_texts_move_out_of_the_document_into_columns(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_before(database, "0011", monkeypatch)
    task = new_id()
    texts = {"status_reason": "why", "status_message": "what", "last_changed_by": "u1"}
    doc = {"script": {"repository": "r"}, **texts}
    with database.write() as tx:
        tx.execute(
            "INSERT INTO tasks (id, company, name, status, tags, system_tags, doc)"
            f" VALUES (?, 'co', 'run', 'stopped', '[]', '[]', {database.dialect.json_param()})",
            (task, orjson.dumps(doc).decode()),
        )

    assert migrations.upgrade(database)[0] == "0011_status_text_columns"

    with database.read() as tx:
        document, _ = TASKS.get(tx, [task], ("co",))[task]
        columns = tx.query_one(
            "SELECT status_reason, status_message, last_changed_by, doc FROM tasks WHERE id = ?",
            (task,),
        )
    assert {k: document[k] for k in texts} == texts
    assert columns is not None and columns[:3] == ("why", "what", "u1")
    assert orjson.loads(columns[3]) == {"script": {"repository": "r"}}


def test_events_keep_reading_back_after_the_time_index_drops_scalars(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_before(database, "0012", monkeypatch)
    task = new_id()
    reported = [
        {"task": task, "type": kind, "iter": i, "timestamp": 1000 + i, "metric": "m", "value": i}
        for i, kind in enumerate(["log", "training_stats_scalar", "log", "training_stats_scalar"])
    ]
    with database.write() as tx:
        events.insert(tx, [events.new_event("co", raw, 0) for raw in reported])

    assert migrations.upgrade(database)[0] == "0012_cheaper_scalar_reports"

    with database.read() as tx:
        for kind in ("log", "training_stats_scalar"):
            rows = events.page_by_time(tx, [task], kind, descending=True, after=None, limit=9)
            assert [r[6] for r in rows] == [
                e["timestamp"] for e in reported[::-1] if e["type"] == kind
            ]
