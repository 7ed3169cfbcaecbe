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
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=["minimal", "full"])
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
        (raw,) = tx.query_one("SELECT doc FROM tasks WHERE id = ?", ("a",)) or ("",)
    assert doc_drift(fresh_db, ("c",)) == []
    assert doc["status"] == "stopped" and doc["tags"] == ["x"] and doc["system_tags"] == []
    assert "parent" not in doc and doc["last_iteration"] == 3
    assert "last_iteration" not in orjson.loads(raw)  # column-only: reports rewrite it


def test_reading_some_fields_of_tasks(fresh_db: Database) -> None:
    full = DOCUMENTS[1]
    with fresh_db.write() as tx:
        TASKS.insert(tx, full)
    with fresh_db.read() as tx:
        got = TASKS.get(tx, ["t2", "nope"], ["c"], fields=("status", "last_metrics", "parent"))
    # the id always, NULL columns absent, JSON decoded
    assert got == {
        "t2": ({"id": "t2", "status": "in_progress", "last_metrics": full["last_metrics"]}, 0)
    }
