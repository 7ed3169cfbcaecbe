"""Filter operators as tables of cases: request key/value → SQL and parameters, on both dialects."""

from __future__ import annotations

from typing import Any

import pytest

from taskyard.domain.query import TASK
from taskyard.domain.query.operators import Ctx, compile_filter
from taskyard.domain.query.sql import POSTGRES_SQL, SQLITE_SQL, Sql
from taskyard.errors import ApiError


def compiled(key: str, value: Any, postgres: bool, modern: bool = True) -> Sql | None:
    ctx = Ctx(TASK, POSTGRES_SQL if postgres else SQLITE_SQL, modern)
    return compile_filter(key, value, ctx)


# (key, value, SQLite SQL, PostgreSQL SQL, params on both)
CASES: list[tuple[str, Any, str, str, tuple[Any, ...]]] = [
    ("status", ["completed"], "tasks.status = ?", "tasks.status = ?", ("completed",)),
    (
        "status",
        ["completed", "failed"],
        "tasks.status IN (?, ?)",
        "tasks.status IN (?, ?)",
        ("completed", "failed"),
    ),
    (
        "project",
        ["-p1"],
        "(tasks.project IS NULL OR NOT (tasks.project = ?))",
        "(tasks.project IS NULL OR NOT (tasks.project = ?))",
        ("p1",),
    ),
    (
        "parent",
        [None],
        "tasks.parent IS NULL OR tasks.parent = ''",
        "tasks.parent IS NULL OR tasks.parent = ''",
        (),
    ),
    (
        "system_tags",
        ["-archived"],
        "NOT (instr(tasks.system_tags, ?) > 0 AND EXISTS (SELECT 1 FROM json_each("
        "tasks.system_tags) WHERE value = ?))",
        "NOT (jsonb_exists_any(tasks.system_tags, ARRAY[?]::text[]))",
        ('"archived"', "archived"),
    ),
    (
        "name",
        "^exp",
        "regexp(?, tasks.name)",
        "(tasks.name) ~ ?",
        ("^exp",),
    ),
    (
        "last_iteration",
        [10, None],
        "tasks.last_iteration >= ?",
        "tasks.last_iteration >= ?",
        (10,),
    ),
    (
        "last_update",
        [">=2024-01-01", "<2024-02-01T00:00:00Z"],
        "((tasks.last_update >= ?) AND (tasks.last_update < ?))",
        "((tasks.last_update >= ?) AND (tasks.last_update < ?))",
        ("2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00"),
    ),
    (
        "runtime.progress",
        "100",
        "json_extract(tasks.doc, '$.runtime.progress') IN (?)",
        "(tasks.doc #>> '{runtime,progress}') IN (?)",
        ("100",),
    ),
    ("name", "", "1=1", "1=1", ()),
    ("tags", [], "1=1", "1=1", ()),
]


@pytest.mark.parametrize("postgres", [False, True], ids=["sqlite", "postgres"])
@pytest.mark.parametrize(("key", "value", "lite", "pg", "params"), CASES)
def test_operator_sql(
    postgres: bool, key: str, value: Any, lite: str, pg: str, params: tuple[Any, ...]
) -> None:
    sql = compiled(key, value, postgres)
    assert sql is not None
    assert sql.text == (pg if postgres else lite)
    if postgres and key == "system_tags":
        params = ("archived",)
    assert sql.params == params


def test_unknown_keys_are_ignored() -> None:
    assert compiled("input__view__entries__dataset", ["x"], False) is None
    assert compiled("method", "get", True) is None


@pytest.mark.parametrize("postgres", [False, True], ids=["sqlite", "postgres"])
def test_range_on_a_metric_hashes_plain_names(postgres: bool) -> None:
    sql = compiled("last_metrics.loss.val", [0.1, 0.5], postgres)
    assert sql is not None
    # md5("loss") / md5("val"): the keys the events code writes
    assert "81513effdf5790b79549208838404407" in sql.text
    assert "3a6d0284e743dc4a9b86f97d6dd1a3bf" in sql.text
    assert sql.params == (0.1, 0.5)


@pytest.mark.parametrize(
    ("key", "value", "modern", "code"),
    [
        ("name", "([", True, (400, 21)),
        ("tags", "x", False, (400, 12)),  # seed-era: must be a list
        ("tags", [5], True, (400, 16)),
        ("created", ["2024-01-01"], True, (400, 12)),
        ("last_iteration", [None, None], True, (400, 12)),
        ("_any_", {"pattern": "x"}, True, (400, 12)),
        ("_any_", {"pattern": "x", "datetime": ">2024", "fields": ["name"]}, True, (400, 12)),
        ("_all_", {"pattern": "x", "fields": ["bogus"]}, True, (400, 14)),
        ("filters", {"tags": {"any": {"include": "x"}}}, True, (400, 12)),
    ],
)
def test_bad_values(key: str, value: Any, modern: bool, code: tuple[int, int]) -> None:
    with pytest.raises(ApiError) as err:
        compiled(key, value, False, modern=modern)
    assert (err.value.code, err.value.subcode) == code


def test_scalar_is_wrapped_from_2_9() -> None:
    sql = compiled("status", "completed", False, modern=True)
    assert sql == Sql("tasks.status = ?", ("completed",))
