"""tasks.validate (SEMANTICS §5.3): create's checks without saving."""

from __future__ import annotations

from taskyard.store.db import Database
from tests.services.tasks_support import get, new_task
from tests.support import ApiClient


def _count(db: Database, company: str) -> int:
    with db.read() as tx:
        row = tx.query_one("SELECT COUNT(*) FROM tasks WHERE company = ?", (company,))
    return int(row[0]) if row else 0


def test_valid_fields_reply_empty_and_save_nothing(client: ApiClient, db: Database) -> None:
    company = get(client, new_task(client))["company"]
    before = _count(db, company)
    assert client.ok("tasks.validate", name="ab", type="training", comment="c") == {}
    assert _count(db, company) == before


def test_reference_checks_apply(client: ApiClient) -> None:
    reply = client.call("tasks.validate", name="abc", type="training", project="nope")
    assert reply.code == (400, 401)
    reply = client.call("tasks.validate", name="abc", type="training", parent="nope")
    assert reply.code == (400, 101)
    reply = client.call("tasks.validate", name="abc")
    assert reply.code == (400, 12)
