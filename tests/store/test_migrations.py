"""Migrations that move data: an installation upgraded in place reads back as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from taskyard.domain.clock import new_id
from taskyard.store import events, migrations
from taskyard.store.db import Database, Tx
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


def upgrade_through(db: Database, name: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Apply the pending migrations up to and including `name` (what that release ran)."""
    through = [m for m in migrations.all_migrations() if m.name[:4] <= name]
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "all_migrations", lambda: through)
        return migrations.upgrade(db)


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
    doc = orjson.loads(columns[3])
    assert {k: v for k, v in doc.items() if k not in TASKS.by_field} == {
        "script": {"repository": "r"}
    }
    assert not set(texts) & set(doc)  # status changes rewrite them: columns only (0013 too)


def test_task_documents_take_in_their_column_fields_and_read_back_as_before(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_before(database, "0013", monkeypatch)
    task = new_id()
    with database.write() as tx:
        tx.execute(
            "INSERT INTO tasks (id, company, user_id, name, status, parent, last_update,"
            " last_iteration, tags, system_tags, last_metrics, doc) VALUES (?, 'co', 'u1', 'run',"
            " 'stopped', NULL, '2026-01-02T03:04:05+00:00', 7, '[\"a\", \"b\"]', '[]',"
            f" {database.dialect.json_param()}, {database.dialect.json_param()})",
            (task, orjson.dumps(METRICS).decode(), '{"script": {"repository": "r"}}'),
        )
    before = {
        "script": {"repository": "r"},
        "id": task,
        "company": "co",
        "user": "u1",
        "name": "run",
        "tags": ["a", "b"],
        "system_tags": [],
    }
    assert upgrade_through(database, "0013", monkeypatch) == ["0013_whole_task_documents"]

    with database.read() as tx:
        after, _ = TASKS.get(tx, [task], ("co",))[task]
        raw = tx.query_one("SELECT doc FROM tasks WHERE id = ?", (task,))
    rewritten = {"status": "stopped", "last_update": "2026-01-02T03:04:05+00:00"}
    assert after == {**before, **rewritten, "last_iteration": 7, "last_metrics": METRICS}
    migrations.upgrade(database)  # what get_text reads may come from later migrations
    with database.read() as tx:
        text = TASKS.get_text(tx, task, ("co",))
    assert text is not None and orjson.loads(text) == after
    assert raw is not None
    doc = orjson.loads(raw[0])
    # no parent (a NULL column); what status changes and reports rewrite stays in its columns
    assert doc == before


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


def _tasks_schema(tx: Tx) -> dict[tuple[str, str], str]:
    """The indexes and triggers of the tasks table, whitespace aside."""
    rows = tx.query(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'tasks'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    )
    return {(kind, name): " ".join(sql.split()) for kind, name, sql in rows}


def test_sqlite_tasks_rebuilt_with_their_members_keep_rows_indexes_and_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'm.db'}")
    install_before(database, "0015", monkeypatch)
    documents = [
        {"id": "t1", "company": "co", "name": "alpha run", "status": "created", "tags": ["a"]},
        {
            "id": "t2",
            "company": "co",
            "name": "beta sweep",
            "status": "failed",
            "status_message": 'quote " newline \n é',
            "last_iteration": 4,
            "last_metrics": METRICS,
        },
    ]
    with database.write() as tx:
        for document in documents:
            TASKS.insert(tx, {"system_tags": [], "tags": [], **document})
        tx.execute("DELETE FROM tasks WHERE id = 't1'")  # rowids with a gap
        TASKS.insert(tx, {"system_tags": [], "tags": [], **documents[0]})
    read_rows = "SELECT id, rowid FROM tasks ORDER BY id"
    read_metrics = "SELECT * FROM task_metrics ORDER BY 1, 2, 3"
    with database.read() as tx:
        rows, metrics, schema = tx.query(read_rows), tx.query(read_metrics), _tasks_schema(tx)
        docs = {d: TASKS.get(tx, [d], ("co",))[d][0] for d in ("t1", "t2")}

    assert migrations.upgrade(database) == ["0015_sqlite_task_members"]

    members = TASKS.members_sql(database.dialect)
    with database.read() as tx:
        assert tx.query(read_rows) == rows and tx.query(read_metrics) == metrics
        assert len(metrics) == 2 and _tasks_schema(tx) == schema
        found = tx.query("SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH 'sweep'")
        assert found == [(dict(rows)["t2"],)]
        assert tx.query(f"SELECT id FROM tasks WHERE members IS NOT ({members})") == []
        for task, doc in docs.items():
            text = TASKS.get_text(tx, task, ("co",))
            assert text is not None and orjson.loads(text) == doc
    database.close()
