"""bench/load_tasks.py writes task rows by hand (for speed): they must be rows the store reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from bench.load_tasks import load
from taskyard.store import migrations
from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.conftest import drop_pg_database, fresh_database_url
from tests.support import doc_drift


@pytest.fixture
def fresh(backend: str, tmp_path: Path) -> Iterator[Database]:
    url = fresh_database_url(backend, tmp_path)
    database = Database(url)
    migrations.upgrade(database)
    yield database
    database.close()
    if backend == "postgres":
        drop_pg_database(url)


def test_loaded_tasks_are_whole_documents(fresh: Database) -> None:
    info = load(fresh, count=60, n_projects=3, n_users=2, seed=1)
    company = info["company"]
    assert doc_drift(fresh, (company,)) == []
    with fresh.read() as tx:
        ids = [r[0] for r in tx.query("SELECT id FROM tasks WHERE company = ?", (company,))]
        documents = TASKS.get(tx, ids, [company])
        texts = {i: TASKS.get_text(tx, i, [company]) for i in ids}
    assert len(documents) == 60
    for task_id, (document, _) in documents.items():
        assert document["name"] and document["hyperparams"]["Args"]
        assert orjson.loads(texts[task_id] or "null") == document
