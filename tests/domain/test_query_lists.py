"""List filters: `-` exclusion, the HEAD operators and `null`, as tables of cases.

Each case is evaluated by SQLite against a handful of tag sets, so the table states which
tag sets a filter keeps — the meaning, not the SQL text.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest

from taskyard.domain.query import TASK
from taskyard.domain.query.operators import Ctx, compile_filter
from taskyard.domain.query.sql import SQLITE_SQL

ROWS = {"none": [], "a": ["a"], "b": ["b"], "ab": ["a", "b"], "c": ["c"]}

CASES: list[tuple[list[Any], set[str]]] = [
    (["a"], {"a", "ab"}),
    (["a", "b"], {"a", "b", "ab"}),
    (["-a"], {"none", "b", "c"}),
    (["-a", "-b"], {"none", "c"}),  # legacy: none of them
    (["a", "-b"], {"a"}),
    ([None], {"none"}),
    (["a", None], {"none", "a", "ab"}),
    (["__$all", "a", "b"], {"ab"}),
    (["__$all", "a", "__$not", "b"], {"a"}),
    (["__$any", "a", "__$not", "c"], {"none", "a", "b", "ab"}),
    (["__$not", "a"], {"none", "b", "c"}),
    (["__$all", "-a"], set()),  # after an operator, "-a" is a tag name, not an exclusion
    (["__$all", "a", "__$nop", "-b"], {"a"}),
]


@pytest.fixture(scope="module")
def conn() -> Any:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE tasks (id TEXT, tags TEXT)")
    for key, tags in ROWS.items():
        db.execute("INSERT INTO tasks VALUES (?, ?)", (key, orjson.dumps(tags).decode()))
    yield db
    db.close()


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_tags_filter_keeps(conn: Any, value: list[Any], expected: set[str]) -> None:
    sql = compile_filter("tags", value, Ctx(TASK, SQLITE_SQL, True))
    assert sql is not None
    rows = conn.execute(f"SELECT id FROM tasks WHERE {sql.text}", sql.params).fetchall()
    assert {r[0] for r in rows} == expected


def test_filters_parameter(conn: Any) -> None:
    value = {"tags": {"any": {"include": ["a", "c"]}, "all": {"exclude": ["b"]}, "op": "and"}}
    sql = compile_filter("filters", value, Ctx(TASK, SQLITE_SQL, True))
    assert sql is not None
    rows = conn.execute(f"SELECT id FROM tasks WHERE {sql.text}", sql.params).fetchall()
    assert {r[0] for r in rows} == {"a", "c"}
