"""bench/load_tasks.py writes task rows by hand (for speed): they must be rows the store reads."""

from __future__ import annotations

import orjson

from bench.load_tasks import load
from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from tests.support import doc_drift


def test_loaded_tasks_are_whole_documents(fresh_db: Database) -> None:
    info = load(fresh_db, count=60, n_projects=3, n_users=2, seed=1)
    company = info["company"]
    assert doc_drift(fresh_db, (company,)) == []
    with fresh_db.read() as tx:
        ids = [r[0] for r in tx.query("SELECT id FROM tasks WHERE company = ?", (company,))]
        documents = TASKS.get(tx, ids, [company])
        texts = {i: TASKS.get_text(tx, i, [company]) for i in ids}
    assert len(documents) == 60
    for task_id, (document, _) in documents.items():
        assert document["name"] and document["hyperparams"]["Args"]
        assert orjson.loads(texts[task_id] or "null") == document
