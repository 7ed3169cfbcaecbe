"""store/db.py insert_rows: any number of rows, several to a statement, with an upsert clause."""

from __future__ import annotations

import pytest

from taskyard.store.db import ROWS_PER_INSERT, Database, insert_rows


@pytest.mark.parametrize(
    "count", [0, 1, ROWS_PER_INSERT - 1, ROWS_PER_INSERT, 2 * ROWS_PER_INSERT + 3]
)
def test_every_row_is_inserted_in_order(fresh_db: Database, count: int) -> None:
    rows = [(i, f"name {i}") for i in range(count)]
    with fresh_db.write() as tx:
        tx.execute("CREATE TABLE items (k INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        insert_rows(tx, "items (k, name)", "?, ?", rows)
    with fresh_db.read() as tx:
        assert [tuple(r) for r in tx.query("SELECT k, name FROM items ORDER BY k")] == rows


def test_the_conflict_clause_replaces_existing_rows(fresh_db: Database) -> None:
    with fresh_db.write() as tx:
        tx.execute("CREATE TABLE items (k INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        insert_rows(tx, "items (k, name)", "?, ?", [(i, "old") for i in range(10)])
        insert_rows(
            tx,
            "items (k, name)",
            "?, ?",
            [(i, "new") for i in range(5, 15)],
            "ON CONFLICT (k) DO UPDATE SET name = excluded.name",
        )
    with fresh_db.read() as tx:
        names = dict(tx.query("SELECT k, name FROM items"))
    assert names == {**{i: "old" for i in range(5)}, **{i: "new" for i in range(5, 15)}}
