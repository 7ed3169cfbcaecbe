"""store/tasks.py: conditional updates and the events cleanup, before and after the events
table exists."""

from __future__ import annotations

import orjson
import pytest

from taskyard.store import tasks as store
from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.support import doc_drift


def _task(db: Database, task_id: str, status: str = "created") -> None:
    with db.write() as tx:
        TASKS.insert(
            tx,
            {
                "id": task_id,
                "company": "c",
                "status": status,
                "tags": [],
                "system_tags": [],
                "output": {"destination": "d"},
            },
        )


def test_update_fields_is_conditional_on_status(fresh_db: Database) -> None:
    _task(fresh_db, "a", "in_progress")
    with fresh_db.write() as tx:
        assert store.update_fields(tx, "a", {"status": "stopped"}, expect_status="created") is None
        assert (
            store.update_fields(
                tx,
                "a",
                {"status": "stopped", "status_message": "m", "output": {}},
                ("started",),
                expect_status="in_progress",
            )
            == ""
        )
    with fresh_db.read() as tx:
        doc, rev = TASKS.get(tx, ["a"], ["c"])["a"]
    assert doc["status"] == "stopped" and doc["status_message"] == "m" and doc["output"] == {}
    assert rev == 1


def test_events_cleanup_with_and_without_the_table(fresh_db: Database) -> None:
    with fresh_db.write() as tx:
        if not store.events_table_exists(tx):
            assert store.delete_events(tx, ["a"]) == 0
            tx.execute(
                "CREATE TABLE events (task TEXT, company TEXT, type TEXT, timestamp BIGINT, "
                "url TEXT, payload TEXT)"
            )
        else:
            tx.execute("DELETE FROM events")
    with fresh_db.write() as tx:
        assert store.events_table_exists(tx)
        for task, url in (("a", "http://f/a.png"), ("a", None), ("b", "http://f/b.png")):
            tx.execute(
                "INSERT INTO events (task, company, type, timestamp, url, payload) "
                f"VALUES (?, 'c', 'log', 0, ?, {tx.dialect.json_param()})",
                (task, url, "{}"),
            )
    with fresh_db.read() as tx:
        assert store.event_urls(tx, ["a"]) == ["http://f/a.png"]
    with fresh_db.write() as tx:
        assert store.delete_events(tx, ["a"]) == 2


DOCUMENTS = [
    {"id": "t1", "company": "c", "status": "created", "tags": [], "system_tags": []},
    {
        "id": "t2",
        "company": "c",
        "user": "u",
        "name": 'ünïcode "quoted" run',
        "status": "in_progress",
        "parent": None,  # absent when read back
        "tags": ["a", "b"],
        "system_tags": ["archived"],
        "last_update": "2026-01-01T00:00:00+00:00",
        "last_iteration": 12,
        "last_metrics": {"m" * 32: {"v" * 32: {"metric": "loss", "value": 0.5}}},
        "script": {"repository": "r", "requirements": {}},
        "hyperparams": {"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}}},
        "configuration": {},
        "comment": None,  # absent when read back
    },
    {  # column-only text fields that need escaping in JSON, and an empty rest of the document
        "id": "t3",
        "company": "c",
        "status": "failed",
        "status_message": 'line\n\ttab "quote" back\\slash \x01 ünï ✓ 😀',
        "status_reason": "",
        "started": "2026-01-01T00:00:00+00:00",
        "last_iteration": -3,
        "tags": [],
        "system_tags": [],
    },
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=["minimal", "full", "escapes"])
def test_a_documents_text_is_the_document_read_back(fresh_db: Database, document: dict) -> None:
    with fresh_db.write() as tx:
        TASKS.insert(tx, document)
    with fresh_db.read() as tx:
        decoded, _ = TASKS.get(tx, [document["id"]], ["c"])[document["id"]]
        text = TASKS.get_text(tx, document["id"], ["c"])
        assert TASKS.get_text(tx, document["id"], ["other"]) is None
    # absent or None fields are absent (last_metrics: empty)
    assert decoded == {"last_metrics": {}, **{k: v for k, v in document.items() if v is not None}}
    assert text is not None and orjson.loads(text) == decoded


def test_field_writes_keep_the_documents_copies(fresh_db: Database) -> None:
    """Every field write sets the column and the document's copy (or removes both)."""
    _task(fresh_db, "a", "in_progress")
    with fresh_db.write() as tx:
        store.update_fields(
            tx, "a", {"status": "stopped", "tags": ["x"], "parent": "p", "last_iteration": 3}
        )
        store.update_fields(tx, "a", {"system_tags": None}, ("parent",))
        store.reparent_children(tx, "gone", "2026-01-01T00:00:00+00:00")
    with fresh_db.read() as tx:
        doc, _ = TASKS.get(tx, ["a"], ["c"])["a"]
        text = TASKS.get_text(tx, "a", ["c"])
        (raw,) = tx.query_one("SELECT doc FROM tasks WHERE id = ?", ("a",)) or ("",)
    assert doc_drift(fresh_db, ("c",)) == []
    assert text is not None and orjson.loads(text) == doc  # SQLite: members kept up to date
    assert doc["status"] == "stopped" and doc["tags"] == ["x"] and doc["system_tags"] == []
    assert "parent" not in doc and doc["last_iteration"] == 3
    assert "last_iteration" not in orjson.loads(raw)  # column-only: reports rewrite it


def test_reading_column_fields_only(fresh_db: Database) -> None:
    full = DOCUMENTS[1]
    with fresh_db.write() as tx:
        TASKS.insert(tx, full)
    with fresh_db.read() as tx:
        got = TASKS.get(tx, ["t2", "nope"], ["c"], with_doc=False)
    doc, rev = got["t2"]
    assert list(got) == ["t2"] and rev == 0
    # every column field, JSON decoded, nothing that only `doc` holds
    assert doc["status"] == "in_progress" and doc["last_metrics"] == full["last_metrics"]
    assert doc["tags"] == full["tags"] and "output" not in doc


def test_progress_of_a_task_reads_its_report_fields(fresh_db: Database) -> None:
    full = DOCUMENTS[1]
    with fresh_db.write() as tx:
        TASKS.insert(tx, full)
    _task(fresh_db, "bare")
    with fresh_db.read() as tx:
        got = store.progress_of(tx, ["t2", "bare", "nope"], "c")
        assert store.progress_of(tx, ["t2"], "other company") == {}
    assert set(got) == {"t2", "bare"}
    assert got["t2"].status == "in_progress" and got["t2"].rev == 0
    assert got["t2"].last_metrics == full["last_metrics"]
    assert got["t2"].last_iteration == 12
    # a task never reported to: no metrics, iteration 0
    assert got["bare"].last_metrics == {} and got["bare"].last_iteration == 0


def test_recording_progress_is_conditional_on_the_revision(fresh_db: Database) -> None:
    _task(fresh_db, "a", "in_progress")
    with fresh_db.read() as tx:
        read = store.progress_of(tx, ["a"], "c")["a"]
    read.last_metrics["m"] = {"v": {"metric": "loss", "variant": "train", "value": 0.5}}
    with fresh_db.write() as tx:
        store.update_fields(tx, "a", {"comment": "a concurrent edit"})  # rev 0 -> 1
        assert not store.record_progress(tx, "a", read, "2026-12-06T00:00:00+00:00", 7, [])
    with fresh_db.read() as tx:
        stale = store.progress_of(tx, ["a"], "c")["a"]
    assert stale.last_metrics == {} and stale.last_iteration == 0 and stale.rev == 1
    stale.last_metrics["m"] = {"v": {"metric": "loss", "variant": "train", "value": 0.5}}
    with fresh_db.write() as tx:
        assert store.record_progress(tx, "a", stale, "2026-12-06T00:00:00+00:00", 7, [("m", "v")])
    with fresh_db.read() as tx:
        doc, rev = TASKS.get(tx, ["a"], ["c"])["a"]
        metric_rows = (
            []
            if fresh_db.dialect.is_postgres
            else tx.query("SELECT metric, variant, value FROM task_metrics")
        )
    assert rev == 2 and doc["last_iteration"] == 7
    assert doc["last_update"] == "2026-12-06T00:00:00+00:00"
    assert doc["last_metrics"]["m"]["v"]["value"] == 0.5
    if not fresh_db.dialect.is_postgres:  # SQLite's index of metric values follows
        assert [tuple(r) for r in metric_rows] == [("m", "v", 0.5)]
